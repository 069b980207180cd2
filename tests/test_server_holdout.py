"""Trusted scores through the REST API: clear 400s, then a real search scored on a holdout."""

from __future__ import annotations

import json

import pytest

from tests.support_server import api, create_search, run_code, wait_search

pytestmark = pytest.mark.timeout(180)


OK = {"holdout": 0.2, "target": "y", "data": ["df"]}
BAD = [
    ({**OK, "holdout": 0.7}, "holdout", "at most 0.5"),
    ({**OK, "holdout": 0}, "holdout", "more than 0"),
    ({**OK, "holdout": "0.2"}, "holdout", "fraction"),
    ({**OK, "holdout": True}, "holdout", "fraction"),
    ({"holdout": 0.2, "data": ["df"]}, "holdout", "needs `target`"),
    ({"holdout": 0.2, "target": "y"}, "holdout", "needs `data`"),
    ({**OK, "metric": "brier score"}, "metric", "roc_auc"),
    ({**OK, "metric": "rmse", "lower_is_better": False}, "lower_is_better", "rmse"),
]


@pytest.mark.parametrize(("body", "field", "words"), BAD)
async def test_bad_holdout_bodies_answer_400(jp_fetch, no_llm, body, field, words):
    code, problem = await api(
        jp_fetch, "searches", method="POST", body={"kernel_id": "k1", "goal": "predict y", **body}
    )
    assert code == 400, problem
    assert problem["field"] == field and words in problem["message"], problem


async def test_a_search_scored_on_a_holdout(
    jp_fetch, jp_serverapp, jp_root_dir, no_llm, frame_kernel
):
    kernel_id = await frame_kernel("nb.ipynb")
    summary = await create_search(
        jp_fetch,
        kernel_id,
        notebook_path="nb.ipynb",
        goal="predict label",
        metric="balanced accuracy",
        holdout=0.25,
        steps=3,
        node_timeout_s=60,
    )
    assert summary["holdout"] == {"fraction": 0.25, "rows": None, "metric": "balanced_accuracy"}
    detail = await wait_search(jp_fetch, summary["id"], lambda d: d["status"] == "done", 150)
    assert detail["holdout"] == {"fraction": 0.25, "rows": 40, "metric": "balanced_accuracy"}
    assert detail["lower_is_better"] is False
    nodes = detail["nodes"]
    assert len(nodes) == 3 and detail["counts"]["good"] >= 2, [n.get("analysis") for n in nodes]
    good = [n for n in nodes if n["metric"] is not None]
    for node in good:
        assert node["metric_source"] == "harness" and node["reported_metric"] is not None
    best = max(good, key=lambda n: (n["metric"], -n["step"]))
    assert detail["best"] == {"node_id": best["id"], "metric": best["metric"]}
    code, full = await api(jp_fetch, "searches", summary["id"], "nodes", best["id"])
    assert code == 200 and "Holdout balanced_accuracy" in full["analysis"]
    # the journal and tree.html carry both numbers
    run_dir = jp_root_dir / detail["run_dir"]
    nb = json.loads((run_dir / "journal.ipynb").read_text())
    assert nb["metadata"]["aide"]["search"]["holdout"]["rows"] == 40
    metas = [c["metadata"]["aide"] for c in nb["cells"] if c["cell_type"] == "code"]
    assert any(m.get("reported_metric") is not None for m in metas)
    assert "**reported**" in "".join(
        "".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown"
    )
    assert '"reported_metric"' in (run_dir / "tree.html").read_text()
    # the user's frame is whole
    reply = await run_code(jp_serverapp, kernel_id, "assert len(df) == 160, len(df)")
    assert reply["content"]["status"] == "ok"
