from __future__ import annotations

import random

from aide_jupyter.search.journal import Journal
from aide_jupyter.search.policy import Action, GreedyPolicy
from tests.support_engine.fakes import node


def test_drafts_until_num_drafts_roots() -> None:
    j = Journal(lower_is_better=False)
    policy = GreedyPolicy(num_drafts=2)
    assert policy.select(j, random.Random(0)) == Action("draft")
    node(j, "a", metric=0.5)
    assert policy.select(j, random.Random(0)) == Action("draft")
    node(j, "b", status="running")  # in-flight drafts count
    assert policy.select(j, random.Random(0)).stage != "draft"


def test_improves_best_and_ties_go_to_the_earliest() -> None:
    j = Journal(lower_is_better=False)
    node(j, "a", metric=0.7)
    node(j, "b", metric=0.9)
    node(j, "c", metric=0.9)
    policy = GreedyPolicy(num_drafts=3, debug_prob=0.0)
    assert policy.select(j, random.Random(0)) == Action("improve", "b")


def test_lower_is_better_picks_the_smallest() -> None:
    j = Journal(lower_is_better=True)
    node(j, "a", metric=3.0)
    node(j, "b", metric=1.0)
    assert GreedyPolicy(2, 0.0).select(j, random.Random(0)) == Action("improve", "b")


def test_drafts_again_when_nothing_is_good() -> None:
    j = Journal(lower_is_better=False)
    node(j, "a", buggy=True)
    node(j, "b", buggy=True)
    assert GreedyPolicy(2, debug_prob=0.0).select(j, random.Random(0)) == Action("draft")


def test_debugs_buggy_leaves_with_probability_and_depth_limit() -> None:
    j = Journal(lower_is_better=False)
    node(j, "good", metric=0.5)
    node(j, "bad", buggy=True)
    node(j, "d1", "debug", "bad", buggy=True)
    node(j, "d2", "debug", "d1", buggy=True)  # debug depth 2
    node(j, "nocode", buggy=True, code="")  # a coder failure: nothing to debug
    policy = GreedyPolicy(num_drafts=3, debug_prob=1.0, max_debug_depth=3)
    assert policy.select(j, random.Random(0)) == Action("debug", "d2")
    # AIDE's reference: a buggy leaf is debuggable while debug_depth <= max_debug_depth.
    assert GreedyPolicy(3, 1.0, max_debug_depth=2).select(j, random.Random(0)) == Action(
        "debug", "d2"
    )
    assert GreedyPolicy(3, 1.0, max_debug_depth=1).select(j, random.Random(0)) == Action(
        "improve", "good"
    )
    assert GreedyPolicy(3, 0.0, 3).select(j, random.Random(0)) == Action("improve", "good")


def test_a_debug_chain_holds_max_debug_depth_plus_one_debug_nodes() -> None:
    """Debugging always the newest leaf, the chain stops after depths 1..max_debug_depth+1."""
    for max_depth in (0, 1, 3):
        j = Journal(lower_is_better=False)
        node(j, "good", metric=0.5)
        node(j, "bad", buggy=True)
        policy = GreedyPolicy(num_drafts=2, debug_prob=1.0, max_debug_depth=max_depth)
        leaf = "bad"
        for depth in range(1, 10):
            action = policy.select(j, random.Random(depth))
            if action.stage != "debug":
                break
            assert action.parent_id == leaf
            leaf = f"d{depth}"
            node(j, leaf, "debug", action.parent_id, buggy=True)
        assert j.debug_depth(j.get(leaf)) == max_depth + 1
        assert action == Action("improve", "good")


def test_debug_probability_is_respected_and_seeded() -> None:
    j = Journal(lower_is_better=False)
    node(j, "good", metric=0.5)
    node(j, "bad", buggy=True)
    policy = GreedyPolicy(num_drafts=2, debug_prob=0.3)
    picks = [policy.select(j, rng).stage for rng in [random.Random(7)] for _ in range(2000)]
    share = picks.count("debug") / len(picks)
    assert 0.25 < share < 0.35
    again = [policy.select(j, rng).stage for rng in [random.Random(7)] for _ in range(2000)]
    assert again == picks
