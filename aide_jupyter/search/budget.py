"""Budgets and stop conditions of a search: target metric, time, tokens, cost, steps.

Pure functions of the config and the search's counters, so the loop asks them once per tick and
each condition can be read (and tested) in one place.
"""

from __future__ import annotations

import math

from .config import SearchConfig
from .journal import Journal


def budget_reason(
    cfg: SearchConfig,
    journal: Journal,
    *,
    elapsed_s: float,
    tokens: int,
    cost: float | None,
    queued: bool,
) -> tuple[str, str] | None:
    """`("done", why)` once a budget is used or the target reached; None while the search may go
    on. `queued`: user forks wait, which run even past the step budget."""
    best = journal.best_node()
    lower = bool(journal.lower_is_better)
    if (
        cfg.target_metric is not None
        and best is not None
        and metric_reached(best.metric, cfg.target_metric, lower)
    ):
        return ("done", f"target metric reached: {best.metric:.6g} by node {best.id}")
    if cfg.time_limit_s is not None and elapsed_s >= cfg.time_limit_s:
        return ("done", f"time limit reached: {cfg.time_limit_s:g} s")
    if cfg.max_tokens is not None and tokens >= cfg.max_tokens:
        return ("done", f"token budget used: {tokens} of {cfg.max_tokens}")
    if cfg.max_cost_usd is not None and cost is None:
        return ("done", "cost budget cannot be checked: a model without a price answered")
    if cfg.max_cost_usd is not None and cost >= cfg.max_cost_usd:
        return ("done", f"cost budget used: ${cost:.4f} of ${cfg.max_cost_usd:g}")
    if not queued and len(journal) >= cfg.steps:
        return ("done", f"step budget used: {cfg.steps} nodes")
    return None


def node_timeout(cfg: SearchConfig, elapsed_s: float) -> float:
    """A node's time limit: its own, capped by what is left of the search's (at least 1 s)."""
    timeout = cfg.node_timeout_s
    if cfg.time_limit_s is not None:
        left = cfg.time_limit_s - elapsed_s
        timeout = max(1.0, min(timeout, left))
    return timeout


def metric_reached(value: float | None, target: float, lower_is_better: bool) -> bool:
    """Whether `value` meets `target` under the search's direction."""
    if value is None or not math.isfinite(value):
        return False
    return value <= target if lower_is_better else value >= target
