"""Kernel-side holdout harness: split once, hide the holdout, score each node's predictions.

Shipped into the kernel as text, like the runner: one package module named after a hash of the
text, its parts in `PARTS` order (each imports only earlier ones); so standard library only at
import time, numpy/pandas/scikit-learn imported inside functions, no aide_jupyter imports.

Where each piece lives, and why:
- `prepare` (split.py; the kernel process, once per search): split the named frame's rows (or
  the training file of a data folder) with a seeded, stratified-for-classification split; keep
  the training rows, the holdout features and the holdout labels in `_STATE[key]`; for a data
  folder, write a copy of the folder whose training file lacks the holdout rows.
- `prepare_child` (child.py; the node's process, before its code): the named frames become their
  training rows, every other reference to the full frame the child can reach is dropped, and the
  holdout labels are deleted from the child's memory (a forked child inherits the kernel's).
- `after_exec` (child.py; the node's process, after its code): call the node's `predict(frame)`
  / `predict_proba(frame)` or its fitted `model` on the holdout features, check the shape and
  write the predictions as a pickle-free `.npy` file in the node's folder.
- `score` (scoring.py; the kernel process, when the result arrives): read the predictions and
  score them against the labels, which never leave this process.
"""

from __future__ import annotations

from .child import after_exec, prepare_child
from .common import COPY_MARK, PRED_FILE, SCORERS, HoldoutError
from .common import STATE as _STATE
from .scoring import score
from .split import prepare, release, restore_child, snapshot_data, snapshot_extra

PARTS = ("common", "split", "child", "scoring", "__init__")

__all__ = [
    "COPY_MARK",
    "PARTS",
    "PRED_FILE",
    "SCORERS",
    "_STATE",
    "HoldoutError",
    "after_exec",
    "prepare",
    "prepare_child",
    "release",
    "restore_child",
    "score",
    "snapshot_data",
    "snapshot_extra",
]
