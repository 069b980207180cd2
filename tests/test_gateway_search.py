"""Searches on a kernel behind a real Jupyter Kernel Gateway (`--GatewayClient.url`)."""

from __future__ import annotations

import pytest
from jupyter_server.gateway.gateway_client import GatewayClient

from tests.support_gateway import KernelGateway, gateway_execute
from tests.support_server import FRAME_CODE, SERVER_CONFIG, api, start_kernel, wait_search

pytestmark = pytest.mark.timeout(240)


@pytest.fixture(scope="module")
def kernel_gateway(tmp_path_factory):
    gateway = KernelGateway(tmp_path_factory.mktemp("gateway"))
    gateway.start()
    yield gateway
    gateway.stop()


@pytest.fixture
def jp_server_config(kernel_gateway):
    GatewayClient.clear_instance()  # a singleton: bind it to this test's server
    yield {
        **SERVER_CONFIG,
        "GatewayClient": {"url": kernel_gateway.url, "request_timeout": 60.0},
    }
    GatewayClient.clear_instance()


async def test_search_on_a_gateway_kernel_finishes(jp_fetch, jp_serverapp, kernel_gateway):
    assert type(jp_serverapp.kernel_manager).__name__ == "GatewayMappingKernelManager"
    kernel_id = await start_kernel(jp_fetch, "nb.ipynb")
    assert any(k["id"] == kernel_id for k in kernel_gateway.kernels())
    await gateway_execute(kernel_gateway.url, kernel_id, FRAME_CODE)
    code, summary = await api(
        jp_fetch,
        "searches",
        method="POST",
        body={
            "kernel_id": kernel_id,
            "notebook_path": "nb.ipynb",
            "goal": "predict label; metric accuracy",
            "data": ["df"],
            "target": "label",
            "steps": 3,
            "node_timeout_s": 60,
        },
    )
    assert code == 201, summary
    detail = await wait_search(
        jp_fetch, summary["id"], lambda d: d["status"] in ("done", "failed", "paused"), 60
    )
    assert detail["status"] == "done", detail
    assert detail["counts"]["good"] >= 1, detail["counts"]
