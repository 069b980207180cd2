"""`parallel` K runs K nodes at once on the kernel's host, each result reaching its own node."""

from __future__ import annotations

import pytest

from tests.support_server import api, fork_node, wait_search

pytestmark = pytest.mark.timeout(180)

WAIT_CODE = """
import os, time
print("start", time.time(), flush=True)
time.sleep(4)
print("end", time.time(), "cwd", os.path.basename(os.getcwd()))
print("validation_metric: 0.5")
"""


async def test_parallel_three_nodes_overlap_and_all_results_arrive(
    jp_fetch, jp_serverapp, jp_root_dir, frame_kernel
):
    kernel_id = await frame_kernel("nb.ipynb")
    body = {"kernel_id": kernel_id, "goal": "predict label", "data": ["df"], "steps": 1}
    code, summary = await api(jp_fetch, "searches", method="POST", body={**body, "parallel": 3})
    assert code == 201, summary
    search_id = summary["id"]
    detail = await wait_search(jp_fetch, search_id, lambda d: d["status"] == "done", 90)
    root = detail["nodes"][0]["id"]
    forks = []
    for _ in range(3):
        forks.append((await fork_node(jp_fetch, search_id, root, code=WAIT_CODE))["id"])
    detail = await wait_search(
        jp_fetch,
        search_id,
        lambda d: (
            d["status"] == "done" and all(n["status"] in ("done", "failed") for n in d["nodes"])
        ),
        90,
    )
    spans = []
    for node_id in forks:
        code, node = await api(jp_fetch, "searches", search_id, "nodes", node_id)
        assert node["status"] == "done" and node["exit_cause"] == "ok", node
        words = node["output"].split()
        start, end = float(words[words.index("start") + 1]), float(words[words.index("end") + 1])
        assert words[words.index("cwd") + 1] == node_id  # its own result, not a sibling's
        spans.append((start, end))
    # all three ran at once: the last to start began before the first to end finished
    assert max(s for s, _ in spans) < min(e for _, e in spans), spans
