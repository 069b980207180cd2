"""Trusted scores in the engine: metric names, the harness verdict, the loop with a holdout."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from aide_jupyter.search import holdout
from aide_jupyter.search.config import SearchConfig
from aide_jupyter.search.executor import ExecRequest, ExecResult, HoldoutExecutor
from aide_jupyter.search.journal import Journal
from aide_jupyter.search.loop import SearchLoop
from aide_jupyter.search.review import build_verdict
from tests.support_engine.fakes import FakeCoder, FakeExecutor, info


def test_metric_names_and_aliases() -> None:
    assert holdout.canonical_metric("AUC") == "roc_auc"
    assert holdout.canonical_metric("log-loss") == "log_loss"
    assert holdout.canonical_metric("F1 macro") == "f1"
    assert holdout.canonical_metric("RMSE") == "rmse"
    assert holdout.canonical_metric("brier") is None
    assert holdout.metric_in_text("predict the price; metric RMSE of the price") == "rmse"
    assert holdout.metric_in_text("maximise balanced accuracy") == "balanced_accuracy"
    assert holdout.metric_in_text("score by rmsle") == "rmsle"
    assert holdout.metric_in_text("accuracy or AUC, whichever") is None  # ambiguous
    assert holdout.METRICS["log_loss"] is True and holdout.METRICS["r2"] is False


@pytest.mark.parametrize(
    ("text", "meant"),
    [
        ("acuracy", "accuracy"),
        ("accurcy", "accuracy"),
        ("ballanced_accuracy", "balanced_accuracy"),
        ("log_los", "log_loss"),
        ("mean absolute eror", "mae"),
        ("accuracy", None),  # known names and aliases pass
        ("RSME", None),  # a common slip, taken as an alias of rmse
        ("AUC", None),
        ("mape", None),  # metrics only a coder computes are not typos of known ones
        ("precison", None),
        ("quadratic weighted kappa", None),
        ("the share of correct rows", None),  # free text
    ],
)
def test_a_misspelt_metric_is_caught_and_others_pass(text: str, meant: str | None) -> None:
    assert holdout.metric_typo(text) == meant
    message = holdout.metric_typo_message(text)
    assert (message is None) == (meant is None)
    if message:
        assert f"did you mean {meant}?" in message and "\n" not in message


def test_engine_and_kernel_know_the_same_metrics() -> None:
    from aide_jupyter.executors import harness

    assert set(harness.SCORERS) == set(holdout.METRICS)
    assert {m for m, (_, proba) in harness.SCORERS.items() if proba} == set(
        holdout.PROBABILITY_METRICS
    )


@pytest.mark.parametrize(
    ("reported", "score", "metric", "flagged"),
    [
        (1.0, 0.71, "accuracy", True),
        (0.999, 0.63, "accuracy", True),
        (0.83, 0.81, "accuracy", False),
        (0.80, 0.84, "accuracy", False),  # worse than its holdout: not suspicious
        (40.0, 60.0, "rmse", True),
        (55.0, 58.0, "rmse", False),
        (0.05, 0.4, "log_loss", True),
        (None, 0.8, "accuracy", False),
    ],
)
def test_gap_flag(reported: float | None, score: float, metric: str, flagged: bool) -> None:
    flag = holdout.gap_flag(reported, score, metric)
    assert bool(flag) is flagged
    if flag:
        assert "far better than its holdout score" in flag


def _result(output: str, harness: dict[str, Any] | None, cause: str = "ok") -> ExecResult:
    return ExecResult(output, exit_cause=cause, harness=harness)


def test_harness_verdict_uses_the_holdout_score() -> None:
    res = _result("validation_metric: 1.0 (accuracy)\n", {"metric": 0.7, "rows": 50})
    v = holdout.harness_verdict(res, build_verdict(res), review_is_bug=False, metric="accuracy")
    assert v.verdict.metric == 0.7 and v.verdict.metric_source == "harness"
    assert v.reported_metric == 1.0 and not v.verdict.is_buggy and v.metric_flag
    assert "Holdout accuracy: 0.7 on 50 rows" in v.verdict.analysis


def test_harness_verdict_without_a_printed_metric_is_still_good() -> None:
    res = _result("trained\n", {"metric": 0.9, "rows": 50})
    v = holdout.harness_verdict(res, build_verdict(res), review_is_bug=None, metric="accuracy")
    assert not v.verdict.is_buggy and v.reported_metric is None and v.metric_flag is None
    assert "No validation metric" not in v.verdict.analysis


def test_harness_error_makes_the_node_buggy_with_the_reason() -> None:
    res = _result("validation_metric: 0.9\n", {"error": "the script left no `predict(frame)`"})
    v = holdout.harness_verdict(res, build_verdict(res), review_is_bug=False, metric="accuracy")
    assert v.verdict.is_buggy and v.verdict.metric is None
    assert v.holdout_error == "the script left no `predict(frame)`"
    assert "Holdout scoring failed" in v.verdict.analysis


def test_a_different_reported_metric_is_not_compared() -> None:
    res = _result("validation_metric: 0.2 (log_loss)\n", {"metric": 0.95, "rows": 50})
    v = holdout.harness_verdict(res, build_verdict(res), review_is_bug=False, metric="rmse")
    assert v.metric_flag is None


class HoldoutFake(FakeExecutor):
    """Scripts say `value = <own number>` and `holdout = <harness score>` (or `holdout = None`)."""

    def __init__(self) -> None:
        super().__init__(outcome=self._outcome)
        self.prepared: list[dict[str, Any]] = []
        self.released: list[str] = []

    async def prepare_holdout(self, args: dict[str, Any]) -> dict[str, Any]:
        self.prepared.append(args)
        return {
            "key": args["key"],
            "rows": 40,
            "train_rows": 160,
            "task": "classification",
            "metric": args["metric"] or "accuracy",
        }

    async def release_holdout(self, key: str) -> None:
        self.released.append(key)

    def _outcome(self, request: ExecRequest) -> ExecResult:
        value = re.search(r"^value = (.*)$", request.code, re.M)
        score = re.search(r"^holdout = (.*)$", request.code, re.M)
        assert request.harness == {"key": "s1"}
        harness: dict[str, Any] = (
            {"metric": float(score[1]), "rows": 40}
            if score and score[1] != "None"
            else {"error": "the script left no `predict(frame)` (or a fitted `model`)"}
        )
        return ExecResult(f"validation_metric: {value[1] if value else 'nan'}\n", harness=harness)


def _coder(pairs: list[tuple[float, float | None]]) -> FakeCoder:
    coder = FakeCoder()

    def reply(prompt: Any) -> str:
        own, score = pairs[min(coder.calls - 1, len(pairs) - 1)]
        return f"Plan.\n\n```python\nvalue = {own}\nholdout = {score}\nprint(value)\n```\n"

    coder.next_reply = reply
    return coder


def _loop(tmp_path: Path, coder: FakeCoder, executor: Any, **cfg: Any) -> SearchLoop:
    config = SearchConfig.from_dict({"seed": 3, **cfg})
    return SearchLoop(
        info(data=["df"], target="y", holdout={"fraction": 0.2, "metric": None}),
        Journal(),
        config,
        coder,
        executor,
        tmp_path,
    )


async def test_loop_scores_nodes_on_the_holdout_and_picks_the_honest_best(tmp_path: Path) -> None:
    coder = _coder([(1.0, 0.70), (0.999, 0.62), (0.80, 0.79), (0.83, 0.81)])
    ex = HoldoutFake()
    loop = _loop(tmp_path, coder, ex, steps=4, num_drafts=4)
    assert isinstance(ex, HoldoutExecutor)
    await loop.run()
    j = loop.journal
    assert [n.metric for n in j] == [0.70, 0.62, 0.79, 0.81]
    assert [n.reported_metric for n in j] == [1.0, 0.999, 0.80, 0.83]
    assert all(n.metric_source == "harness" for n in j)
    assert [bool(n.metric_flag) for n in j] == [True, True, False, False]
    best = j.best_node()
    assert best is not None and best.reported_metric == 0.83 and best.metric == 0.81
    assert j.lower_is_better is False
    summary = loop.summary()
    assert summary["holdout"] == {"fraction": 0.2, "rows": 40, "metric": "accuracy"}
    assert summary["best"] == {"node_id": best.id, "metric": 0.81}
    assert ex.prepared[0]["names"] == ["df"] and ex.prepared[0]["seed"] == 3
    assert ex.released == ["s1"]
    prompt = coder.prompts[0]
    assert "scoring" in prompt.sections and "predict(frame)" in prompt.sections["scoring"]
    assert "40 held-out rows" in prompt.sections["scoring"]


async def test_unscorable_node_is_debugged_with_the_reason(tmp_path: Path) -> None:
    coder = _coder([(0.9, None), (0.9, 0.85)])
    loop = _loop(tmp_path, coder, HoldoutFake(), steps=2, num_drafts=1, debug_prob=1.0)
    await loop.run()
    first, second = loop.journal.nodes
    assert first.is_buggy and first.metric is None and first.reported_metric == 0.9
    assert "predict(frame)" in (first.holdout_error or "")
    assert second.stage == "debug" and second.parent_id == first.id
    debug_prompt = coder.prompts[1]
    assert (
        "[holdout scoring failed: the script left no `predict(frame)`"
        in (debug_prompt.sections["execution_output"])
    )


async def test_an_executor_without_holdout_support_fails_the_search(tmp_path: Path) -> None:
    loop = _loop(tmp_path, _coder([(0.9, 0.9)]), FakeExecutor(), steps=2)
    reason = await loop.run()
    assert loop.status == "failed" and reason.startswith("holdout: ")
    assert "cannot hold out rows" in reason and len(loop.journal) == 0


async def test_holdout_off_keeps_the_old_behaviour(tmp_path: Path) -> None:
    coder = _coder([(1.0, 0.70), (0.8, 0.79)])
    loop = SearchLoop(
        info(data=["df"], target="y"),
        Journal(),
        SearchConfig.from_dict({"seed": 3, "steps": 2, "num_drafts": 2, "lower_is_better": False}),
        coder,
        FakeExecutor(),
        tmp_path,
    )
    await loop.run()
    assert [n.metric for n in loop.journal] == [1.0, 0.8]
    assert all(n.metric_source == "parsed" and n.reported_metric is None for n in loop.journal)
    assert loop.summary()["holdout"] is None and "scoring" not in coder.prompts[0].sections
