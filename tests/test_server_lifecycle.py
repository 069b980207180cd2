"""Stop, pause, resume, fork, delete, two searches at once, and a kernel restart mid-search."""

from __future__ import annotations

import asyncio
import time

import pytest

from tests.support_server import (
    FRAME_CODE,
    api,
    create_search,
    run_code,
    start_kernel,
    wait_search,
)

pytestmark = pytest.mark.timeout(150)


async def _create(jp_fetch, kernel_id: str, **extra) -> str:
    return (await create_search(jp_fetch, kernel_id, **extra))["id"]


def _has_done_node(detail: dict) -> bool:
    return any(n["status"] in ("done", "failed") for n in detail["nodes"])


async def test_two_searches_pause_stop_resume_fork_delete(
    jp_fetch, jp_serverapp, jp_root_dir, frame_kernel
):
    kernel_id = await frame_kernel()
    first = await _create(jp_fetch, kernel_id, steps=40)
    second = await _create(jp_fetch, kernel_id, steps=40, policy="mcts")
    await wait_search(jp_fetch, first, _has_done_node)
    await wait_search(jp_fetch, second, _has_done_node)
    code, listing = await api(jp_fetch, "searches")
    running = {s["id"]: s["status"] for s in listing["searches"]}
    assert running == {first: "running", second: "running"}

    # pause: answered at once; no new node starts; paused once the running node is done
    asked = time.monotonic()
    code, summary = await api(jp_fetch, "searches", first, "pause", method="POST")
    assert code == 200 and summary["status"] in ("stopping", "paused")
    paused = await wait_search(jp_fetch, first, lambda d: d["status"] == "paused", 30)
    assert paused["stop_reason"] == "paused by user" and paused["pause_cause"] == "user"
    assert time.monotonic() - asked < 15
    count = len(paused["nodes"])
    await asyncio.sleep(1.0)
    code, still = await api(jp_fetch, "searches", first)
    assert len(still["nodes"]) == count and still["status"] == "paused"
    code, again = await api(jp_fetch, "searches", first, "pause", method="POST")
    assert code == 409 and again["error"] == "conflict"

    # the other search kept running meanwhile; stop it
    code, summary = await api(jp_fetch, "searches", second, "stop", method="POST")
    assert code == 200
    stopped = await wait_search(jp_fetch, second, lambda d: d["status"] == "stopped", 30)
    assert stopped["stop_reason"] == "stopped by user"
    code, _ = await api(jp_fetch, "searches", second, "stop", method="POST")
    assert code == 409

    # resume the first: numbering continues, more nodes come
    code, summary = await api(jp_fetch, "searches", first, "resume", method="POST", body={})
    assert code == 200 and summary["status"] in ("queued", "running")
    code, _ = await api(jp_fetch, "searches", first, "resume", method="POST")
    assert code == 409
    resumed = await wait_search(jp_fetch, first, lambda d: len(d["nodes"]) > count + 1)
    steps = [n["step"] for n in resumed["nodes"]]
    assert steps == sorted(steps) and len(set(steps)) == len(steps)
    await api(jp_fetch, "searches", first, "stop", method="POST")
    await wait_search(jp_fetch, first, lambda d: d["status"] == "stopped", 30)

    # fork a node of the stopped search with edited code, then with an instruction
    good = next(n for n in stopped["nodes"] if n["status"] == "done" and not n["is_buggy"])
    code, parent = await api(jp_fetch, "searches", second, "nodes", good["id"])
    edited = parent["code"] + "\nprint('forked by the user')\n"
    code, forked = await api(
        jp_fetch,
        "searches",
        second,
        "nodes",
        good["id"],
        "fork",
        method="POST",
        body={"code": edited},
    )
    assert code == 201 and forked["status"] == "queued" and forked["stage"] == "fork"
    assert forked["parent_id"] == good["id"]
    done = await wait_search(
        jp_fetch,
        second,
        lambda d: (
            d["status"] not in ("queued", "running", "stopping")
            and any(n["id"] == forked["id"] and n["status"] == "done" for n in d["nodes"])
        ),
    )
    code, child = await api(jp_fetch, "searches", second, "nodes", forked["id"])
    assert child["code"] == edited and "forked by the user" in child["output"]
    assert child["parent_code"] == parent["code"]
    # only the fork ran: the stopped search did not resume its step budget, and is stopped again
    assert done["status"] == "stopped" and done["stop_reason"] == "stopped by user"
    assert len(done["nodes"]) == len(stopped["nodes"]) + 1

    code, forked2 = await api(
        jp_fetch,
        "searches",
        second,
        "nodes",
        good["id"],
        "fork",
        method="POST",
        body={"instruction": "use extra trees"},
    )
    assert code == 201 and forked2["instruction"] == "use extra trees"
    await wait_search(
        jp_fetch,
        second,
        lambda d: any(n["id"] == forked2["id"] and n["status"] == "done" for n in d["nodes"]),
    )

    # delete: gone from the API, the run folder stays
    run_dir = jp_root_dir / "aide-runs" / second
    code, _ = await api(jp_fetch, "searches", second, method="DELETE")
    assert code == 204
    code, missing = await api(jp_fetch, "searches", second)
    assert code == 404 and missing["error"] == "not_found"
    assert (run_dir / "journal.ipynb").is_file()


async def test_kernel_restart_mid_search_pauses_it(jp_fetch, jp_serverapp, frame_kernel):
    kernel_id = await frame_kernel()
    search_id = await _create(jp_fetch, kernel_id, steps=40)
    await wait_search(jp_fetch, search_id, _has_done_node)
    response = await jp_fetch("api", "kernels", kernel_id, "restart", method="POST", body="{}")
    assert response.code == 200
    paused = await wait_search(jp_fetch, search_id, lambda d: d["status"] == "paused", 30)
    assert "kernel restarted" in paused["stop_reason"] and paused["pause_cause"] == "kernel"
    # resume on the restarted kernel once the data is back
    await run_code(jp_serverapp, kernel_id, FRAME_CODE)
    count = len(paused["nodes"])
    code, _ = await api(jp_fetch, "searches", search_id, "resume", method="POST")
    assert code == 200
    resumed = await wait_search(
        jp_fetch,
        search_id,
        lambda d: sum(n["status"] == "done" and not n["is_buggy"] for n in d["nodes"][count:]) >= 1,
    )
    assert resumed["status"] == "running"
    await api(jp_fetch, "searches", search_id, "stop", method="POST")


async def test_kernel_shutdown_pauses_and_resume_names_a_new_kernel(
    jp_fetch, jp_serverapp, frame_kernel
):
    kernel_id = await frame_kernel("a.ipynb")
    search_id = await _create(jp_fetch, kernel_id, steps=40)
    await wait_search(jp_fetch, search_id, _has_done_node)
    await jp_fetch("api", "kernels", kernel_id, method="DELETE")
    paused = await wait_search(jp_fetch, search_id, lambda d: d["status"] == "paused", 30)
    assert "kernel shut down" in paused["stop_reason"] and paused["pause_cause"] == "kernel"
    code, problem = await api(jp_fetch, "searches", search_id, "resume", method="POST")
    assert code == 400 and problem["field"] == "kernel_id"
    new_kernel = await start_kernel(jp_fetch, "b.ipynb")
    await run_code(jp_serverapp, new_kernel, FRAME_CODE)
    code, summary = await api(
        jp_fetch, "searches", search_id, "resume", method="POST", body={"kernel_id": new_kernel}
    )
    assert code == 200 and summary["kernel_id"] == new_kernel
    count = len(paused["nodes"])
    await wait_search(
        jp_fetch,
        search_id,
        lambda d: any(n["status"] == "done" and not n["is_buggy"] for n in d["nodes"][count:]),
    )
    await api(jp_fetch, "searches", search_id, "stop", method="POST")
