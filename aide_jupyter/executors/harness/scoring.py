"""Kernel side, per node: score the node's holdout predictions against the labels, which
never leave the kernel process.

Shipped into kernels as text with the rest of the harness: standard library only at import
time (numpy, pandas, scikit-learn inside functions), no aide_jupyter imports.
"""

from __future__ import annotations

import contextlib
import os
from typing import Any

from .common import PRED_FILE, SCORERS, STATE, HoldoutError, short


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
    state = STATE.get(key)
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
        result["harness"] = {"error": short(str(exc))}
        return
    except Exception as exc:
        result["harness"] = {"error": short(f"scoring {via} failed: {type(exc).__name__}: {exc}")}
        return
    result["harness"] = {
        "metric": value,
        "metric_name": info["metric"],
        "rows": info["rows"],
        "via": via,
    }
