"""Searches on a kernel behind a real Jupyter Kernel Gateway (`--GatewayClient.url`)."""

from __future__ import annotations

import asyncio
import functools
import time

import psutil
import pytest
from jupyter_server.gateway.gateway_client import GatewayClient

from tests.support_gateway import KernelGateway, gateway_execute
from tests.support_server import (
    SERVER_CONFIG,
    api,
    create_search,
    ended_and_workers_gone,
    fork_node,
    frame_kernels,
    start_kernel,
    wait_search,
)

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
        "AideExtension": {"remote_artifact_max_mb": 1.0},
        "GatewayClient": {"url": kernel_gateway.url, "request_timeout": 60.0},
    }
    GatewayClient.clear_instance()


@pytest.fixture
def frame_kernel(jp_fetch, kernel_gateway):
    """`await frame_kernel(path)`: a gateway kernel holding the test frame `df`."""
    return frame_kernels(jp_fetch, functools.partial(gateway_execute, kernel_gateway.url))


async def test_search_on_a_gateway_kernel_finishes(
    jp_fetch, jp_serverapp, kernel_gateway, frame_kernel
):
    assert type(jp_serverapp.kernel_manager).__name__ == "GatewayMappingKernelManager"
    kernel_id = await frame_kernel("nb.ipynb")
    assert any(k["id"] == kernel_id for k in kernel_gateway.kernels())
    summary = await create_search(
        jp_fetch, kernel_id, notebook_path="nb.ipynb", steps=3, node_timeout_s=60
    )
    detail = await wait_search(
        jp_fetch, summary["id"], lambda d: d["status"] in ("done", "failed", "paused"), 60
    )
    assert detail["status"] == "done", detail
    assert detail["counts"]["good"] >= 1, detail["counts"]


NODE_CODE = """
import os
print("cwd:", os.getcwd())
df.drop(columns=["a"], inplace=True)  # the node's copy only
df.head(5).to_csv("submission.csv", index=False)
os.makedirs("plots", exist_ok=True)
with open("plots/small.txt", "w") as fh:
    fh.write("a small artifact")
with open("big.bin", "wb") as fh:
    fh.write(b"x" * 1_500_000)
print("validation_metric: 0.5")
"""


async def test_remote_node_runs_on_the_kernel_host_and_its_files_come_back(
    jp_fetch, jp_serverapp, jp_root_dir, kernel_gateway, frame_kernel
):
    kernel_id = await frame_kernel("nb.ipynb")
    summary = await create_search(jp_fetch, kernel_id, notebook_path="nb.ipynb", steps=1)
    assert summary["host"] == kernel_gateway.url.split("://")[1]
    search_id = summary["id"]
    detail = await wait_search(jp_fetch, search_id, lambda d: d["status"] == "done", 90)
    first = detail["nodes"][0]["id"]
    fork_id = (await fork_node(jp_fetch, search_id, first, code=NODE_CODE))["id"]
    await wait_search(
        jp_fetch,
        search_id,
        lambda d: any(n["id"] == fork_id and n["status"] in ("done", "failed") for n in d["nodes"]),
        90,
    )
    _, node = await api(jp_fetch, "searches", search_id, "nodes", fork_id)
    assert node["exit_cause"] == "ok", node
    cwd = next(line for line in node["output"].splitlines() if line.startswith("cwd:"))[5:]
    # ran in a temporary folder on the gateway's host, which is gone afterwards
    assert cwd.startswith(str(kernel_gateway.tmp_dir)), cwd
    assert not (jp_root_dir / cwd).exists() and not (kernel_gateway.tmp_dir / cwd).exists()
    local = jp_root_dir / "aide-runs" / search_id / "nodes" / fork_id
    assert (local / "submission.csv").read_text().splitlines()[0] == "b,c,d,label"
    assert (local / "plots" / "small.txt").read_text() == "a small artifact"
    assert not (local / "big.bin").exists()  # over the 1 MB cap
    assert "big.bin\t1500000 bytes" in (local / "artifacts_left.txt").read_text()
    assert not (local / "node.py").exists()  # the code ran there, not here
    # the user's frame in the remote kernel is unchanged
    shape = await gateway_execute(kernel_gateway.url, kernel_id, "df.shape")
    assert shape == "(160, 5)"


async def test_data_dir_is_checked_on_the_kernel_host(jp_fetch, jp_serverapp, kernel_gateway):
    kernel_id = await start_kernel(jp_fetch, "nb.ipynb")
    (kernel_gateway.host_dir / "remote-data").mkdir(exist_ok=True)
    (kernel_gateway.host_dir / "remote-data" / "train.csv").write_text("x,y\n1,2\n3,4\n")
    await gateway_execute(
        kernel_gateway.url, kernel_id, f"import os; os.chdir({str(kernel_gateway.host_dir)!r})"
    )
    body = {"kernel_id": kernel_id, "goal": "predict y", "steps": 1}
    code, bad = await api(
        jp_fetch, "searches", method="POST", body={**body, "data_dir": "no-such-folder"}
    )
    assert code == 201, bad  # a path on the kernel's host: not checked here
    bad = await wait_search(jp_fetch, bad["id"], lambda d: d["status"] == "failed", 60)
    assert "no folder" in bad["stop_reason"] and "kernel's host" in bad["stop_reason"]
    code, good = await api(
        jp_fetch, "searches", method="POST", body={**body, "data_dir": "remote-data"}
    )
    good = await wait_search(jp_fetch, good["id"], lambda d: d["status"] != "queued", 60)
    assert good["data_dir"] == str(kernel_gateway.host_dir / "remote-data")


async def _search_with_a_long_fork(jp_fetch, kernel_gateway, kernel_id):
    body = {"kernel_id": kernel_id, "goal": "predict label", "data": ["df"], "steps": 1}
    code, summary = await api(jp_fetch, "searches", method="POST", body=body)
    assert code == 201, summary
    search_id = summary["id"]
    detail = await wait_search(jp_fetch, search_id, lambda d: d["status"] == "done", 90)
    long_code = "import time\nprint('started', flush=True)\ntime.sleep(120)\n"
    node = await fork_node(jp_fetch, search_id, detail["nodes"][0]["id"], code=long_code)
    await wait_search(jp_fetch, search_id, lambda d: d["status"] == "running", 30)
    return search_id, node["id"]


async def test_a_restart_of_the_remote_kernel_pauses_the_search(
    jp_fetch, jp_serverapp, kernel_gateway, frame_kernel
):
    kernel_id = await frame_kernel("nb.ipynb")
    search_id, node_id = await _search_with_a_long_fork(jp_fetch, kernel_gateway, kernel_id)
    # the node is executing on the remote host once its process exists there
    await asyncio.sleep(3)
    await jp_fetch("api", "kernels", kernel_id, "restart", method="POST", body=b"{}")
    detail = await wait_search(jp_fetch, search_id, lambda d: d["status"] == "paused", 60)
    assert detail["pause_cause"] == "kernel", detail
    node = next(n for n in detail["nodes"] if n["id"] == node_id)
    assert node["status"] == "failed" and node["exit_cause"] == "lost", node


async def test_stop_kills_the_remote_node(jp_fetch, jp_serverapp, kernel_gateway, frame_kernel):
    kernel_id = await frame_kernel("nb.ipynb")
    search_id, node_id = await _search_with_a_long_fork(jp_fetch, kernel_gateway, kernel_id)
    pids: list[int] = []
    deadline = time.monotonic() + 30
    while not pids and time.monotonic() < deadline:  # the node's process on the kernel's host
        await asyncio.sleep(0.3)
        pids = [p.pid for p in psutil.process_iter(["cmdline"]) if _sleeps_for_us(p)]
    assert pids, "the node's process was not found on the kernel's host"
    code, summary = await api(jp_fetch, "searches", search_id, "stop", method="POST")
    assert code == 200, summary
    detail = await wait_search(jp_fetch, search_id, lambda d: d["status"] == "stopped", 30)
    node = next(n for n in detail["nodes"] if n["id"] == node_id)
    assert node["status"] == "failed" and node["exit_cause"] == "cancelled", node
    _, alive = psutil.wait_procs([psutil.Process(p) for p in pids if psutil.pid_exists(p)], 5)
    assert not alive


def _sleeps_for_us(proc: psutil.Process) -> bool:
    """A forked node is a child of the gateway's kernel doing time.sleep(120)."""
    try:
        parent = proc.parent()
        return (
            parent is not None
            and "ipykernel_launcher" in " ".join(parent.cmdline())
            and proc.status() == psutil.STATUS_SLEEPING
            and proc.pid != parent.pid
            and "aide" in (proc.cwd() or "")
        )
    except psutil.Error:
        return False


async def test_a_worker_on_the_gateway_shares_the_nodes_then_goes(
    jp_fetch, jp_serverapp, kernel_gateway, frame_kernel
):
    kernel_id = await frame_kernel("nb.ipynb")
    summary = await create_search(jp_fetch, kernel_id, steps=6, parallel=2, workers=1)
    detail = await wait_search(jp_fetch, summary["id"], ended_and_workers_gone, 150)
    assert detail["status"] == "done", detail
    (worker,) = detail["workers"]
    assert worker["host"] == kernel_gateway.url.split("://")[1]
    assert {n["kernel_id"] for n in detail["nodes"]} == {kernel_id, worker["kernel_id"]}
    on_gateway = {k["id"] for k in kernel_gateway.kernels()}
    assert kernel_id in on_gateway and worker["kernel_id"] not in on_gateway
