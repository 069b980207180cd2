from __future__ import annotations

import random

from aide_jupyter.search.config import SearchConfig
from aide_jupyter.search.journal import Journal
from aide_jupyter.search.mcts import MCTSPolicy
from aide_jupyter.search.policies import make_policy
from aide_jupyter.search.policy import Action
from tests.support_engine.fakes import node


def test_factory_builds_each_policy() -> None:
    assert isinstance(make_policy(SearchConfig(policy="mcts", uct_c=2.0)), MCTSPolicy)
    assert make_policy(SearchConfig(policy="mcts", uct_c=2.0)).c == 2.0  # type: ignore[attr-defined]


def test_drafts_first_then_expands_the_best_branch() -> None:
    j = Journal(lower_is_better=False)
    policy = MCTSPolicy(num_drafts=2, c=0.0, max_children=2)
    assert policy.select(j, random.Random(0)) == Action("draft")
    node(j, "a", metric=0.6)
    node(j, "b", metric=0.9)
    assert policy.select(j, random.Random(0)) == Action("improve", "b")


def test_fully_expanded_node_descends_to_its_best_child() -> None:
    j = Journal(lower_is_better=False)
    node(j, "a", metric=0.5)
    node(j, "b", metric=0.9)
    node(j, "b1", "improve", "b", metric=0.95)
    node(j, "b2", "improve", "b", metric=0.7)
    policy = MCTSPolicy(num_drafts=2, c=0.0, max_children=2)
    assert policy.select(j, random.Random(0)) == Action("improve", "b1")


def test_exploration_visits_a_less_visited_branch() -> None:
    j = Journal(lower_is_better=False)
    node(j, "a", metric=0.8)
    node(j, "b", metric=0.9)
    for i in range(2):
        node(j, f"b{i}", "improve", "b", metric=0.85)
    greedy_ish = MCTSPolicy(num_drafts=2, c=0.0, max_children=2)
    explorer = MCTSPolicy(num_drafts=2, c=5.0, max_children=2)
    assert greedy_ish.select(j, random.Random(0)).parent_id in ("b0", "b1")
    assert explorer.select(j, random.Random(0)) == Action("improve", "a")


def test_buggy_nodes_get_one_debug_child_and_lower_is_better_is_honoured() -> None:
    j = Journal(lower_is_better=True)
    node(j, "bad", buggy=True)
    node(j, "ok", metric=2.0)
    policy = MCTSPolicy(num_drafts=2, c=0.0, max_children=1)
    node(j, "ok1", "improve", "ok", metric=1.0)  # ok is now fully expanded
    # c=0: the branch with the better (lower) metrics wins; its leaf ok1 gets improved
    assert policy.select(j, random.Random(0)) == Action("improve", "ok1")
    node(j, "ok2", "improve", "ok1", metric=3.0)
    node(j, "ok3", "improve", "ok2", buggy=True)
    # ok2 is the worst good node but is expanded; the buggy ok3 is debugged next
    assert policy.select(j, random.Random(0)) == Action("debug", "ok3")


def test_dead_tree_falls_back_to_a_new_draft() -> None:
    j = Journal(lower_is_better=False)
    node(j, "x", buggy=True, code="")
    node(j, "y", status="running")
    assert MCTSPolicy(num_drafts=2).select(j, random.Random(0)) == Action("draft")
