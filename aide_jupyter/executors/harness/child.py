"""The node's process: before its code, only training rows; after it, predict the holdout.

Shipped into kernels as text with the rest of the harness: standard library only at import
time (numpy, pandas, scikit-learn inside functions), no aide_jupyter imports.
"""

from __future__ import annotations

import contextlib
import os
import sys
import traceback
from typing import Any

from .common import HOOK_NAMES, PRED_FILE, SCORERS, STATE, HoldoutError, scrub, short


def prepare_child(ns: dict[str, Any], key: str) -> dict[str, Any]:
    """The globals the node sees: named frames are their training rows; labels are gone."""
    state = STATE[key]
    originals = state.get("originals") or []
    train = state.get("train") or {}
    ns.update(train)
    scrub(ns, originals, train)
    main = sys.modules.get("__main__")
    scrub(getattr(main, "__dict__", None), originals, train)
    with contextlib.suppress(Exception):
        shell = sys.modules["IPython"].get_ipython()
        scrub(shell.user_ns, originals, train)
        scrub(shell.history_manager.output_hist, originals, train)
    state.pop("y_hold", None)
    state["originals"] = []
    for other in [k for k in STATE if k != key]:  # other searches' labels, too
        STATE.pop(other, None)
    state["before"] = {n: id(ns.get(n)) for n in HOOK_NAMES}
    return ns


def _hooks(ns: dict[str, Any], state: dict[str, Any]) -> dict[str, Any]:
    """The node's own predict / predict_proba / model (not ones the user's notebook had)."""
    before = state.get("before", {})
    found = {}
    for name in HOOK_NAMES:
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

    state = STATE[key]
    rows = int(state["info"]["rows"])
    proba = SCORERS[state["info"]["metric"]][1]
    try:
        out, what, classes = _call_predictor(ns, state)
        arr = _as_array(out, rows, what, proba and "proba" in what)
    except HoldoutError as exc:
        return {"error": short(str(exc))}
    path = os.path.join(os.path.abspath(workdir), PRED_FILE)
    np.save(path, arr, allow_pickle=False)
    extra: dict[str, Any] = {"predictions": path, "via": what, "rows": rows}
    if classes is not None:
        extra["classes"] = np.asarray(classes).tolist()
    return extra
