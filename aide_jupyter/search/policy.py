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

from .index import expansion_key
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
    """Good nodes of `nodes` with a finite metric, best first (ties: the earlier node)."""
    wanted = {n.id for n in nodes}
    return [n for n in journal.ranked() if n.id in wanted]


def in_flight(journal: Journal) -> set[tuple]:
    """Expansion keys of the nodes queued or running now."""
    return {expansion_key(n.stage, n.parent_id, n.merged_ids) for n in journal.in_flight()}


def ensemble_action(journal: Journal, min_good: int, size: int) -> Action | None:
    """An ensemble of the top `size` nodes, once `min_good` good nodes exist.

    One ensemble at a time; the next one waits for `min_good` more good (non-ensemble) nodes, and
    never repeats the same members. `min_good` 0 turns ensembles off."""
    if min_good <= 0 or size < 2:
        return None
    done = journal.stage_nodes("ensemble")
    if any(not n.is_finished for n in done):
        return None
    top: list[Node] = []
    need = max(2, min_good, size)
    for node in journal.ranked():  # the top `need` good non-ensemble nodes
        if node.stage != "ensemble":
            top.append(node)
            if len(top) == need:
                break
    if len(top) < max(2, min_good):
        return None
    if done:
        last = max(n.step for n in done)
        fresh = 0
        for node in reversed(journal.nodes):  # good non-ensemble nodes since the last ensemble
            if node.step <= last or fresh >= min_good:
                break
            fresh += node.stage != "ensemble" and node.is_good and _finite(node)
        if fresh < min_good:
            return None
    top = top[:size]
    if journal.has_expansion(expansion_key("ensemble", top[0].id, [n.id for n in top[1:]])):
        return None
    return Action("ensemble", top[0].id, tuple(n.id for n in top[1:]))


def _finite(node: Node) -> bool:
    return node.metric is not None and math.isfinite(node.metric)


def debuggable(journal: Journal, max_debug_depth: int) -> list[Node]:
    """The nodes `is_debuggable` allows, in step order (only buggy leaves can be)."""
    return [n for n in journal.buggy_leaves() if is_debuggable(journal, n, max_debug_depth)]


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


@dataclass
class GreedyParams:
    """The parameters and first moves greedy and evolve share: `num_drafts` drafts first, then an
    ensemble when `ensemble_action` allows one (off with `ensemble_min_good` 0), then with
    probability `debug_prob` a debug of a buggy leaf (AIDE's depth rule, `max_debug_depth`)."""

    num_drafts: int = 5
    debug_prob: float = 0.5
    max_debug_depth: int = 3
    ensemble_min_good: int = 0
    ensemble_size: int = 3

    def opening(
        self, journal: Journal, rng: random.Random, busy: set[tuple] | None = None
    ) -> Action | None:
        """A draft, an ensemble or a debug when one is due (a debug not in `busy`), else None."""
        if len(journal.draft_nodes) < self.num_drafts:
            return Action("draft")
        ensemble = ensemble_action(journal, self.ensemble_min_good, self.ensemble_size)
        if ensemble is not None:
            return ensemble
        if rng.random() < self.debug_prob:
            buggy = [
                n
                for n in debuggable(journal, self.max_debug_depth)
                if busy is None or ("debug", n.id) not in busy
            ]
            if buggy:
                return Action("debug", rng.choice(buggy).id)
        return None


class GreedyPolicy(GreedyParams):
    """AIDE's search policy.

    Draft until `num_drafts` drafts exist; then with probability `debug_prob` debug a random buggy
    leaf whose debug depth is at most `max_debug_depth`; otherwise improve the best good node, or
    draft again when there is no good node yet. Beyond AIDE: an ensemble of the top nodes when
    `ensemble_action` allows one (off with `ensemble_min_good` 0).
    """

    def select(self, journal: Journal, rng: random.Random) -> Action:
        first = self.opening(journal, rng)
        if first is not None:
            return first
        best = journal.best_node()
        if best is None:
            return Action("draft")
        return Action("improve", best.id)
