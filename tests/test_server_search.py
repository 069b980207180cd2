"""A real search through the REST API on a live kernel: nodes, journal, details, live events."""

from __future__ import annotations

import json

import pytest

from tests.support_server import (
    EventCollector,
    api,
    create_search,
    wait_search,
)

pytestmark = pytest.mark.timeout(150)


async def test_builtin_search_of_eight_nodes_with_live_events(
    jp_fetch, jp_ws_fetch, jp_serverapp, jp_root_dir, frame_kernel
):
    (jp_root_dir / "work").mkdir()
    kernel_id = await frame_kernel("work/analysis.ipynb")
    collector = EventCollector(await jp_ws_fetch("api", "events", "subscribe"))
    try:
        summary = await create_search(
            jp_fetch, kernel_id, notebook_path="work/analysis.ipynb", steps=8, node_timeout_s=60
        )
        search_id = summary["id"]
        assert summary["status"] in ("queued", "running")
        assert summary["run_dir"] == f"work/aide-runs/{search_id}"
        assert summary["notebook_path"] == "work/analysis.ipynb"
        assert summary["model"] == "builtin" and summary["steps"] == 8

        detail = await wait_search(jp_fetch, search_id, lambda d: d["status"] == "done", 120)
    finally:
        await collector.close()

    assert len(detail["nodes"]) == 8 and detail["steps_done"] == 8
    assert detail["stop_reason"].startswith("step budget used")
    assert detail["counts"]["good"] >= 4, detail["counts"]
    assert detail["best"] is not None and 0.5 < detail["best"]["metric"] <= 1.0
    assert detail["lower_is_better"] is False
    for node in detail["nodes"]:
        assert "code" not in node and "output" not in node and "plan_head" in node

    # the whole node: cells, output, analysis and the parent's code for the diff
    improved = next(n for n in detail["nodes"] if n["parent_id"])
    code, node = await api(jp_fetch, "searches", search_id, "nodes", improved["id"])
    assert code == 200
    assert node["cells"] and node["code"].startswith(node["cells"][0].split("\n")[0])
    assert "validation_metric" in node["output"]
    parent_code = next(
        n for n in detail["nodes"] if n["id"] == improved["parent_id"]
    )  # the parent's code is returned verbatim
    code, parent = await api(jp_fetch, "searches", search_id, "nodes", parent_code["id"])
    assert node["parent_code"] == parent["code"]
    assert parent["parent_code"] is None or parent["parent_id"]

    # on disk: the journal and the exports, beside the notebook
    run_dir = jp_root_dir / "work" / "aide-runs" / search_id
    nb = json.loads((run_dir / "journal.ipynb").read_text())
    assert nb["metadata"]["aide"]["search"]["status"] == "done"
    assert (run_dir / "best_solution.py").is_file() and (run_dir / "tree.html").is_file()

    # live events: every node went queued/running -> done|failed; search status changes too
    node_events = collector.of(search_id, "node")
    finished = {e["node"]["id"] for e in node_events if e["node"]["status"] in ("done", "failed")}
    assert finished == {n["id"] for n in detail["nodes"]}
    assert {e["node"]["status"] for e in node_events} >= {"queued", "running", "done"}
    statuses = [e["search"]["status"] for e in collector.of(search_id, "search")]
    assert "running" in statuses and statuses[-1] == "done"
    assert all("code" not in e["node"] and "output" not in e["node"] for e in node_events)

    # the list shows it
    code, listing = await api(jp_fetch, "searches")
    assert [s["id"] for s in listing["searches"]] == [search_id]
