"""`c.AideExtension.executor_mode` reaches the kernel's executor: spawn mode really spawns."""

from __future__ import annotations

import asyncio

import pytest

from tests.support_server import start_kernel


@pytest.fixture
def jp_server_config():
    return {
        "ServerApp": {"jpserver_extensions": {"aide_jupyter": True}},
        "AideExtension": {"executor_mode": "spawn"},
    }


async def test_spawn_mode_runs_nodes_in_a_fresh_interpreter(jp_fetch, jp_serverapp, tmp_path):
    kernel_id = await start_kernel(jp_fetch)
    manager = jp_serverapp.web_app.settings["aide_manager"]
    executor = manager.pool.get(kernel_id)
    assert executor.mode == "spawn"

    from aide_jupyter.search.executor import ExecRequest

    # A forked child would see the kernel's modules; a spawned interpreter starts without ipykernel.
    code = "import sys\nprint('ipykernel' in sys.modules)\n"
    result = await asyncio.wait_for(
        executor.run(ExecRequest(node_id="m1", code=code, workdir=str(tmp_path), timeout_s=60)),
        120,
    )
    assert result.exit_cause == "ok", result
    assert result.output.strip().endswith("False")
