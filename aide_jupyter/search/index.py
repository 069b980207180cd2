"""Incremental indexes over a journal's nodes, so that choosing the next node costs about the same
at node 1,000 as at node 10: policies, the memory and the loop asked the whole journal for good
nodes, nodes in flight, buggy leaves and past expansions at every pick (`benchmarks/
engine_overhead.py` measured greedy at 3.4x the per-node time of a 10-node search).

`Journal` (journal.py) owns one `JournalIndex`, feeds it every node it adds, and each node tells
the indexes of its journals when a field they depend on changes (`Node.__setattr__`), so an index
stays right however a node is changed. No imports from journal.py (it imports this module).
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterator
from typing import Protocol

# The node fields the indexes read; setting any of them updates the node's entries.
INDEXED_FIELDS = frozenset({"status", "metric", "is_buggy", "stage", "parent_id", "step"})


class IndexedNode(Protocol):
    id: str
    step: int
    stage: str
    parent_id: str | None
    metric: float | None
    merged_ids: list[str]

    @property
    def is_good(self) -> bool: ...

    @property
    def is_finished(self) -> bool: ...


def expansion_key(stage: str, parent_id: str | None, others: tuple[str, ...] | list[str]) -> tuple:
    """What makes two expansions the same: the operator and the nodes it starts from."""
    if stage in ("ensemble", "crossover"):
        return (stage, frozenset([parent_id, *others]))
    return (stage, parent_id)


class JournalIndex:
    """Good nodes ranked best first, nodes in flight, finished buggy leaves, nodes by stage and
    the expansion keys of all nodes, each updated per node change (O(log n) or O(1))."""

    def __init__(self) -> None:
        self._nodes: dict[str, IndexedNode] = {}
        self._lower = False
        self._good: dict[str, IndexedNode] = {}  # good, metric not NaN
        self._ranked: list[tuple[float, int, str]] = []  # (signed metric, step, id), best first
        self._rank_key: dict[str, tuple[float, int, str]] = {}
        self._unfinished: dict[str, IndexedNode] = {}
        self._bad: dict[str, IndexedNode] = {}  # finished, not good
        self._children: dict[str, int] = {}
        self._stages: dict[str, dict[str, IndexedNode]] = {}
        self._stage_of: dict[str, str] = {}
        self._keys: dict[tuple, int] = {}
        self._key_of: dict[str, tuple] = {}

    # ----- updates -----

    def add(self, node: IndexedNode) -> None:
        self._nodes[node.id] = node
        if node.parent_id is not None:
            self._children[node.parent_id] = self._children.get(node.parent_id, 0) + 1
        self.changed(node)

    def changed(self, node: IndexedNode) -> None:
        """Re-file `node` after a change to one of INDEXED_FIELDS."""
        if node.id not in self._nodes:
            return
        good = node.is_good and node.metric is not None and not math.isnan(node.metric)
        _put(self._good, node, good)
        self._rerank(node, good)
        _put(self._unfinished, node, not node.is_finished)
        _put(self._bad, node, node.is_finished and not node.is_good)
        old = self._stage_of.get(node.id)
        if old != node.stage:
            if old is not None:
                self._stages[old].pop(node.id, None)
            self._stages.setdefault(node.stage, {})[node.id] = node
            self._stage_of[node.id] = node.stage
        key = expansion_key(node.stage, node.parent_id, node.merged_ids)
        if self._key_of.get(node.id) != key:
            if node.id in self._key_of:
                self._drop_key(self._key_of[node.id])
            self._key_of[node.id] = key
            self._keys[key] = self._keys.get(key, 0) + 1

    def set_direction(self, lower_is_better: bool) -> None:
        """Rank again when the search's direction changes (it is fixed once, early)."""
        if lower_is_better == self._lower:
            return
        self._lower = lower_is_better
        self._ranked, self._rank_key = [], {}
        for node in self._good.values():
            self._rerank(node, True)

    def _rerank(self, node: IndexedNode, good: bool) -> None:
        old = self._rank_key.pop(node.id, None)
        if old is not None:
            del self._ranked[bisect.bisect_left(self._ranked, old)]
        if good:
            metric = float(node.metric)  # type: ignore[arg-type]
            key = (metric if self._lower else -metric, node.step, node.id)
            bisect.insort(self._ranked, key)
            self._rank_key[node.id] = key

    def _drop_key(self, key: tuple) -> None:
        count = self._keys.get(key, 0) - 1
        if count > 0:
            self._keys[key] = count
        else:
            self._keys.pop(key, None)

    # ----- queries -----

    def ranked(self, *, finite: bool = True) -> Iterator[IndexedNode]:
        """Good nodes best first (ties: the earlier step); `finite` skips infinite metrics."""
        for signed, _, node_id in self._ranked:
            if finite and math.isinf(signed):
                continue
            yield self._nodes[node_id]

    def best(self) -> IndexedNode | None:
        return self._nodes[self._ranked[0][2]] if self._ranked else None

    def unfinished(self) -> list[IndexedNode]:
        """Nodes queued or running (a handful), in step order."""
        return sorted(self._unfinished.values(), key=lambda n: n.step)

    def buggy_leaves(self) -> list[IndexedNode]:
        """Finished nodes that are not good and have no children yet, in step order."""
        leaves = [n for n in self._bad.values() if not self._children.get(n.id)]
        return sorted(leaves, key=lambda n: n.step)

    def bad_count(self) -> int:
        return len(self._bad)

    def good_count(self) -> int:
        return len(self._good)

    def stage(self, stage: str) -> list[IndexedNode]:
        return list(self._stages.get(stage, {}).values())

    def has_expansion(self, key: tuple) -> bool:
        return key in self._keys


def _put(group: dict[str, IndexedNode], node: IndexedNode, member: bool) -> None:
    if member:
        group[node.id] = node
    else:
        group.pop(node.id, None)
