"""The builtin coder on a seed: it tunes the user's own estimator, and its scripts really run."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from sklearn.datasets import load_breast_cancer

from aide_jupyter.coders.builtin import BuiltinCoder
from aide_jupyter.coders.builtin_seed import SeedSpec, mutate, read_seed_model, read_seed_spec
from aide_jupyter.search.config import SearchConfig
from aide_jupyter.search.executor import ExecRequest
from aide_jupyter.search.journal import Journal, Node
from aide_jupyter.search.loop import SearchLoop
from aide_jupyter.search.prompts import Prompt, TaskContext
from aide_jupyter.search.review import parse_code_reply, parse_metric
from aide_jupyter.search.seeding import add_seed
from tests.support_engine.fakes import info
from tests.support_engine.subprocess_executor import SubprocessExecutor

pytestmark = pytest.mark.timeout(240)

# Feature engineering on the user's frame, then a deliberately weak tree, fitted in `model`.
TREE_SEED = """\
from sklearn.model_selection import cross_val_score
from sklearn.tree import DecisionTreeClassifier
features = df.drop(columns=["target"]).copy()
features["area_ratio"] = features["worst area"] / features["mean area"]
model = DecisionTreeClassifier(max_depth=1, random_state=0)
print("accuracy:", cross_val_score(model, features, df["target"], cv=5).mean())
model.fit(features, df["target"])
"""

PIPELINE_SEED = """\
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
X = df.drop(columns=["target"])
y = df["target"]
model = make_pipeline(StandardScaler(), LogisticRegression(C=0.001, max_iter=500)).fit(X, y)
"""


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        (TREE_SEED, ("DecisionTreeClassifier", {"max_depth": 1, "random_state": 0})),
        (PIPELINE_SEED, ("LogisticRegression", {"C": 0.001, "max_iter": 500})),
        (
            "model = Pipeline([('prep', prep), ('rf', RandomForestRegressor(n_estimators=50))])",
            ("RandomForestRegressor", {"n_estimators": 50}),
        ),
        ("clf = Ridge()\nclf.fit(X, y)", ("", {})),
        ("model = (", ("", {})),
    ],
)
def test_the_coder_reads_which_estimator_the_seed_fits(code: str, expected: tuple) -> None:
    assert read_seed_model(code) == expected


def test_mutations_step_the_estimators_own_parameters() -> None:
    seen: set[str] = set()
    for i in range(30):
        s = SeedSpec(estimator="DecisionTreeClassifier", base={"max_depth": 1})
        change = mutate(s, random.Random(i))
        assert ("of the user's DecisionTreeClassifier" in change) == bool(s.params)
        seen |= set(s.params)
        assert s.params.get("max_depth", None) != 1
    assert seen <= {"max_depth", "min_samples_leaf"} and "max_depth" in seen


def _prompt(stage: str, parent: Node, seed: Node, frame_names: list[str]) -> Prompt:
    ctx = TaskContext(goal="classify tumours; accuracy", data=frame_names, target="target", seed=3)
    return Prompt(stage, {}, ctx, parent=parent, seed_code=seed.code, step=1)


async def test_a_pipeline_seed_is_tuned_inside_its_pipeline(tmp_path: Path) -> None:
    df = load_breast_cancer(as_frame=True).frame
    seed = Node(id="s", step=0, stage="seed", code=PIPELINE_SEED, status="done", is_buggy=False)
    coder = BuiltinCoder()
    for attempt in range(6):  # steps land on the only grid this estimator has: C
        prompt = _prompt("improve", seed, seed, ["df"])
        prompt.step = attempt
        reply = await coder.improve(prompt)
        plan, code = parse_code_reply(reply.text)
        spec = read_seed_spec(code)
        assert spec is not None and spec.estimator == "LogisticRegression"
        if spec.params:
            break
    assert plan.startswith("Improve the user's own model") and set(spec.params) == {"C"}
    assert code.startswith(PIPELINE_SEED.splitlines()[0]) or PIPELINE_SEED in code
    result = await SubprocessExecutor({"df": df}).run(
        ExecRequest(node_id="n", code=code, workdir=str(tmp_path / "n"), data_names=["df"])
    )
    assert result.exit_cause == "ok", result.output
    assert f"logisticregression__C': {spec.params['C']}" in result.output
    assert parse_metric(result.output) is not None


async def test_a_seed_without_a_metric_is_debugged_by_validating_the_users_model(
    tmp_path: Path,
) -> None:
    df = load_breast_cancer(as_frame=True).frame
    seed = Node(id="s", step=0, stage="seed", code=PIPELINE_SEED, status="done", exit_cause="ok")
    reply = await BuiltinCoder().debug(_prompt("debug", seed, seed, ["df"]))
    plan, code = parse_code_reply(reply.text)
    assert "no validation metric" in plan and read_seed_spec(code).params == {}  # type: ignore[union-attr]
    result = await SubprocessExecutor({"df": df}).run(
        ExecRequest(node_id="n", code=code, workdir=str(tmp_path / "n"), data_names=["df"])
    )
    metric = parse_metric(result.output)
    assert result.exit_cause == "ok" and metric is not None and 0.8 < metric.value <= 1.0


async def test_a_search_from_a_weak_seed_tunes_it_and_compares_with_templates(
    tmp_path: Path,
) -> None:
    df = load_breast_cancer(as_frame=True).frame
    journal = Journal()
    root = add_seed(journal, TREE_SEED)
    config = SearchConfig.from_dict({"seed": 0, "steps": 6, "debug_prob": 0.0})
    search = info(goal="Classify tumours; metric accuracy.", data=["df"], target="target")
    loop = SearchLoop(
        search, journal, config, BuiltinCoder(), SubprocessExecutor({"df": df}), tmp_path
    )
    await loop.run()
    assert root.is_good and root.metric is not None and 0.85 < root.metric < 0.95
    tuned = [n for n in journal if read_seed_spec(n.code) is not None]
    assert tuned and tuned[0].parent_id == root.id and tuned[0].is_good
    assert "tuning DecisionTreeClassifier: set" in tuned[0].output
    assert all(TREE_SEED in n.code for n in tuned)  # the user's features are kept
    drafts = [n for n in journal if n.stage == "draft"]
    assert len(drafts) == 2 and all(n.is_good for n in drafts)
    best = journal.best_node()
    assert best is not None and best.metric >= root.metric  # type: ignore[operator]
    assert best.metric > root.metric  # type: ignore[operator]
