"""The kernel-side holdout harness, function by function, with real pandas and scikit-learn.

The node's side runs in a forked child, as the runner does it, so "labels never reach the child"
is checked in a process that really inherited the parent's memory.
"""

from __future__ import annotations

import ast
import json
import os
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm
from sklearn.datasets import load_breast_cancer, load_diabetes, load_wine

from aide_jupyter.executors import harness

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")


@pytest.fixture(autouse=True)
def _clean_state() -> Any:
    harness._STATE.clear()
    yield
    harness._STATE.clear()


def _cancer() -> pd.DataFrame:
    df = load_breast_cancer(as_frame=True).frame
    df.insert(0, "row_id", np.arange(len(df)))
    return df


def _prep(ns: dict[str, Any], **kw: Any) -> dict[str, Any]:
    args = {"key": "s1", "target": "target", "fraction": 0.2, "seed": 7, "names": ["df"]}
    args.update(kw)
    return harness.prepare(ns, args)


def run_node(ns: dict[str, Any], code: str, workdir: Path, key: str = "s1") -> dict[str, Any]:
    """What the runner does: fork, prepare_child, exec, after_exec; then score in the parent."""
    out = workdir / "child.json"
    pid = os.fork()
    if pid == 0:  # pragma: no cover - child
        res: dict[str, Any] = {"exit_cause": "ok"}
        try:
            child_ns = harness.prepare_child(dict(ns), key)
            exec(compile(code, "node.py", "exec"), child_ns)
            res["harness"] = harness.after_exec(child_ns, key, str(workdir))
            res["seen"] = child_ns.get("seen")
        except BaseException as exc:
            res = {"exit_cause": "exception", "detail": repr(exc)}
        out.write_text(json.dumps(res, default=str))
        os._exit(0)
    os.waitpid(pid, 0)
    res = json.loads(out.read_text())
    harness.score(key, res)
    return res


FIT = """
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
X, y = df.drop(columns=["target", "row_id"]), df["target"]
model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000)).fit(X, y)
"""


def test_split_is_seeded_stratified_and_complete() -> None:
    df = _cancer()
    info = _prep({"df": df})
    assert info["rows"] == round(len(df) * 0.2) and info["train_rows"] + info["rows"] == len(df)
    assert info["task"] == "classification" and info["metric"] == "accuracy"
    assert info["stratified"] is True
    state = harness._STATE["s1"]
    train, hold = state["train"]["df"], state["X_hold"]
    assert set(train["row_id"]).isdisjoint(hold["row_id"])
    assert "target" not in hold.columns and list(train.columns) == list(df.columns)
    share = df["target"].mean()
    assert abs(state["y_hold"].mean() - share) < 0.02  # stratified
    again = harness.prepare({"df": df}, {**_args(), "key": "s2"})
    assert harness._STATE["s2"]["X_hold"]["row_id"].tolist() == hold["row_id"].tolist()
    other = harness.prepare({"df": df}, {**_args(), "key": "s3", "seed": 8})
    assert harness._STATE["s3"]["X_hold"]["row_id"].tolist() != hold["row_id"].tolist()
    assert again["rows"] == other["rows"] == info["rows"]


def _args() -> dict[str, Any]:
    return {"key": "s1", "target": "target", "fraction": 0.2, "seed": 7, "names": ["df"]}


def test_prepare_is_idempotent_and_leaves_the_frame_alone() -> None:
    df = _cancer()
    before = df.copy()
    first = _prep({"df": df})
    assert _prep({"df": df.iloc[:100]}) == first  # same key: the split already made
    pd.testing.assert_frame_equal(df, before)
    assert harness.release("s1") == {"released": True} and "s1" not in harness._STATE


def test_regression_target_gets_rmse_and_no_stratification() -> None:
    df = load_diabetes(as_frame=True).frame
    info = _prep({"df": df})
    assert info["task"] == "regression" and info["metric"] == "rmse"
    assert info["stratified"] is False


@pytest.mark.parametrize(
    ("ns", "kw", "message"),
    [
        ({"df": pd.DataFrame({"a": range(50)})}, {}, "target column 'target'"),
        ({"df": np.zeros((5, 2))}, {}, "pandas DataFrame"),
        ({"df": pd.DataFrame({"a": range(6), "target": range(6)})}, {}, "too few rows"),
        (
            {"df": pd.DataFrame({"a": range(40), "target": ["x", "y"] * 20})},
            {"metric": "rmse"},
            "needs a numeric target",
        ),
        ({"df": _cancer()}, {"metric": "brier"}, "unknown holdout metric"),
        (
            {"df": pd.DataFrame({"a": range(40), "target": np.linspace(0, 3, 40)})},
            {"metric": "roc_auc"},
            "scores classes, but 'target' has 40 distinct numbers .* use one of rmse, mae",
        ),
    ],
)
def test_prepare_errors_say_what_to_change(ns: dict, kw: dict, message: str) -> None:
    with pytest.raises(harness.HoldoutError, match=message):
        _prep(ns, **kw)


def test_child_sees_training_rows_only_and_parent_scores(tmp_path: Path) -> None:
    df = _cancer()
    before = df.copy()
    info = _prep({"df": df})
    hold_ids = set(harness._STATE["s1"]["X_hold"]["row_id"])
    alias = df  # the user holds the same frame under another name
    main = sys.modules["__main__"].__dict__
    main["_aide_test_full_frame"] = df
    code = FIT + (
        "import gc, sys\n"
        "ids = set(df['row_id'])\n"
        "for v in list(globals().values()) + list(vars(sys.modules['__main__']).values()):\n"
        "    if isinstance(v, pd.DataFrame) and 'row_id' in v.columns:\n"
        "        ids |= set(v['row_id'])\n"
        "seen = {'rows': len(df), 'ids': sorted(ids), 'alias': len(alias)}\n"
    )
    try:
        res = run_node({"df": df, "alias": alias, "pd": pd}, code, tmp_path)
    finally:
        del main["_aide_test_full_frame"]
    seen = res["seen"]
    assert seen["rows"] == info["train_rows"] == seen["alias"]
    assert hold_ids.isdisjoint(seen["ids"])
    assert res["harness"]["metric_name"] == "accuracy" and res["harness"]["rows"] == info["rows"]
    assert 0.9 < res["harness"]["metric"] <= 1.0
    assert res["harness"]["via"] == "model.predict(frame)"
    assert not (tmp_path / harness.PRED_FILE).exists()  # scored, then removed
    pd.testing.assert_frame_equal(df, before)  # the user's frame is whole in the parent
    assert main.get("_aide_test_full_frame") is None


def test_labels_are_gone_from_the_childs_memory(tmp_path: Path) -> None:
    df = _cancer()
    _prep({"df": df})
    harness.prepare({"df": df}, {**_args(), "key": "other"})
    code = (
        "import sys\n"
        "h = sys.modules['aide_jupyter.executors.harness']\n"
        "seen = {k: sorted(v) for k, v in h._STATE.items()}\n"
    )
    res = run_node({"df": df}, code, tmp_path)
    assert list(res["seen"]) == ["s1"]
    assert "y_hold" not in res["seen"]["s1"] and "X_hold" in res["seen"]["s1"]
    assert "y_hold" in harness._STATE["s1"]  # the parent keeps them to score


@pytest.mark.parametrize("metric", ["accuracy", "balanced_accuracy", "f1", "roc_auc", "log_loss"])
def test_classification_metrics_match_sklearn(metric: str, tmp_path: Path) -> None:
    df = load_wine(as_frame=True).frame  # three classes
    info = _prep({"df": df}, metric=metric)
    res = run_node(
        {"df": df},
        "from sklearn.ensemble import RandomForestClassifier\n"
        "model = RandomForestClassifier(50, random_state=0)"
        ".fit(df.drop(columns='target'), df['target'])\n",
        tmp_path,
    )
    state = harness._STATE["s1"]
    from sklearn.ensemble import RandomForestClassifier

    train = state["train"]["df"]
    model = RandomForestClassifier(50, random_state=0).fit(
        train.drop(columns="target"), train["target"]
    )
    y, X = state["y_hold"], state["X_hold"]
    expected = {
        "accuracy": lambda: skm.accuracy_score(y, model.predict(X)),
        "balanced_accuracy": lambda: skm.balanced_accuracy_score(y, model.predict(X)),
        "f1": lambda: skm.f1_score(y, model.predict(X), average="macro"),
        "roc_auc": lambda: skm.roc_auc_score(y, model.predict_proba(X), multi_class="ovr"),
        "log_loss": lambda: skm.log_loss(y, model.predict_proba(X)),
    }[metric]()
    assert res["harness"]["metric"] == pytest.approx(expected)
    assert info["metric"] == metric


@pytest.mark.parametrize("metric", ["rmse", "mae", "r2", "rmsle"])
def test_regression_metrics_match_sklearn(metric: str, tmp_path: Path) -> None:
    df = load_diabetes(as_frame=True).frame
    _prep({"df": df}, metric=metric)
    res = run_node(
        {"df": df},
        "from sklearn.linear_model import Ridge\n"
        "m = Ridge(0.1).fit(df.drop(columns='target'), df['target'])\n"
        "def predict(frame):\n    return m.predict(frame).clip(0)\n",
        tmp_path,
    )
    state = harness._STATE["s1"]
    from sklearn.linear_model import Ridge

    train = state["train"]["df"]
    m = Ridge(0.1).fit(train.drop(columns="target"), train["target"])
    y, p = state["y_hold"], m.predict(state["X_hold"]).clip(0)
    expected = {
        "rmse": lambda: np.sqrt(skm.mean_squared_error(y, p)),
        "mae": lambda: skm.mean_absolute_error(y, p),
        "r2": lambda: skm.r2_score(y, p),
        "rmsle": lambda: np.sqrt(skm.mean_squared_log_error(y, p)),
    }[metric]()
    assert res["harness"]["metric"] == pytest.approx(expected)
    assert res["harness"]["via"] == "predict(frame)"


@pytest.mark.parametrize(
    ("code", "metric", "message"),
    [
        ("x = 1\n", None, "left no `predict(frame)`"),
        ("def predict(frame):\n    return [0] * 3\n", None, "returned 3 values for 114"),
        ("def predict(frame):\n    return 1\n", None, "returned a scalar"),
        ("def predict(frame):\n    return ['x'] * len(frame)\n", None, "not class labels"),
        ("def predict(frame):\n    return frame['nope']\n", None, "raised KeyError"),
        ("def predict(frame):\n    return [1] * len(frame)\n", "roc_auc", "returned labels"),
        (
            "def predict(frame):\n    return ['a'] * len(frame)\n",
            "log_loss",
            "needs class probabilities",
        ),
    ],
)
def test_unusable_predictions_give_an_actionable_error(
    code: str, metric: str | None, message: str, tmp_path: Path
) -> None:
    df = _cancer()
    _prep({"df": df}, metric=metric)
    res = run_node({"df": df}, code, tmp_path)
    assert "metric" not in res["harness"]
    assert message in res["harness"]["error"]


def test_the_users_own_model_does_not_count(tmp_path: Path) -> None:
    df = _cancer()
    _prep({"df": df})
    from sklearn.dummy import DummyClassifier

    stale = DummyClassifier().fit(df.drop(columns="target"), df["target"])
    res = run_node({"df": df, "model": stale}, "x = 1\n", tmp_path)
    assert "left no" in res["harness"]["error"]


def test_regression_needs_numbers(tmp_path: Path) -> None:
    df = load_diabetes(as_frame=True).frame
    _prep({"df": df})
    res = run_node({"df": df}, "def predict(frame):\n    return ['a'] * len(frame)\n", tmp_path)
    assert "regression needs numbers" in res["harness"]["error"]


def test_data_folder_copy_lacks_the_holdout_rows(tmp_path: Path) -> None:
    src = tmp_path / "data"
    (src / "extra").mkdir(parents=True)
    df = _cancer()
    df.to_csv(src / "train.csv", index=False)
    df.drop(columns="target").head(20).to_csv(src / "test.csv", index=False)
    (src / "extra" / "notes.txt").write_text("hello")
    copy = tmp_path / "run" / "holdout_data"
    info = harness.prepare(
        {}, {**_args(), "names": [], "data_dir": str(src), "copy_dir": str(copy)}
    )
    assert info["data_dir"] == str(copy) and info["training_file"] == "train.csv"
    train = pd.read_csv(copy / "train.csv")
    hold_ids = set(harness._STATE["s1"]["X_hold"]["row_id"])
    assert len(train) == info["train_rows"] and hold_ids.isdisjoint(train["row_id"])
    assert (copy / "test.csv").read_text() == (src / "test.csv").read_text()
    assert (copy / "extra" / "notes.txt").read_text() == "hello"
    assert len(pd.read_csv(src / "train.csv")) == len(df)  # the user's folder is unchanged
    res = run_node(
        {},
        "import pandas as pd\n"
        f"d = pd.read_csv({str(copy / 'train.csv')!r})\n" + FIT.replace("df", "d"),
        tmp_path,
    )
    assert res["harness"]["metric"] > 0.9


def test_data_folder_without_a_clear_training_file(tmp_path: Path) -> None:
    df = _cancer()
    df.to_csv(tmp_path / "a.csv", index=False)
    df.to_csv(tmp_path / "b.csv", index=False)
    with pytest.raises(harness.HoldoutError, match="2 tables hold the target"):
        harness.prepare(
            {}, {**_args(), "names": [], "data_dir": str(tmp_path), "copy_dir": str(tmp_path / "c")}
        )


def test_portable_snapshot_carries_no_labels(tmp_path: Path) -> None:
    import pickle

    df = _cancer()
    _prep({"df": df})
    extra = pickle.loads(pickle.dumps(harness.snapshot_extra("s1")))
    assert "y_hold" not in extra and not extra["originals"]
    saved = harness._STATE.pop("s1")
    harness.restore_child("s1", extra)
    ns = harness.prepare_child({"df": df}, "s1")
    assert len(ns["df"]) == saved["info"]["train_rows"]
    harness._STATE["s1"] = saved


def test_score_without_state_or_report() -> None:
    res: dict[str, Any] = {"exit_cause": "exception"}
    harness.score("nope", res)
    assert "harness" not in res
    res = {"harness": {"predictions": "/x/" + harness.PRED_FILE}}
    harness.score("nope", res)
    assert "gone from the kernel" in res["harness"]["error"]


SHIPPED = """
import json, sys
sys.modules["aide_jupyter"] = None  # the kernel may lack the package: any import of it fails
exec(INSTALLER)
h = _install("_aide_harness_test", PARTS, "<aide_harness>")
import pandas as pd
df = pd.DataFrame({"x": range(40), "y": [i % 2 for i in range(40)]})
info = h.prepare({"df": df}, {"key": "k", "target": "y", "fraction": 0.25, "names": ["df"]})
print(json.dumps({"info": info, "released": h.release("k")}))
"""


def test_module_is_shippable_into_a_kernel() -> None:
    """Every part imports only the standard library (or an earlier part) at its top, and the
    parts' text alone installs and splits where aide_jupyter cannot be imported."""
    import subprocess

    from aide_jupyter.executors.runner.common import package_sources
    from aide_jupyter.executors.runner.portable import PACKAGE_INSTALLER

    parts = package_sources(harness)
    assert [p for p, _ in parts] == list(harness.PARTS)
    for i, (part, text) in enumerate(parts):
        top = [n for n in ast.parse(text).body if isinstance(n, (ast.Import, ast.ImportFrom))]
        names = {a.name.split(".")[0] for n in top if isinstance(n, ast.Import) for a in n.names}
        names |= {
            n.module.split(".")[0]
            for n in top
            if isinstance(n, ast.ImportFrom) and n.module and not n.level
        }
        assert names <= {"__future__", "contextlib", "os", "shutil", "sys", "traceback", "typing"}
        relative = {n.module for n in top if isinstance(n, ast.ImportFrom) and n.level}
        assert relative <= {p for p, _ in parts[:i]}, f"{part} imports a later part"
    env = {"INSTALLER": PACKAGE_INSTALLER, "PARTS": parts}
    code = "".join(f"{k} = {v!r}\n" for k, v in env.items()) + SHIPPED
    done = subprocess.run(
        [sys.executable, "-I", "-c", code], capture_output=True, text=True, timeout=120, cwd="/"
    )
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert answer["info"]["rows"] == 10 and answer["info"]["task"] == "classification"
    assert answer["released"] == {"released": True}
