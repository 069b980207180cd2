"""A search that starts from the user's own code, through the REST API on a live kernel."""

from __future__ import annotations

import pytest

from aide_jupyter.journal import load_journal
from tests.support_server import FRAME_CODE, api, create_search, run_code, wait_search

pytestmark = pytest.mark.timeout(150)

# The user's cell: feature engineering on their frame, a deliberately weak model, a printed score.
USER_CELL = """\
from sklearn.model_selection import cross_val_score
from sklearn.tree import DecisionTreeClassifier
features = df.drop(columns=["label"]).copy()
features["a_minus_c"] = features["a"] - features["c"]
model = DecisionTreeClassifier(max_depth=1, random_state=0)
score = cross_val_score(model, features, df["label"], cv=3).mean()
model.fit(features, df["label"])
print(f"accuracy: {score:.4f}")
"""


async def test_a_weak_seed_is_the_root_and_the_search_does_not_end_worse(
    jp_fetch, jp_serverapp, jp_root_dir, frame_kernel
):
    kernel_id = await frame_kernel("nb.ipynb", FRAME_CODE + "\nframe_before = df.copy()\n")
    summary = await create_search(
        jp_fetch,
        kernel_id,
        notebook_path="nb.ipynb",
        steps=5,
        seed_drafts=1,
        node_timeout_s=60,
        seed={"code": USER_CELL, "cell_id": "cell-7f3a"},
    )
    assert summary["seed"]["cell_id"] == "cell-7f3a"
    search_id = summary["id"]
    detail = await wait_search(jp_fetch, search_id, lambda d: d["status"] == "done", 120)

    root = detail["nodes"][0]
    assert (root["step"], root["stage"], root["parent_id"]) == (0, "seed", None)
    assert root["is_buggy"] is False and 0.5 < root["metric"] < 1.0
    assert detail["seed"] == {
        "node_id": root["id"],
        "cell_id": "cell-7f3a",
        "metric": root["metric"],
        "is_buggy": False,
    }
    second = detail["nodes"][1]
    assert (second["stage"], second["parent_id"]) == ("improve", root["id"])
    assert sum(1 for n in detail["nodes"] if n["stage"] == "draft") == 1
    assert detail["best"]["metric"] >= root["metric"]

    _, node = await api(jp_fetch, "searches", search_id, "nodes", root["id"])
    assert node["code"] == USER_CELL and "accuracy:" in node["output"]
    _, child = await api(jp_fetch, "searches", search_id, "nodes", second["id"])
    assert child["seed_code"] == USER_CELL and child["parent_code"] == USER_CELL

    info, journal = load_journal(jp_root_dir / detail["journal_path"])
    assert info.seed == {"node_id": root["id"], "cell_id": "cell-7f3a"}
    assert journal.seed_node is not None and journal.seed_node.code == USER_CELL
    # The seed ran on the user's data in a forked copy: the user's frame is unchanged.
    await run_code(
        jp_serverapp,
        kernel_id,
        "assert df.equals(frame_before) and list(df.columns) == list(frame_before.columns)\n"
        "assert 'features' not in globals() and 'score' not in globals()",
    )


async def test_a_seed_with_a_bug_is_debugged_first(jp_fetch, frame_kernel):
    kernel_id = await frame_kernel("nb.ipynb")
    summary = await create_search(
        jp_fetch,
        kernel_id,
        steps=2,
        node_timeout_s=60,
        seed={"code": "model = RandomForestClasifer()\nmodel.fit(df, df.label)\n"},
    )
    detail = await wait_search(jp_fetch, summary["id"], lambda d: d["status"] == "done", 120)
    root, first = detail["nodes"]
    assert root["stage"] == "seed" and root["is_buggy"] and root["exc_type"] == "NameError"
    assert detail["seed"]["cell_id"] is None and detail["seed"]["is_buggy"] is True
    assert (first["stage"], first["parent_id"]) == ("debug", root["id"])
    assert first["is_buggy"] is False and first["metric"] > 0.5
