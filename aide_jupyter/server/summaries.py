"""JSON shapes of docs/rest-api.md: search summary, node summary, node detail.

JSON has no NaN or infinity (JupyterLab's JSON.parse rejects them), so non-finite floats become null.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aide_jupyter.coders import coder_kind
from aide_jupyter.search import holdout
from aide_jupyter.search.journal import Journal, Node

if TYPE_CHECKING:
    from .record import SearchRecord


def finite(value: Any) -> Any:
    return None if isinstance(value, float) and not math.isfinite(value) else value


def clean(d: dict[str, Any]) -> dict[str, Any]:
    """Top-level non-finite floats to None (node and summary dicts are flat apart from `best`)."""
    return {k: finite(v) for k, v in d.items()}


def node_summary(node: Node) -> dict[str, Any]:
    return clean(node.summary())


def node_detail(journal: Journal, node: Node) -> dict[str, Any]:
    detail = clean(node.to_dict())
    detail["cells"] = node.cells
    parent = journal.parent(node)
    detail["parent_code"] = parent.code if parent is not None else None
    seed = journal.seed_node
    detail["seed_code"] = seed.code if seed is not None else None
    return detail


def relative(root: Path, path: Path | str | None) -> str | None:
    if path is None:
        return None
    try:
        return Path(path).resolve().relative_to(root).as_posix()
    except ValueError:
        return str(path)


def executor_summary(rec: SearchRecord) -> dict[str, Any] | None:
    """`{mode, subshell}` of the kernel executor bound to the search (None before one is)."""
    describe = getattr(rec.loop.executor if rec.loop else None, "describe", None)
    return describe() if callable(describe) else None


def search_summary(rec: SearchRecord) -> dict[str, Any]:
    info, journal, config = rec.info, rec.journal, rec.config
    best = journal.best_node()
    totals = journal.totals()
    return {
        "id": info.id,
        "status": info.status,
        "stop_reason": info.stop_reason,
        "pause_cause": info.pause_cause,
        "goal": info.goal,
        "eval": info.eval,
        "data": list(info.data),
        "data_dir": relative(rec.root, info.data_dir),
        "target": info.target,
        "kernel_id": rec.kernel_id,
        "host": rec.host,
        "workers": rec.spread.summary()
        if rec.spread is not None
        else [dict(w) for w in rec.workers],
        "notebook_path": rec.notebook_path,
        "coder": coder_kind(config.model),
        "model": config.model,
        "endpoint": rec.endpoint,
        "policy": config.policy,
        "random_seed": config.random_seed,
        "steps_done": sum(1 for n in journal.nodes if n.is_finished),
        "steps": config.steps,
        "counts": journal.counts(),
        "best": {"node_id": best.id, "metric": finite(best.metric)} if best else None,
        "lower_is_better": journal.lower_is_better,
        "tokens": int(totals["tokens_in"] + totals["tokens_out"]),
        "cost_usd": None if totals["cost_usd"] is None else round(float(totals["cost_usd"]), 6),
        "elapsed_s": round(rec.elapsed_s(), 3),
        "created": info.created,
        "run_dir": relative(rec.root, rec.run_dir),
        "journal_path": relative(rec.root, rec.run_dir / "journal.ipynb"),
        "holdout": holdout.summary(info.holdout),
        "executor": executor_summary(rec),
        "seed": seed_summary(info.seed, journal),
    }


def seed_summary(seed: dict[str, Any] | None, journal: Journal) -> dict[str, Any] | None:
    """Where the search started: the user's root node and cell, and how that code scored."""
    if not seed:
        return None
    node = journal.seed_node
    return {
        "node_id": seed.get("node_id"),
        "cell_id": seed.get("cell_id"),
        "metric": finite(node.metric) if node is not None else None,
        "is_buggy": node.is_buggy if node is not None else None,
    }
