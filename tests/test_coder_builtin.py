from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer, load_diabetes

from aide_jupyter.coders import make_coder
from aide_jupyter.coders.builtin import BuiltinCoder
from aide_jupyter.coders.builtin_templates import read_spec
from aide_jupyter.search.coder import CoderError
from aide_jupyter.search.config import SearchConfig
from aide_jupyter.search.journal import Journal, Node
from aide_jupyter.search.loop import SearchLoop
from aide_jupyter.search.preview import describe_objects
from aide_jupyter.search.prompts import Prompt, TaskContext
from aide_jupyter.search.review import parse_code_reply
from tests.support_engine.fakes import info
from tests.support_engine.subprocess_executor import SubprocessExecutor


async def test_full_search_reaches_a_real_score_on_breast_cancer(tmp_path: Path) -> None:
    df = load_breast_cancer(as_frame=True).frame
    config = SearchConfig(steps=10, seed=0, parallel=2)
    search = info(goal="Classify tumours as malignant or benign.", data=["df"], target="target")
    loop = SearchLoop(
        search,
        Journal(),
        config,
        make_coder("builtin"),
        SubprocessExecutor({"df": df}),
        tmp_path,
        data_overview=describe_objects({"df": df}, ["df"]),
    )
    reason = await loop.run()
    j = loop.journal
    assert reason.startswith("step budget") and len(j) == 10
    assert sum(n.is_good for n in j) >= 8
    best = j.best_node()
    assert best is not None and best.metric is not None and best.metric > 0.9
    assert best.metric_source == "parsed" and j.lower_is_better is False
    stages = {n.stage for n in j}
    assert {"draft", "improve"} <= stages
    families = {read_spec(n.code).family for n in j if read_spec(n.code)}  # type: ignore[union-attr]
    assert len(families) >= 4  # the drafts explore different model families
    assert all(len(n.cells) >= 4 and n.cells[0].startswith("# %%") for n in j)
    for n in j.nodes[5:]:  # improvements record what they changed
        assert n.plan.startswith("Improve the previous solution")


async def test_data_folder_with_test_csv_writes_a_submission(tmp_path: Path) -> None:
    data = load_diabetes(as_frame=True).frame
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    data.iloc[:350].to_csv(data_dir / "train.csv", index=False)
    data.iloc[350:].drop(columns=["target"]).to_csv(data_dir / "test.csv", index=False)
    search = info(goal="Predict disease progression.", data_dir=str(data_dir), target="target")
    loop = SearchLoop(
        search,
        Journal(),
        SearchConfig(steps=2, num_drafts=2, seed=0),
        BuiltinCoder(families=["linear", "knn"]),
        SubprocessExecutor(),
        tmp_path / "run",
    )
    await loop.run()
    first = loop.journal.nodes[0]
    assert first.is_good, first.output
    assert loop.journal.lower_is_better is True and 40 < first.metric < 70  # RMSE
    submission = pd.read_csv(tmp_path / "run" / "nodes" / first.id / "submission.csv")
    assert list(submission.columns) == ["id", "target"] and len(submission) == len(data) - 350


async def test_arrays_named_x_and_y(tmp_path: Path) -> None:
    X, y = load_breast_cancer(return_X_y=True)
    ctx = TaskContext(goal="classify", data=["X", "y"], seed=3)
    reply = await BuiltinCoder().draft(Prompt("draft", {}, ctx, draft_index=0))
    _, code = parse_code_reply(reply.text)
    executor = SubprocessExecutor({"X": X, "y": y})
    from aide_jupyter.search.executor import ExecRequest

    result = await executor.run(ExecRequest("n", code, str(tmp_path), 120, data_names=["X", "y"]))
    assert result.ok, result.output
    assert "validation_metric: 0.9" in result.output


def _prompt(stage: str, parent: Node | None = None, **kw: object) -> Prompt:
    ctx = TaskContext(goal="predict; metric MAE", data=["df"], target="t", seed=1)
    return Prompt(stage, {}, ctx, parent=parent, step=7, **kw)  # type: ignore[arg-type]


async def _code(coder: BuiltinCoder, prompt: Prompt, stage: str) -> str:
    reply = await getattr(coder, stage)(prompt)
    return parse_code_reply(reply.text)[1]


async def test_improve_mutates_one_thing_and_avoids_repeats() -> None:
    coder = BuiltinCoder()
    parent_code = await _code(coder, _prompt("draft", draft_index=1), "draft")
    parent = Node(id="p", step=1, stage="draft", code=parent_code)
    spec = read_spec(parent_code)
    assert spec is not None and spec.family == "random_forest" and spec.reg_metric == "mae"
    tried: list[str] = []
    for step in range(6):
        prompt = _prompt("improve", parent, tried_codes=list(tried))
        prompt.step = step
        child = read_spec(await _code(coder, prompt, "improve"))
        assert child is not None and child != spec
        assert child.to_json() not in {read_spec(c).to_json() for c in tried}  # type: ignore[union-attr]
        tried.append(await _code(coder, prompt, "improve"))


async def test_debug_reacts_to_the_failure() -> None:
    coder = BuiltinCoder()
    code = await _code(coder, _prompt("draft", draft_index=2), "draft")  # hist_gb
    slow = Node(id="p", step=1, stage="draft", code=code, exit_cause="timeout")
    fixed = read_spec(await _code(coder, _prompt("debug", slow), "debug"))
    assert fixed is not None and fixed.folds == 3 and fixed.params["max_iter"] == 50
    missing = Node(
        id="q",
        step=1,
        stage="draft",
        code=code.replace('"hist_gb"', '"lightgbm"'),
        exit_cause="exception",
        exc_type="ModuleNotFoundError",
    )
    assert read_spec(await _code(coder, _prompt("debug", missing), "debug")).family == (  # type: ignore[union-attr]
        "random_forest"
    )
    foreign = Node(id="r", step=1, stage="fork", code="import nothing\n", exc_type="ImportError")
    reply = await coder.debug(_prompt("debug", foreign))
    assert "cannot repair arbitrary code" in reply.text


async def test_instruction_and_review() -> None:
    coder = BuiltinCoder()
    code = await _code(coder, _prompt("draft", draft_index=0), "draft")
    parent = Node(id="p", step=1, stage="draft", code=code)
    spec = read_spec(
        await _code(coder, _prompt("improve", parent, instruction="try extra trees"), "improve")
    )
    assert spec is not None and spec.family == "extra_trees"
    ran = Node(
        id="n",
        step=2,
        stage="draft",
        code=code,
        exit_cause="ok",
        output="validation_metric: 41.5 (mae, lower is better)\n",
    )
    review = await coder.review(Prompt("review", {}, _prompt("x").context, node=ran))
    assert (review.is_bug, review.metric, review.lower_is_better) == (False, 41.5, True)
    broken = Node(
        id="m",
        step=2,
        stage="draft",
        code=code,
        exit_cause="exception",
        exc_type="ValueError",
        output="Traceback",
    )
    assert (await coder.review(Prompt("review", {}, _prompt("x").context, node=broken))).is_bug


async def test_needs_data() -> None:
    with pytest.raises(CoderError, match="needs data"):
        await BuiltinCoder().draft(Prompt("draft", {}, TaskContext(goal="anything")))


async def test_fork_follows_family_and_numbers_and_the_plan_is_honest() -> None:
    coder = BuiltinCoder()
    ask = "try gradient boosting with 300 trees"
    linear = Node(id="p", step=1, stage="draft", code=await _code(coder, _prompt("draft"), "draft"))
    reply = await coder.improve(_prompt("improve", linear, instruction=ask))
    spec = read_spec(parse_code_reply(reply.text)[1])
    assert spec is not None and spec.family == "hist_gb" and spec.params["max_iter"] == 300
    assert "hist gb model, max_iter=300" in reply.text
    gb = Node(id="g", step=2, stage="fork", code=parse_code_reply(reply.text)[1])
    again = await coder.improve(_prompt("improve", gb, instruction="300 trees, depth 4"))
    changed = read_spec(parse_code_reply(again.text)[1])
    assert changed is not None and changed.params["max_iter"] == 300
    assert "max_iter=300" in again.text  # hist_gb has no max_depth: not claimed
    assert "max_depth" not in again.text
    same = await coder.improve(_prompt("improve", gb, instruction=ask))
    assert "asks for what the parent already does" in same.text
    vague = await coder.improve(_prompt("improve", gb, instruction="make it better somehow"))
    assert "could not follow 'make it better somehow'" in vague.text


async def test_improve_on_classification_never_proposes_a_log_target() -> None:
    coder = BuiltinCoder()
    code = await _code(coder, _prompt("draft"), "draft")
    parent = Node(id="p", step=1, stage="draft", code=code, output="task: classification, 5 rows")
    for step in range(40):
        prompt = _prompt("improve", parent)
        prompt.step = step
        reply = await coder.improve(prompt)
        assert "log scale" not in reply.text
        spec = read_spec(parse_code_reply(reply.text)[1])
        assert spec is not None and not spec.log_target
