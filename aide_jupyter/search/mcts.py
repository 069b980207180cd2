"""MCTS with UCT over normalised metrics: a policy that balances exploring weak branches and
exploiting strong ones, where AIDE's greedy policy always improves the single best node.

The tree statistics are recomputed from the journal on every call (no hidden state), so the policy
survives a resume and can be tested on a hand-built journal. Rewards: a good node scores its metric
min-max normalised over all good nodes (1 = best, direction-aware); buggy, failed and in-flight
nodes score 0 (in-flight nodes act as a "virtual loss" that spreads parallel workers out).
"""

from __future__ import annotations

import math
import random

from .journal import Journal, Node
from .policy import Action, ensemble_action, is_debuggable


class MCTSPolicy:
    """Select by UCT down the tree until a node that is not fully expanded, then expand it.

    A good node is fully expanded once it has `max_children` children; a buggy node once it has
    one debug child (or its debug chain is too deep). Drafts come first, up to `num_drafts`.
    """

    def __init__(
        self,
        num_drafts: int = 5,
        max_debug_depth: int = 3,
        c: float = 1.0,
        max_children: int = 3,
        ensemble_min_good: int = 0,
        ensemble_size: int = 3,
    ) -> None:
        self.num_drafts = num_drafts
        self.max_debug_depth = max_debug_depth
        self.c = c
        self.max_children = max_children
        self.ensemble_min_good = ensemble_min_good
        self.ensemble_size = ensemble_size

    def select(self, journal: Journal, rng: random.Random) -> Action:
        drafts = journal.draft_nodes
        if len(drafts) < self.num_drafts:
            return Action("draft")
        ensemble = ensemble_action(journal, self.ensemble_min_good, self.ensemble_size)
        if ensemble is not None:
            return ensemble
        rewards = self._rewards(journal)
        visits: dict[str, int] = {}
        value: dict[str, float] = {}
        expandable: dict[str, bool] = {}
        for node in reversed(journal.nodes):  # children come after parents: post-order for free
            kids = journal.children_view(node.id)
            if kids:
                visits[node.id] = 1 + sum([visits[k.id] for k in kids])
                value[node.id] = rewards.get(node.id, 0.0) + sum([value[k.id] for k in kids])
                expandable[node.id] = any([expandable[k.id] for k in kids]) or (
                    self._own_action(journal, node, len(kids)) is not None
                )
            else:
                visits[node.id] = 1
                value[node.id] = rewards.get(node.id, 0.0)
                expandable[node.id] = self._own_action(journal, node, 0) is not None
        current: Node | None = None
        options = [d for d in drafts if expandable[d.id]]
        parent_visits = sum(visits[d.id] for d in drafts)
        while options:
            current = max(options, key=lambda n: self._uct(n, visits, value, parent_visits))
            own = self._own_action(journal, current)
            if own is not None:
                return own
            parent_visits = visits[current.id]
            options = [k for k in journal.children(current.id) if expandable[k.id]]
        return Action("draft")

    def _uct(
        self, node: Node, visits: dict[str, int], value: dict[str, float], parent_visits: int
    ) -> float:
        n = visits[node.id]
        return value[node.id] / n + self.c * math.sqrt(math.log(max(parent_visits, 1)) / n)

    def _own_action(
        self, journal: Journal, node: Node, children: int | None = None
    ) -> Action | None:
        if not node.is_finished:
            return None
        if node.is_good:
            if children is None:
                children = len(journal.children_view(node.id))
            if children < self.max_children:
                return Action("improve", node.id)
            return None
        if is_debuggable(journal, node, self.max_debug_depth):
            return Action("debug", node.id)
        return None

    @staticmethod
    def _rewards(journal: Journal) -> dict[str, float]:
        good = list(journal.ranked())  # good nodes with a finite metric, best first
        if not good:
            return {}
        ends = (good[0].metric, good[-1].metric)
        lo, hi = min(ends), max(ends)  # type: ignore[type-var]
        span = hi - lo  # type: ignore[operator]
        lower = journal.lower_is_better
        if span == 0:
            return dict.fromkeys((n.id for n in good), 1.0)
        return {
            n.id: 1.0 - (n.metric - lo) / span if lower else (n.metric - lo) / span  # type: ignore[operator]
            for n in good
        }
