"""`best` and `promote`: a node's code as the next cell, found by what the user typed."""

from __future__ import annotations

import math
from typing import Any

from ..search.journal import resolve_ref, split_cells
from .args import UsageError
from .text import say


def insert_node(shell: Any, sid: str, node: dict[str, Any], code: str) -> None:
    """One new cell below, parts marked with `# %%`: front ends keep one next input only."""
    if not code.strip():
        raise UsageError(f"node {node.get('id')} has no code ({node.get('status')})")
    metric = node.get("metric")
    lower = node.get("lower_is_better")
    metric_text = (
        f"metric {metric:.6g}"
        if isinstance(metric, (int, float)) and math.isfinite(metric)
        else "no metric"
    )
    if lower is not None:
        metric_text += " (lower is better)" if lower else " (higher is better)"
    if node.get("metric_source") == "harness":
        own = node.get("reported_metric")
        metric_text = metric_text.replace("metric", "holdout metric", 1) + (
            f", reported {own:.6g}" if isinstance(own, (int, float)) else ", none reported"
        )
    header = (
        f"# AIDE search {sid}, node {node.get('id')} "
        f"(step {node.get('step')}, {node.get('stage')}): {metric_text}\n"
    )
    shell.set_next_input(header + code.rstrip() + "\n", replace=False)
    parts = len(split_cells(code))
    say(
        f"node {node.get('id')}, {metric_text}: its code is in the next cell "
        f"({parts} part{'s' if parts != 1 else ''} separated by # %%)"
    )


def resolve_node(sid: str, ref: str, nodes: list[dict[str, Any]]) -> str:
    """A node id from what the user typed: `#3`, `3` (steps, as the panel shows), an id prefix."""
    try:
        return resolve_ref(ref, [(str(n["id"]), int(n["step"])) for n in nodes])
    except ValueError as exc:
        raise UsageError(f"search {sid}: {exc}") from None


def no_best_yet(sid: str, summary: dict[str, Any]) -> None:
    """No best node: while the search runs that is news, not an error (Run All reaches `best`
    a second after `optimize`; waiting here would hold the kernel the nodes need)."""
    status = summary.get("status")
    done = summary.get("steps_done", 0)
    if status in ("queued", "running", "stopping"):
        say(
            f"search {sid} is still running ({done} node{'s' if done != 1 else ''} finished, "
            "none working yet): its progress display above updates live; run %aide best again "
            "when it shows a best"
        )
        return
    raise UsageError(
        f"search {sid} is {status} and has no working solution (see its nodes in the panel)"
    )
