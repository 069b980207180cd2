"""`workers` N: extra kernels of the same kernelspec, the data sent once, nodes spread over them."""

from __future__ import annotations

import json

import pytest

from tests.support_server import (
    api,
    create_search,
    ended_and_workers_gone,
    start_kernel,
    wait_search,
)

pytestmark = pytest.mark.timeout(240)


async def test_two_workers_spread_the_nodes_over_three_kernels_then_go(
    jp_fetch, jp_serverapp, jp_root_dir, frame_kernel
):
    kernel_id = await frame_kernel("nb.ipynb")
    summary = await create_search(
        jp_fetch,
        kernel_id,
        notebook_path="nb.ipynb",
        steps=9,
        parallel=3,
        workers=2,
        node_timeout_s=60,
    )
    detail = await wait_search(jp_fetch, summary["id"], ended_and_workers_gone, 180)
    assert detail["status"] == "done", detail
    workers = detail["workers"]
    assert len(workers) == 2 and all(w["running"] is False for w in workers), workers
    worker_ids = {w["kernel_id"] for w in workers}
    ran_on = {n["kernel_id"] for n in detail["nodes"]}
    assert ran_on == worker_ids | {kernel_id}, (ran_on, worker_ids)
    # the workers saw the user's frame: nodes there are good too
    good_on_workers = [
        n for n in detail["nodes"] if n["kernel_id"] in worker_ids and n["metric"] is not None
    ]
    assert good_on_workers, detail["nodes"]
    response = await jp_fetch("api", "kernels")
    alive = {k["id"] for k in json.loads(response.body)}
    assert kernel_id in alive and not worker_ids & alive


async def test_workers_is_checked(jp_fetch, jp_serverapp):
    kernel_id = await start_kernel(jp_fetch, "nb.ipynb")
    body = {"kernel_id": kernel_id, "goal": "g", "workers": 99}
    code, error = await api(jp_fetch, "searches", method="POST", body=body)
    assert code == 400 and error["field"] == "workers", error
