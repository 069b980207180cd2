"""Trusted scores, engine side: holdout metric names, the harness verdict, the over-fit flag.

The split and the scoring happen in the kernel (`aide_jupyter.executors.harness`); the engine only
knows metric names and directions, asks the executor to prepare the split once per search, and
turns the harness's score into the node's `metric` (`metric_source: "harness"`), keeping the
node's own number as `reported_metric`.
"""

from __future__ import annotations

import difflib
import math
import re
from dataclasses import dataclass
from typing import Any

from .executor import ExecResult, ExecutorLost
from .review import Verdict, parse_metric

# name -> lower is better; the kernel harness knows how to compute each of them.
METRICS: dict[str, bool] = {
    "accuracy": False,
    "balanced_accuracy": False,
    "f1": False,
    "roc_auc": False,
    "log_loss": True,
    "rmse": True,
    "mae": True,
    "r2": False,
    "rmsle": True,
}
PROBABILITY_METRICS = ("roc_auc", "log_loss")
# Metrics bounded in [0, 1]-ish (scores): a gap is judged in absolute terms; errors relatively.
_BOUNDED = ("accuracy", "balanced_accuracy", "f1", "roc_auc", "r2")
FLAG_ABS_GAP = 0.05
FLAG_REL_GAP = 0.2
_ALIASES = {
    "acc": "accuracy",
    "balanced_acc": "balanced_accuracy",
    "f1_macro": "f1",
    "macro_f1": "f1",
    "f1_score": "f1",
    "auc": "roc_auc",
    "roc": "roc_auc",
    "rocauc": "roc_auc",
    "auroc": "roc_auc",
    "logloss": "log_loss",
    "cross_entropy": "log_loss",
    "root_mean_squared_error": "rmse",
    "rsme": "rmse",
    "mean_absolute_error": "mae",
    "r_squared": "r2",
    "r^2": "r2",
    "root_mean_squared_log_error": "rmsle",
}


class HoldoutSetupError(RuntimeError):
    """The holdout could not be prepared; the search cannot run with it."""


def _norm(text: str) -> str:
    return re.sub(r"[\s\-]+", "_", text.strip().lower())


def canonical_metric(text: str | None) -> str | None:
    """The harness name for a metric name or alias (`AUC` -> roc_auc); None if unknown."""
    if not text:
        return None
    word = _norm(text)
    return word if word in METRICS else _ALIASES.get(word)


# Metric names the harness cannot score but a coder may well be asked for: never a typo.
_OTHER_METRICS = (
    "mse", "msle", "mape", "smape", "wape", "precision", "recall", "kappa", "qwk",
    "quadratic_weighted_kappa", "gini", "map", "map@k", "ndcg", "mrr", "iou", "dice", "bleu",
    "rouge", "wer", "cer", "pinball", "quantile", "poisson", "gamma", "tweedie", "mcc", "brier",
    "f2", "f0.5", "spearman", "pearson", "correlation", "huber", "medae", "max_error",
)  # fmt: skip


def metric_typo(text: str | None) -> str | None:
    """The metric a misspelt name was meant to be (`acuracy` -> accuracy), else None: a known
    name, an alias, a metric only a coder computes (mape, kappa, ...) or free text pass."""
    if not text or canonical_metric(text) is not None:
        return None
    word = _norm(text)
    if len(word) < 4 or word in _OTHER_METRICS:
        return None
    names = [*METRICS, *_ALIASES, *_OTHER_METRICS]
    close = difflib.get_close_matches(word, names, n=1, cutoff=0.8)
    if not close or close[0] in _OTHER_METRICS:
        return None
    return canonical_metric(close[0])


def metric_typo_message(text: str) -> str | None:
    """The one-line complaint about a misspelt metric name, or None when there is none."""
    meant = metric_typo(text)
    if meant is None:
        return None
    return (
        f"{text!r} is not a metric name; did you mean {meant}? (known: {', '.join(METRICS)}; "
        "other metrics go in the goal text)"
    )


def metric_in_text(text: str) -> str | None:
    """The one metric a goal or evaluation text names (`... metric RMSE ...`), or None."""
    words = re.findall(r"[a-z0-9^]+", text.lower())
    grams = {"_".join(words[i : i + n]) for n in (1, 2, 3, 4) for i in range(len(words))}
    found = {canonical_metric(g) for g in grams} - {None}
    if "rmsle" in found:
        found.discard("rmse")
    if "balanced_accuracy" in found:
        found.discard("accuracy")
    return found.pop() if len(found) == 1 else None  # type: ignore[return-value]


def resolve_metric(metric: str | None, text: str) -> str | None:
    """The holdout's metric: the named one (ValueError if the harness cannot score it), else the
    one the goal text names, else None (the kernel picks accuracy or rmse from the target)."""
    if metric:
        name = canonical_metric(metric)
        if name is None:
            raise ValueError(
                f"{metric!r} is not a metric the holdout can score; one of {', '.join(METRICS)}"
            )
        return name
    return metric_in_text(text)


@dataclass
class HarnessVerdict:
    verdict: Verdict
    reported_metric: float | None
    holdout_error: str | None
    metric_flag: str | None


def gap_flag(reported: float | None, holdout: float | None, metric: str) -> str | None:
    """A warning when the node's own number is far better than its holdout score."""
    if reported is None or holdout is None or not math.isfinite(reported):
        return None
    lower = METRICS[metric]
    gain = (holdout - reported) if lower else (reported - holdout)
    if metric in _BOUNDED:
        far = gain > FLAG_ABS_GAP
    else:
        far = gain > FLAG_REL_GAP * max(abs(holdout), 1e-12)
    if not far:
        return None
    return (
        f"reported {reported:.4g} but scores {holdout:.4g} {metric} on the holdout: "
        "far better than its holdout score (over-fit or dishonest)"
    )


def harness_verdict(
    result: ExecResult, base: Verdict, *, review_is_bug: bool | None, metric: str
) -> HarnessVerdict:
    """The node's verdict when a holdout is on: the harness's score is the node's metric.

    Buggy = the script did not finish cleanly, the reviewer says it is a bug, or the harness could
    not score it (no predict/model, wrong length or type): the reason goes to the debug prompt.
    The node's own printed number is kept as `reported_metric`, and need not be there at all.
    """
    reported = base.metric
    harness = result.harness or {}
    value = harness.get("metric")
    error = harness.get("error")
    notes = [n for n in [base.analysis] if n]
    if result.ok and value is None and error is None:
        error = "the executor returned no holdout score"
    if not result.ok:
        error = None  # the script's own failure is the reason
    if value is not None and not math.isfinite(float(value)):
        error, value = f"the holdout score {value} is not a finite number", None
    if value is not None:
        notes = [n for n in notes if not n.startswith("No validation metric was found")]
        notes.append(f"Holdout {metric}: {float(value):.6g} on {harness.get('rows', '?')} rows.")
    if error:
        notes.append(f"Holdout scoring failed: {error}")
    buggy = (not result.ok) or bool(review_is_bug) or value is None
    flag = None
    if value is not None:
        parsed = parse_metric(result.output)
        named = canonical_metric(parsed.name) if parsed is not None and parsed.name else None
        if named in (None, metric):  # only the same metric can be compared
            flag = gap_flag(reported, float(value), metric)
    if flag:
        notes.append(f"Warning: {flag}.")
    verdict = Verdict(
        is_buggy=buggy,
        metric=float(value) if value is not None else None,
        metric_source="harness" if value is not None else None,
        lower_is_better=METRICS[metric],
        analysis=" ".join(notes),
    )
    return HarnessVerdict(verdict, reported, error, flag)


def contract_text(holdout: dict[str, Any]) -> str:
    """What the prompts tell the coder about how its solution is scored."""
    metric = holdout.get("metric")
    proba = metric in PROBABILITY_METRICS
    name = f"{metric} ({'lower' if METRICS.get(metric or '', False) else 'higher'} is better)"
    rows = holdout.get("rows")
    where = (
        f"the data folder {holdout['data_dir']} holds only the training rows"
        if holdout.get("data_dir")
        else "the in-memory frame holds only the training rows"
    )
    return "\n".join(
        [
            f"The search scores every solution itself on {rows or 'some'} held-out rows that the "
            f"script never sees ({where}). The metric is {name if metric else 'chosen by the task'}.",
            "When the script ends it must leave, as a global variable, EITHER a function "
            "`predict(frame)` OR a fitted `model` (e.g. a scikit-learn Pipeline) whose "
            "`.predict(frame)` takes a DataFrame with the same feature columns as the training "
            "data (every column except the target, same names and dtypes, including any id "
            "column) and returns one prediction per row."
            + (
                " This metric needs class probabilities: define `predict_proba(frame)` "
                "or leave a `model` with `.predict_proba`."
                if proba
                else ""
            ),
            "Do any feature engineering inside that function or pipeline. Fit on all the "
            "training rows you have. Still print your own validation score as "
            "`validation_metric: <number>`; it is shown next to the holdout score.",
        ]
    )


def summary(holdout: dict[str, Any] | None) -> dict[str, Any] | None:
    """The search summary's `holdout: {fraction, rows, metric}` (rows None until the split)."""
    if not holdout:
        return None
    return {
        "fraction": holdout.get("fraction"),
        "rows": holdout.get("rows"),
        "metric": holdout.get("metric"),
    }


async def prepare(executor: Any, info: Any, *, seed: int, copy_dir: str) -> dict[str, Any]:
    """Split once per search where the data lives; `info.holdout` gets rows, task, metric, key.

    Called at every start of the loop: the kernel side is idempotent per key, and a restarted
    kernel gets the same seeded split again."""
    asked = dict(info.holdout or {})
    if not callable(getattr(executor, "prepare_holdout", None)):
        raise HoldoutSetupError(
            f"the executor {type(executor).__name__} cannot hold out rows; "
            "run the search in a Jupyter kernel, or without --holdout"
        )
    args = {
        "key": asked.get("key") or info.id,
        "target": info.target,
        "fraction": float(asked["fraction"]),
        "metric": asked.get("metric"),
        "seed": seed,
        "names": list(info.data),
        "data_dir": None if info.data else info.data_dir,
        "copy_dir": copy_dir,
    }
    try:
        answer = await executor.prepare_holdout(args)
    except (HoldoutSetupError, ExecutorLost):
        raise
    except Exception as exc:
        message = str(exc).split("HoldoutError: ", 1)[-1]
        raise HoldoutSetupError(f"could not hold out rows: {message}") from exc
    merged = {**asked, **answer, "fraction": args["fraction"], "key": args["key"]}
    info.holdout = merged
    return merged
