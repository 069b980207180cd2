"""The evolve policy and the ensemble step on hand-built journals."""

from __future__ import annotations

import random
from collections import Counter

from aide_jupyter.search.config import SearchConfig
from aide_jupyter.search.evolve import EvolvePolicy
from aide_jupyter.search.journal import Journal
from aide_jupyter.search.mcts import MCTSPolicy
from aide_jupyter.search.policies import make_policy
from aide_jupyter.search.policy import (
    Action,
    GreedyPolicy,
    ensemble_action,
    expansion_key,
)
from tests.support_engine.fakes import node


def _population(lower: bool = False) -> Journal:
    j = Journal(lower_is_better=lower)
    for i, metric in enumerate([0.70, 0.90, 0.80, 0.60]):
        node(j, f"d{i}", metric=metric)
    node(j, "bug", buggy=True)
    return j


def _evolve(**kw: object) -> EvolvePolicy:
    args: dict = {"num_drafts": 4, "debug_prob": 0.0, "crossover_prob": 0.0}
    return EvolvePolicy(**{**args, **kw})  # type: ignore[arg-type]


def test_drafts_first_then_mutates_by_tournament_from_the_population() -> None:
    j = Journal(lower_is_better=False)
    node(j, "d0", metric=0.5)
    assert _evolve().select(j, random.Random(0)) == Action("draft")
    j = _population()
    picks = Counter(_evolve().select(j, random.Random(seed)).parent_id for seed in range(400))
    assert set(picks) <= {"d0", "d1", "d2", "d3"} and "bug" not in picks
    # tournaments of two: the best is picked most, the worst never (it loses every tournament)
    assert picks["d1"] > picks["d2"] > picks["d0"] > 0 and picks["d3"] == 0
    assert all(_evolve().select(j, random.Random(s)).stage == "improve" for s in range(50))


def test_population_is_the_best_good_nodes_in_the_search_direction() -> None:
    j = _population(lower=True)
    pol = _evolve(population_size=2)
    assert [n.id for n in pol.population(j)] == ["d3", "d0"]
    assert {pol.select(j, random.Random(s)).parent_id for s in range(100)} == {"d3"}


def test_crossover_merges_two_members_and_never_repeats_a_pair() -> None:
    j = _population()
    pol = _evolve(crossover_prob=1.0, population_size=3)
    seen = set()
    for i in range(3):  # three members: three distinct pairs, then mutation again
        action = pol.select(j, random.Random(i))
        assert action.stage == "crossover" and len(action.others) == 1
        pair = frozenset([action.parent_id, *action.others])
        assert pair not in seen and pair <= {"d0", "d1", "d2"}
        seen.add(pair)
        rank = {"d1": 0, "d2": 1, "d0": 2}
        assert rank[action.parent_id] < rank[action.others[0]]  # the better parent leads
        node(j, f"x{i}", "crossover", action.parent_id, metric=0.5, merged_ids=[*action.others])
    assert pol.select(j, random.Random(9)).stage == "improve"


def test_debug_follows_aides_depth_rule() -> None:
    j = _population()
    node(j, "b1", "debug", "bug", buggy=True)
    node(j, "b2", "debug", "b1", buggy=True)
    assert _evolve(debug_prob=1.0, max_debug_depth=2).select(j, random.Random(0)) == Action(
        "debug", "b2"
    )
    assert _evolve(debug_prob=1.0, max_debug_depth=1).select(j, random.Random(0)).stage == (
        "improve"
    )


def test_parallel_workers_never_expand_the_same_parent_with_the_same_operator() -> None:
    """K selections in a row, each node left in flight (queued), as the loop does with K workers."""
    for seed in range(20):
        j = _population()
        node(j, "b1", "debug", "bug", buggy=True)
        pol = _evolve(debug_prob=0.3, crossover_prob=0.3, population_size=4)
        keys = []
        for k in range(8):
            rng = random.Random(f"{seed}:{k}")
            action = pol.select(j, rng)
            key = expansion_key(action.stage, action.parent_id, action.others)
            if action.stage != "draft":
                assert key not in keys, (seed, k, action)
            keys.append(key)
            node(
                j,
                f"f{k}",
                action.stage,
                action.parent_id,
                status="queued",
                merged_ids=list(action.others),
            )
        stages = Counter(k[0] for k in keys)
        assert stages["improve"] <= 4 and stages["debug"] <= 2  # 4 members, 2 debuggable leaves


def test_an_ensemble_once_enough_good_nodes_exist_then_after_as_many_new_ones() -> None:
    j = Journal(lower_is_better=False)
    node(j, "a", metric=0.7)
    node(j, "b", metric=0.9)
    assert ensemble_action(j, 3, 3) is None  # two good nodes: not yet
    node(j, "c", metric=0.8)
    node(j, "bad", buggy=True)
    action = ensemble_action(j, 3, 3)
    assert action == Action("ensemble", "b", ("c", "a"))  # best first, then by metric
    assert ensemble_action(j, 0, 3) is None  # turned off
    node(j, "e", "ensemble", "b", status="running", merged_ids=["c", "a"])
    assert ensemble_action(j, 3, 3) is None  # one at a time
    j.get("e").status, j.get("e").is_buggy, j.get("e").metric = "done", False, 0.95
    node(j, "i1", "improve", "b", metric=0.91)
    node(j, "i2", "improve", "i1", metric=0.92)
    assert ensemble_action(j, 3, 3) is None  # two new good nodes since the ensemble: wait
    node(j, "i3", "improve", "i2", metric=0.93)
    again = ensemble_action(j, 3, 3)
    assert again == Action("ensemble", "i3", ("i2", "i1"))  # ensembles are not members


def test_every_policy_takes_the_ensemble_step_when_it_is_due() -> None:
    j = _population()
    cfg = {"num_drafts": 4, "ensemble_min_good": 3, "ensemble_size": 2}
    for policy in (
        GreedyPolicy(4, 0.0, 3, ensemble_min_good=3, ensemble_size=2),
        MCTSPolicy(num_drafts=4, ensemble_min_good=3, ensemble_size=2),
        _evolve(ensemble_min_good=3, ensemble_size=2),
        make_policy(SearchConfig(policy="evolve", **cfg)),  # type: ignore[arg-type]
    ):
        assert policy.select(j, random.Random(0)) == Action("ensemble", "d1", ("d2",))
