"""Which node to expand next, and how: the `Policy` protocol and AIDE's greedy policy (the
factory that picks one by name is policies.py).

Policies are pure functions of the journal plus a seeded `random.Random`, so a seed makes a search
reproducible and each policy can be tested on hand-built journals.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Protocol

from .journal import Journal, Node


@dataclass(frozen=True)
class Action:
    """Expand `parent_id` (None for a fresh draft) with a `stage` of draft | debug | improve."""

    stage: str
    parent_id: str | None = None


class Policy(Protocol):
    def select(self, journal: Journal, rng: random.Random) -> Action: ...


def is_debuggable(journal: Journal, node: Node, max_debug_depth: int) -> bool:
    """A finished buggy leaf with code whose chain of debug attempts is still short enough.

    A node cancelled by a stop (exc_type "Cancelled") did nothing wrong: it is not debugged."""
    return (
        node.is_finished
        and node.exc_type != "Cancelled"
        and not node.is_good
        and bool(node.code)
        and journal.is_leaf(node)
        and journal.debug_depth(node) < max_debug_depth
    )


class GreedyPolicy:
    """AIDE's search policy.

    Draft until `num_drafts` drafts exist; then with probability `debug_prob` debug a random buggy
    leaf whose debug depth is below `max_debug_depth`; otherwise improve the best good node, or
    draft again when there is no good node yet.
    """

    def __init__(
        self, num_drafts: int = 5, debug_prob: float = 0.5, max_debug_depth: int = 3
    ) -> None:
        self.num_drafts = num_drafts
        self.debug_prob = debug_prob
        self.max_debug_depth = max_debug_depth

    def select(self, journal: Journal, rng: random.Random) -> Action:
        if len(journal.draft_nodes) < self.num_drafts:
            return Action("draft")
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
