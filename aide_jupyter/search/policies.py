"""The policy a search config names: `make_policy(config)` (greedy, mcts, evolve).

Apart from policy.py so that the policies (mcts.py and evolve.py build on policy.py's `Action`)
never import their own factory.
"""

from __future__ import annotations

from .config import SearchConfig
from .evolve import EvolvePolicy
from .mcts import MCTSPolicy
from .policy import GreedyPolicy, Policy


def make_policy(config: SearchConfig) -> Policy:
    """The policy named by `config.policy`, with its parameters."""
    ensemble = {
        "ensemble_min_good": config.ensemble_min_good,
        "ensemble_size": config.ensemble_size,
    }
    if config.policy == "greedy":
        return GreedyPolicy(
            config.num_drafts, config.debug_prob, config.max_debug_depth, **ensemble
        )
    if config.policy == "mcts":
        return MCTSPolicy(
            num_drafts=config.num_drafts,
            max_debug_depth=config.max_debug_depth,
            c=config.uct_c,
            max_children=config.mcts_max_children,
            **ensemble,
        )
    if config.policy == "evolve":
        return EvolvePolicy(
            num_drafts=config.num_drafts,
            debug_prob=config.debug_prob,
            max_debug_depth=config.max_debug_depth,
            population_size=config.population_size,
            crossover_prob=config.crossover_prob,
            **ensemble,
        )
    raise ValueError(f"unknown policy {config.policy!r}")
