"""Stop means stop, through the REST API on a real kernel: stop / pause / DELETE end a running
node's process tree within 2 s (the node ends failed, exc_type "Cancelled", not debugged) and
the search settles at once; `{"finish_running": true}` lets the node finish."""

from __future__ import annotations

import asyncio
import time

import psutil
import pytest

from tests.support_executor import AUTO_MODE
from tests.support_server import (
    FRAME_CODE,
    api,
    create_search,
    run_code,
    start_kernel,
    wait_search,
)

pytestmark = pytest.mark.timeout(200)
LONG = """
import os, subprocess, sys, time
kid = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"])
open("pids", "w").write(f"{os.getpid()} {kid.pid}")
time.sleep({seconds})
print("finished")
"""


def _gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


async def _search_with_long_node(jp_fetch, jp_serverapp, jp_root_dir, seconds: int):
    """A finished one-step search, then a user fork that runs LONG; waits until it runs."""
    kernel_id = await start_kernel(jp_fetch)
    await run_code(jp_serverapp, kernel_id, FRAME_CODE)
    summary = await create_search(jp_fetch, kernel_id, steps=1, model="builtin")
    sid = summary["id"]
    done = await wait_search(jp_fetch, sid, lambda d: d["status"] == "done")
    assert done["executor"] == {"mode": AUTO_MODE, "subshell": True}
    root = done["nodes"][0]["id"]
    code, node = await api(
        jp_fetch,
        "searches",
        sid,
        "nodes",
        root,
        "fork",
        method="POST",
        body={"code": LONG.replace("{seconds}", str(seconds))},
    )
    assert code == 201, node
    pid_file = jp_root_dir / done["run_dir"] / "nodes" / node["id"] / "pids"
    deadline = time.monotonic() + 60
    while not (pid_file.exists() and len(pid_file.read_text().split()) == 2):
        assert time.monotonic() < deadline, "the long node never started"
        await asyncio.sleep(0.1)
    return sid, node["id"], [int(p) for p in pid_file.read_text().split()]


async def _assert_cancelled(jp_fetch, sid: str, node_id: str, pids: list[int], asked: float):
    while not all(_gone(p) for p in pids) and time.monotonic() - asked < 2.0:
        await asyncio.sleep(0.05)
    assert all(_gone(p) for p in pids), f"node processes alive 2 s after the request: {pids}"
    _, node = await api(jp_fetch, "searches", sid, "nodes", node_id)
    assert node["status"] == "failed" and node["exc_type"] == "Cancelled", node
    assert node["is_buggy"] is False


@pytest.mark.parametrize("action", ["stop", "pause"])
async def test_stop_and_pause_end_the_running_node(
    jp_fetch, jp_serverapp, jp_root_dir, action: str
) -> None:
    sid, node_id, pids = await _search_with_long_node(jp_fetch, jp_serverapp, jp_root_dir, 300)
    asked = time.monotonic()
    code, summary = await api(jp_fetch, "searches", sid, action, method="POST")
    assert code == 200, summary
    final = "stopped" if action == "stop" else "paused"
    await wait_search(jp_fetch, sid, lambda d: d["status"] == final, 10)
    assert time.monotonic() - asked < 5.0
    await _assert_cancelled(jp_fetch, sid, node_id, pids, asked)


async def test_delete_ends_the_running_node(jp_fetch, jp_serverapp, jp_root_dir) -> None:
    sid, _, pids = await _search_with_long_node(jp_fetch, jp_serverapp, jp_root_dir, 300)
    asked = time.monotonic()
    code, _ = await api(jp_fetch, "searches", sid, method="DELETE")
    assert code == 204
    while not all(_gone(p) for p in pids) and time.monotonic() - asked < 2.0:
        await asyncio.sleep(0.05)
    assert all(_gone(p) for p in pids), pids


async def test_finish_running_lets_the_node_finish(jp_fetch, jp_serverapp, jp_root_dir) -> None:
    sid, node_id, pids = await _search_with_long_node(jp_fetch, jp_serverapp, jp_root_dir, 4)
    code, bad = await api(
        jp_fetch, "searches", sid, "stop", method="POST", body={"finish_running": "yes"}
    )
    assert code == 400 and "finish_running" in bad["message"]
    code, summary = await api(
        jp_fetch, "searches", sid, "stop", method="POST", body={"finish_running": True}
    )
    assert code == 200 and summary["status"] == "stopping", summary
    await asyncio.sleep(1.0)
    assert not _gone(pids[0])
    await wait_search(jp_fetch, sid, lambda d: d["status"] == "stopped", 30)
    code, node = await api(jp_fetch, "searches", sid, "nodes", node_id)
    assert node["status"] == "done" and "finished" in node["output"], node


async def test_server_shutdown_ends_the_running_node(jp_fetch, jp_serverapp, jp_root_dir) -> None:
    sid, node_id, pids = await _search_with_long_node(jp_fetch, jp_serverapp, jp_root_dir, 300)
    manager = jp_serverapp.web_app.settings["aide_manager"]
    asked = time.monotonic()
    await manager.shutdown()  # what the server's stop_extension does on exit
    while not all(_gone(p) for p in pids) and time.monotonic() - asked < 2.0:
        await asyncio.sleep(0.05)
    assert all(_gone(p) for p in pids), f"node processes alive after shutdown: {pids}"
    node = manager.searches[sid].journal.get(node_id)
    assert node.status == "failed"
