"""Kernel-side holdout harness: split once, hide the holdout, score each node's predictions.

Shipped into the kernel as text (like the runner and the data preview), so: standard library only
at import time, numpy/pandas/scikit-learn imported inside functions, no aide_jupyter imports.

Where each piece lives, and why:
- `prepare` (kernel process, once per search): split the named frame's rows (or the training file
  of a data folder) with a seeded, stratified-for-classification split; keep the training rows,
  the holdout features and the holdout labels in `_STATE[key]`; for a data folder, write a copy of
  the folder whose training file lacks the holdout rows.
- `prepare_child` (the node's process, before its code): the named frames become their training
  rows, every other reference to the full frame the child can reach is dropped, and the holdout
  labels are deleted from the child's memory (a forked child inherits the kernel's memory).
- `after_exec` (the node's process, after its code): call the node's `predict(frame)` /
  `predict_proba(frame)` or its fitted `model` on the holdout features, check the shape and write
  the predictions as a pickle-free `.npy` file in the node's folder.
- `score` (kernel process, when the result arrives): read the predictions and score them against
  the labels, which never leave this process.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import traceback
from typing import Any

PRED_FILE = ".aide_holdout_predictions.npy"
COPY_MARK = ".aide_holdout_split"
MAX_ERROR_CHARS = 1500
# metric -> (task, needs probabilities). Directions live in the engine (aide_jupyter.search.holdout).
SCORERS: dict[str, tuple[str, bool]] = {
    "accuracy": ("classification", False),
    "balanced_accuracy": ("classification", False),
    "f1": ("classification", False),
    "roc_auc": ("classification", True),
    "log_loss": ("classification", True),
    "rmse": ("regression", False),
    "mae": ("regression", False),
    "r2": ("regression", False),
    "rmsle": ("regression", False),
}
_HOOK_NAMES = ("predict", "predict_proba", "model")
_TRAIN_STEMS = ("train", "training")
_TABLE_EXTS = (".csv", ".parquet", ".pq")

_STATE: dict[str, dict[str, Any]] = {}


class HoldoutError(ValueError):
    """The holdout cannot be set up; the message says what to change."""


# ---------------------------------------------------------------- kernel: the split


def _task_of(y: Any) -> str:
    """Classification for text, categories, booleans and integers with few values."""
    kind = y.dtype.kind
    if kind in "OUSbc" or str(y.dtype) in ("category", "string", "str"):
        return "classification"
    if kind in "iu" and y.nunique() <= 20:
        return "classification"
    return "regression"


def _split(frame: Any, target: str, metric: str | None, fraction: float, seed: int) -> dict:
    """Positions of the training and holdout rows, the task and the metric."""
    import numpy as np
    from sklearn.model_selection import train_test_split

    y = frame[target]
    task = _task_of(y)
    if metric is not None:
        want = SCORERS[metric][0]
        if want == "regression" and task == "classification" and y.dtype.kind not in "iufb":
            raise HoldoutError(f"metric {metric} needs a numeric target; {target!r} is {y.dtype}")
        task = want
    metric = metric or ("accuracy" if task == "classification" else "rmse")
    labelled = np.flatnonzero(y.notna().to_numpy())
    n_hold = round(len(labelled) * fraction)
    if n_hold < 2 or len(labelled) - n_hold < 2:
        raise HoldoutError(
            f"holdout {fraction:g} of {len(labelled)} labelled rows leaves too few rows "
            "to train or to score; use more data or another fraction"
        )
    stratify = None
    if task == "classification":
        counts = y.iloc[labelled].value_counts()
        if counts.min() >= 2 and n_hold >= len(counts):
            stratify = y.iloc[labelled].to_numpy()
    train_pos, hold_pos = train_test_split(
        labelled, test_size=n_hold, random_state=seed, stratify=stratify
    )
    unlabelled = np.flatnonzero(~y.notna().to_numpy())
    train_pos = np.sort(np.concatenate([train_pos, unlabelled]))
    return {
        "train": train_pos,
        "hold": np.sort(hold_pos),
        "task": task,
        "metric": metric,
        "stratified": stratify is not None,
    }


def _training_file(data_dir: str, target: str) -> str:
    """train.csv (or a train-named table), else the only table holding the target column."""
    import pandas as pd

    files = sorted(
        f for f in os.listdir(data_dir) if f.lower().endswith(_TABLE_EXTS) and not f.startswith(".")
    )
    named = [f for f in files if os.path.splitext(f)[0].lower() in _TRAIN_STEMS]
    if named:
        return named[0]
    having = []
    for name in files:
        path = os.path.join(data_dir, name)
        cols = (
            pd.read_csv(path, nrows=0).columns
            if name.lower().endswith(".csv")
            else pd.read_parquet(path).columns
        )
        if target in cols:
            having.append(name)
    if len(having) != 1:
        found = ", ".join(having) or "none"
        raise HoldoutError(
            f"holdout: no train.csv in {data_dir} and {len(having)} tables hold the target "
            f"column {target!r} ({found}); name the training file train.csv"
        )
    return having[0]


def _read_table(path: str) -> Any:
    import pandas as pd

    return pd.read_csv(path) if path.lower().endswith(".csv") else pd.read_parquet(path)


def _copy_folder(src: str, dst: str, train_name: str, train_rows: Any, mark: str) -> None:
    """A copy of the data folder whose training file holds only the training rows.

    Written once: a copy marked with the same split is kept (another kernel of the search, or a
    restarted one, may be reading it)."""
    marker = os.path.join(dst, COPY_MARK)
    with contextlib.suppress(OSError), open(marker, encoding="utf-8") as fh:
        if fh.read() == mark:
            return
    if os.path.exists(dst):
        shutil.rmtree(dst)
    os.makedirs(dst)
    for name in os.listdir(src):
        if name == train_name:
            continue
        path = os.path.join(src, name)
        if os.path.isdir(path):
            shutil.copytree(path, os.path.join(dst, name))
        else:
            shutil.copy2(path, os.path.join(dst, name))
    out = os.path.join(dst, train_name)
    if train_name.lower().endswith(".csv"):
        train_rows.to_csv(out, index=False)
    else:
        train_rows.to_parquet(out)
    with open(marker, "w", encoding="utf-8") as fh:
        fh.write(mark)


def prepare(ns: dict[str, Any], args: dict[str, Any]) -> dict[str, Any]:
    """Split once per search (idempotent per key); the answer describes the split, not the data.

    args: key, target, fraction, seed, metric (a SCORERS name or None), and either names (the
    search's data names) or data_dir plus copy_dir (where the training copy of the folder goes).
    """
    key = str(args["key"])
    if key in _STATE:
        return dict(_STATE[key]["info"])
    target, fraction = str(args["target"]), float(args["fraction"])
    metric, seed = args.get("metric"), int(args.get("seed") or 0)
    if metric is not None and metric not in SCORERS:
        raise HoldoutError(f"unknown holdout metric {metric!r}; one of {', '.join(SCORERS)}")
    state: dict[str, Any] = {"train": {}, "originals": []}
    if args.get("data_dir"):
        src, dst = str(args["data_dir"]), str(args["copy_dir"])
        train_name = _training_file(src, target)
        frame = _read_table(os.path.join(src, train_name))
        if target not in frame.columns:
            raise HoldoutError(f"holdout: {train_name} has no target column {target!r}")
        split = _split(frame, target, metric, fraction, seed)
        mark = f"{key} {seed} {fraction} {len(frame)} {len(split['hold'])}"
        _copy_folder(src, dst, train_name, frame.iloc[split["train"]], mark)
        where = {"data_dir": dst, "training_file": train_name}
    else:
        import pandas as pd

        names = [n for n in args.get("names") or [] if n in ns]
        frames = [n for n in names if isinstance(ns[n], pd.DataFrame) and target in ns[n].columns]
        if not frames:
            raise HoldoutError(
                f"holdout needs a pandas DataFrame with the target column {target!r} among the "
                f"data names ({', '.join(args.get('names') or []) or 'none given'})"
            )
        name, frame = frames[0], ns[frames[0]]
        split = _split(frame, target, metric, fraction, seed)
        state["train"][name] = frame.iloc[split["train"]]
        state["originals"].append(frame)
        where = {"frame": name}
    hold = frame.iloc[split["hold"]]
    state["X_hold"] = hold.drop(columns=[target])
    state["y_hold"] = hold[target].to_numpy()
    import numpy as np

    train_y = frame[target].iloc[split["train"]].dropna()
    state["classes"] = (
        np.unique(train_y.to_numpy()).tolist() if split["task"] == "classification" else None
    )
    info = {
        "key": key,
        "rows": len(split["hold"]),
        "train_rows": len(split["train"]),
        "fraction": fraction,
        "task": split["task"],
        "metric": split["metric"],
        "stratified": split["stratified"],
        "target": target,
        **where,
    }
    state["info"] = info
    _STATE[key] = state
    return dict(info)


def release(key: str) -> dict[str, Any]:
    """Forget a search's split (its labels and copies of the rows) in this process."""
    return {"released": _STATE.pop(str(key), None) is not None}


def snapshot_extra(key: str) -> dict[str, Any]:
    """What a fresh interpreter needs (portable mode): training rows and holdout features only."""
    state = _STATE[key]
    return {
        "train": dict(state["train"]),
        "X_hold": state["X_hold"],
        "classes": state["classes"],
        "info": dict(state["info"]),
        "originals": [],
    }


def snapshot_data(key: str, data: dict[str, Any]) -> dict[str, Any]:
    """The named data a portable snapshot stores: the split frame as its training rows only, so
    the snapshot file on disk holds no holdout labels."""
    state = _STATE[key]
    out = dict(data, **state["train"])
    _scrub(out, state.get("originals") or [], state["train"])
    return out


def restore_child(key: str, extra: dict[str, Any]) -> None:
    """Install the snapshot's state in a fresh interpreter (it never had the labels)."""
    _STATE[key] = dict(extra)


# ---------------------------------------------------------------- child: before and after


def _scrub(space: Any, originals: list[Any], train: dict[str, Any]) -> None:
    """Replace every reference to a full frame in a namespace-like dict by its training rows."""
    if not isinstance(space, dict) or not originals:
        return
    replacement = next(iter(train.values()), None)
    for name, value in list(space.items()):
        if any(value is o for o in originals):
            space[name] = replacement
        elif isinstance(value, dict) and space is not value and name in ("Out", "_oh"):
            for k in [k for k, v in value.items() if any(v is o for o in originals)]:
                del value[k]


def prepare_child(ns: dict[str, Any], key: str) -> dict[str, Any]:
    """The globals the node sees: named frames are their training rows; labels are gone."""
    state = _STATE[key]
    originals = state.get("originals") or []
    train = state.get("train") or {}
    ns.update(train)
    _scrub(ns, originals, train)
    main = sys.modules.get("__main__")
    _scrub(getattr(main, "__dict__", None), originals, train)
    with contextlib.suppress(Exception):
        shell = sys.modules["IPython"].get_ipython()
        _scrub(shell.user_ns, originals, train)
        _scrub(shell.history_manager.output_hist, originals, train)
    state.pop("y_hold", None)
    state["originals"] = []
    for other in [k for k in _STATE if k != key]:  # other searches' labels, too
        _STATE.pop(other, None)
    state["before"] = {n: id(ns.get(n)) for n in _HOOK_NAMES}
    return ns


def _short(text: str) -> str:
    return text if len(text) <= MAX_ERROR_CHARS else text[: MAX_ERROR_CHARS - 3] + "..."


def _hooks(ns: dict[str, Any], state: dict[str, Any]) -> dict[str, Any]:
    """The node's own predict / predict_proba / model (not ones the user's notebook had)."""
    before = state.get("before", {})
    found = {}
    for name in _HOOK_NAMES:
        value = ns.get(name)
        if value is not None and id(value) != before.get(name):
            found[name] = value
    return found


def _model_frame(model: Any, frame: Any) -> Any:
    """The columns the model was fitted on, when it says so and the frame has them all."""
    cols = getattr(model, "feature_names_in_", None)
    if cols is not None and all(c in frame.columns for c in cols):
        return frame[list(cols)]
    return frame


def _call_predictor(ns: dict[str, Any], state: dict[str, Any]) -> tuple[Any, str, Any]:
    """(output, what was called, class order of probabilities) or HoldoutError."""
    metric = state["info"]["metric"]
    proba = SCORERS[metric][1]
    hooks = _hooks(ns, state)
    frame = state["X_hold"].copy()
    model = hooks.get("model")
    order: list[tuple[str, Any]] = []
    if proba:
        if callable(hooks.get("predict_proba")):
            order.append(("predict_proba(frame)", hooks["predict_proba"]))
        if model is not None and hasattr(model, "predict_proba"):
            order.append(("model.predict_proba(frame)", model.predict_proba))
    if callable(hooks.get("predict")):
        order.append(("predict(frame)", hooks["predict"]))
    if model is not None and hasattr(model, "predict") and not proba:
        order.append(("model.predict(frame)", model.predict))
    if not order:
        want = (
            "`predict_proba(frame)` (or a fitted `model` with predict_proba)"
            if proba
            else "`predict(frame)` (or a fitted `model` with predict)"
        )
        raise HoldoutError(
            f"the script left no {want}; the harness scores {metric} on held-out rows by "
            "calling it on a DataFrame with the same feature columns as the training frame "
            "(without the target)"
        )
    what, fn = order[0]
    use = _model_frame(model, frame) if what.startswith("model.") else frame
    try:
        out = fn(use)
    except Exception as exc:
        tb = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)[-3:])
        raise HoldoutError(
            f"{what} on the holdout rows raised {type(exc).__name__}: {tb}"
        ) from None
    classes = getattr(model, "classes_", None) if what.startswith("model.") else None
    return out, what, classes


def _as_array(out: Any, rows: int, what: str, proba: bool) -> Any:
    import numpy as np

    if hasattr(out, "to_numpy"):
        out = out.to_numpy()
    arr = np.asarray(out)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim == 0 or len(arr) != rows:
        got = "a scalar" if arr.ndim == 0 else f"{len(arr)} values"
        raise HoldoutError(f"{what} returned {got} for {rows} holdout rows; return one per row")
    if arr.ndim > (2 if proba else 1):
        raise HoldoutError(f"{what} returned an array of shape {arr.shape}; expected ({rows},)")
    if arr.dtype.kind == "O":
        try:
            arr = arr.astype(float)
        except (TypeError, ValueError):
            arr = arr.astype(str)
    if proba and arr.dtype.kind not in "fiub":
        raise HoldoutError(f"{what} returned {arr.dtype} values; probabilities must be numbers")
    return arr


def after_exec(ns: dict[str, Any], key: str, workdir: str) -> dict[str, Any]:
    """Predict the holdout rows in the node's process; an `error` says what the node must fix."""
    import numpy as np

    state = _STATE[key]
    rows = int(state["info"]["rows"])
    proba = SCORERS[state["info"]["metric"]][1]
    try:
        out, what, classes = _call_predictor(ns, state)
        arr = _as_array(out, rows, what, proba and "proba" in what)
    except HoldoutError as exc:
        return {"error": _short(str(exc))}
    path = os.path.join(os.path.abspath(workdir), PRED_FILE)
    np.save(path, arr, allow_pickle=False)
    extra: dict[str, Any] = {"predictions": path, "via": what, "rows": rows}
    if classes is not None:
        extra["classes"] = np.asarray(classes).tolist()
    return extra


# ---------------------------------------------------------------- kernel: scoring


def _probabilities(pred: Any, classes: list[Any], via: str) -> Any:
    """An (n, k) probability matrix from the node's output."""
    import numpy as np

    if pred.dtype.kind not in "fiub":
        raise HoldoutError(f"{via} returned labels; this metric needs class probabilities")
    if pred.ndim == 1:
        if len(classes) != 2:
            raise HoldoutError(f"{via} returned one column for {len(classes)} classes")
        if pred.dtype.kind in "iub" or not np.all((pred >= 0) & (pred <= 1)):
            raise HoldoutError(f"{via} returned labels; this metric needs class probabilities")
        pred = np.column_stack([1.0 - pred, pred])
    if pred.shape[1] != len(classes):
        raise HoldoutError(
            f"{via} returned {pred.shape[1]} probability columns for {len(classes)} classes"
        )
    if not np.all(np.isfinite(pred)):
        raise HoldoutError(f"{via} returned NaN or infinite probabilities")
    return pred


def _metric(name: str, y: Any, pred: Any, classes: list[Any] | None, via: str) -> float:
    import numpy as np
    from sklearn import metrics as m

    task, proba = SCORERS[name]
    if proba:
        assert classes is not None
        p = _probabilities(pred, classes, via)
        if name == "log_loss":
            return float(m.log_loss(y, p, labels=classes))
        if len(classes) == 2:
            return float(m.roc_auc_score(y == classes[1], p[:, 1]))
        return float(m.roc_auc_score(y, p, multi_class="ovr", labels=classes))
    if task == "classification":
        known = np.unique(np.concatenate([np.asarray(classes or [], dtype=object), y]))
        bad = [v for v in np.unique(pred) if not np.isin(v, known)]
        if bad:
            raise HoldoutError(
                f"{via} returned values that are not class labels (e.g. {bad[0]!r}); the "
                f"classes are {list(known)[:10]}"
            )
        if name == "accuracy":
            return float(m.accuracy_score(y, pred))
        if name == "balanced_accuracy":
            return float(m.balanced_accuracy_score(y, pred))
        return float(m.f1_score(y, pred, average="macro"))
    if pred.dtype.kind not in "fiub":
        raise HoldoutError(f"{via} returned {pred.dtype} values; regression needs numbers")
    pred = pred.astype(float)
    if not np.all(np.isfinite(pred)):
        raise HoldoutError(f"{via} returned NaN or infinite predictions")
    if name == "rmse":
        return float(np.sqrt(m.mean_squared_error(y, pred)))
    if name == "mae":
        return float(m.mean_absolute_error(y, pred))
    if name == "r2":
        return float(m.r2_score(y, pred))
    if pred.min() < 0 or y.min() < 0:
        raise HoldoutError(f"rmsle needs values >= 0; {via} returned a minimum of {pred.min():g}")
    return float(np.sqrt(m.mean_squared_log_error(y, pred)))


def score(key: str, result: dict[str, Any]) -> None:
    """Turn the child's `harness` report into {metric, metric_name, rows, via} or {error}."""
    extra = result.get("harness")
    if not isinstance(extra, dict):
        return
    state = _STATE.get(key)
    if state is None or "y_hold" not in state:
        result["harness"] = {"error": "the holdout split is gone from the kernel (restarted?)"}
        return
    if "error" in extra:
        return
    import numpy as np

    info, via = state["info"], str(extra.get("via", "predict"))
    path = str(extra.get("predictions") or "")
    if os.path.basename(path) != PRED_FILE:
        result["harness"] = {"error": "the harness report names no predictions file"}
        return
    try:
        pred = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as exc:
        result["harness"] = {"error": f"the holdout predictions could not be read: {exc}"}
        return
    finally:
        with contextlib.suppress(OSError):
            os.unlink(path)
    classes = extra.get("classes") or state["classes"]
    try:
        value = _metric(info["metric"], state["y_hold"], pred, classes, via)
    except HoldoutError as exc:
        result["harness"] = {"error": _short(str(exc))}
        return
    except Exception as exc:
        result["harness"] = {"error": _short(f"scoring {via} failed: {type(exc).__name__}: {exc}")}
        return
    result["harness"] = {
        "metric": value,
        "metric_name": info["metric"],
        "rows": info["rows"],
        "via": via,
    }
