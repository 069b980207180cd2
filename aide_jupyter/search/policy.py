"""Which node to expand next, and how: the `Policy` protocol and AIDE's greedy policy (the
factory that picks one by name is policies.py).

Policies are pure functions of the journal plus a seeded `random.Random`, so a seed makes a search
reproducible and each policy can be tested on hand-built journals.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import Protocol

from .journal import Journal, Node


@dataclass(frozen=True)
class Action:
    """Expand `parent_id` (None for a fresh draft) with a `stage` of draft | debug | improve |
    ensemble | crossover; `others` are the further nodes an ensemble or a crossover combines."""

    stage: str
    parent_id: str | None = None
    others: tuple[str, ...] = ()


class Policy(Protocol):
    """Chooses the next expansion from the journal alone. Nodes in flight are in the journal
    (queued or running, with their stage, parent and `merged_ids`): the loop adds each node
    before it asks for the next one, so a policy can avoid expanding the same thing twice."""

    def select(self, journal: Journal, rng: random.Random) -> Action: ...


def ranked(journal: Journal, nodes: list[Node]) -> list[Node]:
    """Good nodes with a finite metric, best first (ties: the earlier node)."""
    lower = bool(journal.lower_is_better)
    ok = [n for n in nodes if n.is_good and n.metric is not None and math.isfinite(n.metric)]
    return sorted(ok, key=lambda n: (n.metric if lower else -n.metric, n.step))  # type: ignore[operator]


def expansion_key(stage: str, parent_id: str | None, others: tuple[str, ...] | list[str]) -> tuple:
    """What makes two expansions the same: the operator and the nodes it starts from."""
    if stage in ("ensemble", "crossover"):
        return (stage, frozenset([parent_id, *others]))
    return (stage, parent_id)


def in_flight(journal: Journal) -> set[tuple]:
    """Expansion keys of the nodes queued or running now."""
    return {
        expansion_key(n.stage, n.parent_id, n.merged_ids)
        for n in journal.nodes
        if not n.is_finished
    }


def ensemble_action(journal: Journal, min_good: int, size: int) -> Action | None:
    """An ensemble of the top `size` nodes, once `min_good` good nodes exist.

    One ensemble at a time; the next one waits for `min_good` more good (non-ensemble) nodes, and
    never repeats the same members. `min_good` 0 turns ensembles off."""
    if min_good <= 0 or size < 2:
        return None
    pool = ranked(journal, [n for n in journal.nodes if n.stage != "ensemble"])
    if len(pool) < max(2, min_good):
        return None
    done = [n for n in journal.nodes if n.stage == "ensemble"]
    if any(not n.is_finished for n in done):
        return None
    if done and sum(1 for n in pool if n.step > done[-1].step) < min_good:
        return None
    top = pool[:size]
    key = expansion_key("ensemble", top[0].id, [n.id for n in top[1:]])
    if any(expansion_key(n.stage, n.parent_id, n.merged_ids) == key for n in done):
        return None
    return Action("ensemble", top[0].id, tuple(n.id for n in top[1:]))


def is_debuggable(journal: Journal, node: Node, max_debug_depth: int) -> bool:
    """A finished buggy leaf with code whose chain of debug attempts is still short enough.

    As AIDE's reference (`debug_depth <= max_debug_depth`): a buggy draft has depth 0, its debug
    child depth 1, ...; a buggy leaf at depth d <= max_debug_depth may still be debugged, so a
    chain holds at most max_debug_depth + 1 debug nodes and max_debug_depth 0 still allows one.
    A node cancelled by a stop (exc_type "Cancelled") did nothing wrong: it is not debugged.
    """
    return (
        node.is_finished
        and node.exc_type != "Cancelled"
        and not node.is_good
        and bool(node.code)
        and journal.is_leaf(node)
        and journal.debug_depth(node) <= max_debug_depth
    )


class GreedyPolicy:
    """AIDE's search policy.

    Draft until `num_drafts` drafts exist; then with probability `debug_prob` debug a random buggy
    leaf whose debug depth is at most `max_debug_depth`; otherwise improve the best good node, or
    draft again when there is no good node yet. Beyond AIDE: an ensemble of the top nodes when
    `ensemble_action` allows one (off with `ensemble_min_good` 0).
    """

    def __init__(
        self,
        num_drafts: int = 5,
        debug_prob: float = 0.5,
        max_debug_depth: int = 3,
        ensemble_min_good: int = 0,
        ensemble_size: int = 3,
    ) -> None:
        self.num_drafts = num_drafts
        self.debug_prob = debug_prob
        self.max_debug_depth = max_debug_depth
        self.ensemble_min_good = ensemble_min_good
        self.ensemble_size = ensemble_size

    def select(self, journal: Journal, rng: random.Random) -> Action:
        if len(journal.draft_nodes) < self.num_drafts:
            return Action("draft")
        ensemble = ensemble_action(journal, self.ensemble_min_good, self.ensemble_size)
        if ensemble is not None:
            return ensemble
        if rng.random() < self.debug_prob:
            debuggable = [
                n for n in journal.nodes if is_debuggable(journal, n, self.max_debug_depth)
            ]
            if debuggable:
                return Action("debug", rng.choice(debuggable).id)
        best = journal.best_node()
        if best is None:
            return Action("draft")
        return Action("improve", best.id)
