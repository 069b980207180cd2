"""Big data's boosted models in builtin scripts: many trees stopped early on a real kernel."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from aide_jupyter.coders.builtin_boost import BOOST_TREES
from aide_jupyter.coders.builtin_render import render
from aide_jupyter.coders.builtin_templates import DataSource, Spec
from aide_jupyter.search.executor import ExecRequest
from aide_jupyter.search.review import parse_metric
from tests.support_engine.subprocess_executor import SubprocessExecutor

pytestmark = pytest.mark.timeout(300)

# After the script: the split's score recomputed by hand (a fresh model fitted on the split's
# 80%), and what the final model is.
CHECK = """
split_idx, val_idx = next(cv.split(X, y))
EarlyStopped.fixed = False
on_split = make_model_0().fit(X.iloc[split_idx], y.iloc[split_idx])
err = on_split.predict(X.iloc[val_idx]) - y.iloc[val_idx]
print(f"rmse on the split: {np.sqrt(np.mean(err ** 2)):.6f}")
final = model.named_steps["model"]
print("final:", type(final).__name__, final.trees_, len(X))
"""


def _frame(rows: int) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    df = pd.DataFrame(rng.normal(size=(rows, 4)), columns=list("abcd"))
    df["c"] = rng.choice(list("xyz"), rows)
    df["t"] = 2 * df.a + np.sin(3 * df.b) + (df.c == "x") + 0.3 * rng.normal(size=rows)
    return df


@pytest.mark.parametrize("family", ["lightgbm", "xgboost", "hist_gb"])
async def test_big_data_boosting_stops_early_scores_the_split_and_refits_its_trees(
    tmp_path: Path, family: str
) -> None:
    """Above BIG_ROWS a boosted model grows trees until its own held-out tenth stops improving;
    the printed metric is the untouched split's score; the refit on all rows grows the trees
    that fit kept."""
    df = _frame(12_000)
    src = DataSource(kind="frames", names=["df"], target="t")
    code = render(Spec.defaults(family), src, seed=0) + CHECK
    result = await SubprocessExecutor({"df": df}).run(
        ExecRequest("n", code, str(tmp_path), 120, data_names=["df"])
    )
    assert result.ok, result.output
    lines = [line for line in result.output.splitlines() if "early stopping kept" in line]
    assert len(lines) == 2, result.output  # the script's split fit and CHECK's, the same fit
    assert lines[0] == lines[1]
    trees = int(lines[0].split("kept ")[1].split(" of")[0])
    assert 10 < trees < BOOST_TREES, result.output
    metric = parse_metric(result.output)
    assert metric is not None and metric.value < 0.5, result.output
    assert f"rmse on the split: {metric.value:.6f}" in result.output, result.output
    assert "final fit: on all 12000 rows" in result.output
    assert f"final: EarlyStoppedRegressor {trees} 12000" in result.output


@pytest.mark.parametrize("family", ["lightgbm", "xgboost"])
async def test_big_data_boosted_classifier_gives_labels_and_probabilities(
    tmp_path: Path, family: str
) -> None:
    """String labels: the wrapper encodes them, so the stop rows' labels match the fit's."""
    df = _frame(12_000)
    df["t"] = np.where(df.t > 0.5, "high", "low")
    src = DataSource(kind="frames", names=["df"], target="t")
    code = render(Spec.defaults(family, clf_metric="logloss"), src, seed=0)
    code += "\nprint('proba rows:', predict_proba(df).shape, list(model.classes_))"
    code += "\nprint('labels:', sorted(set(predict(df))))\n"
    result = await SubprocessExecutor({"df": df}).run(
        ExecRequest("n", code, str(tmp_path), 120, data_names=["df"])
    )
    assert result.ok, result.output
    assert "early stopping kept" in result.output
    metric = parse_metric(result.output)
    assert metric is not None and metric.value < 0.3, result.output
    assert "proba rows: (12000, 2) ['high', 'low']" in result.output
    assert "labels: ['high', 'low']" in result.output


async def test_small_data_keeps_the_grids_trees(tmp_path: Path) -> None:
    """At most BIG_ROWS rows the boosted model is the plain estimator with its grid's trees."""
    src = DataSource(kind="frames", names=["df"], target="t")
    code = render(Spec.defaults("lightgbm"), src, seed=0)
    code += "\nprint('small:', type(model.named_steps['model']).__name__, EarlyStopped.found)\n"
    result = await SubprocessExecutor({"df": _frame(600)}).run(
        ExecRequest("n", code, str(tmp_path), 120, data_names=["df"])
    )
    assert result.ok, result.output
    assert "small: LGBMRegressor {}" in result.output and "early stopping" not in result.output
    assert "EarlyStopped" not in render(Spec.defaults("random_forest"), src, seed=0)
