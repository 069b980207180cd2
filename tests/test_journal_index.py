"""The journal's incremental indexes agree with a scan of the nodes, however nodes are changed."""

from __future__ import annotations

import copy
import math
import pickle
import random

from aide_jupyter.search.index import expansion_key
from aide_jupyter.search.journal import Journal, Node


def _scan_ranked(j: Journal) -> list[str]:
    lower = bool(j.lower_is_better)
    good = [n for n in j.nodes if n.is_good and n.metric is not None and math.isfinite(n.metric)]
    return [n.id for n in sorted(good, key=lambda n: (n.metric if lower else -n.metric, n.step))]


def _scan_best(j: Journal) -> str | None:
    best = None
    for n in j.nodes:
        if not n.is_good or n.metric is None or math.isnan(n.metric):
            continue
        if best is None or (
            n.metric < best.metric if j.lower_is_better else n.metric > best.metric
        ):
            best = n
    return best.id if best else None


def test_indexes_follow_every_change_of_a_node() -> None:
    rng = random.Random(0)
    j = Journal()
    for step in range(300):
        parent = rng.choice([None, *[n.id for n in j.nodes[-20:]]])
        stage = rng.choice(["draft", "improve", "debug", "ensemble", "crossover"])
        others = [n.id for n in rng.sample(j.nodes, min(2, len(j.nodes)))]
        j.add(Node(id=f"n{step}", step=step, stage=stage, parent_id=parent, merged_ids=others))
        for node in rng.sample(j.nodes, min(3, len(j.nodes))):  # change nodes after the add
            what = rng.random()
            if what < 0.4:
                node.status, node.is_buggy = "done", False
                node.metric = rng.choice([rng.random(), 0.5, float("nan"), float("inf")])
            elif what < 0.6:
                node.status, node.is_buggy = "failed", True
            elif what < 0.7:
                node.status = "running"
            else:
                node.metric = rng.random()
        if step == 150:
            j.lower_is_better = True  # the direction is fixed later: everything re-ranks
        assert [n.id for n in j.ranked()] == _scan_ranked(j)
        best = j.best_node()
        assert (best.id if best else None) == _scan_best(j)
        assert [n.id for n in j.in_flight()] == [n.id for n in j.nodes if not n.is_finished]
        leaves = [n for n in j.nodes if n.is_finished and not n.is_good and j.is_leaf(n)]
        assert [n.id for n in j.buggy_leaves()] == [n.id for n in leaves]
        assert j.failed_count() == sum(1 for n in j.nodes if n.is_finished and not n.is_good)
        assert [n.id for n in j.stage_nodes("ensemble")] == [
            n.id for n in j.nodes if n.stage == "ensemble"
        ]
    last = j.nodes[-1]
    assert j.has_expansion(expansion_key(last.stage, last.parent_id, last.merged_ids))
    assert not j.has_expansion(("improve", "no-such-node"))


def test_a_node_in_two_journals_updates_both_and_copies_belong_to_none() -> None:
    a, b = Journal(lower_is_better=True), Journal(lower_is_better=True)
    node = Node(id="x", step=0, stage="draft")
    a.add(node)
    b.add(node)
    node.status, node.is_buggy, node.metric = "done", False, 1.0
    assert a.best_node() is node and b.best_node() is node
    twin = pickle.loads(pickle.dumps(node))
    clone = copy.copy(node)
    twin.metric = clone.metric = 0.5
    assert node.metric == 1.0 and [n.metric for n in a.ranked()] == [1.0]
    c = Journal(lower_is_better=True)
    c.add(twin)
    assert c.best_node() is twin and a.best_node() is node


def test_counts_sort_every_node_into_one_state() -> None:
    j = Journal(lower_is_better=False)
    j.add(Node(id="q", step=0, stage="draft"))
    j.add(Node(id="r", step=1, stage="draft", status="running"))
    j.add(Node(id="g", step=2, stage="draft", status="done", is_buggy=False, metric=0.9))
    j.add(Node(id="b", step=3, stage="draft", status="done", is_buggy=True))
    j.add(Node(id="t", step=4, stage="draft", status="timeout", is_buggy=True))
    assert j.counts() == {"queued": 1, "running": 1, "good": 1, "buggy": 2}
