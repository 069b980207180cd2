"""What every part of the holdout harness shares: the metric table, the state, the error.

Shipped into kernels as text with the rest of the harness: standard library only at import
time (numpy, pandas, scikit-learn inside functions), no aide_jupyter imports.
"""

from __future__ import annotations

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
HOOK_NAMES = ("predict", "predict_proba", "model")

STATE: dict[str, dict[str, Any]] = {}  # split key -> the search's split, in this process


class HoldoutError(ValueError):
    """The holdout cannot be set up; the message says what to change."""


def short(text: str) -> str:
    return text if len(text) <= MAX_ERROR_CHARS else text[: MAX_ERROR_CHARS - 3] + "..."


def scrub(space: Any, originals: list[Any], train: dict[str, Any]) -> None:
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
