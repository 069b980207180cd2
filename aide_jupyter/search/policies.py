"""The policy a search config names: `make_policy(config)` (greedy, mcts).

Apart from policy.py so that the policies (mcts.py builds on policy.py's `Action`) never import
their own factory.
"""

from __future__ import annotations

from .config import SearchConfig
from .mcts import MCTSPolicy
from .policy import GreedyPolicy, Policy


def make_policy(config: SearchConfig) -> Policy:
    """The policy named by `config.policy`, with its parameters."""
    if config.policy == "greedy":
        return GreedyPolicy(config.num_drafts, config.debug_prob, config.max_debug_depth)
    if config.policy == "mcts":
        return MCTSPolicy(
            num_drafts=config.num_drafts,
            max_debug_depth=config.max_debug_depth,
            c=config.uct_c,
            max_children=config.mcts_max_children,
        )
    raise ValueError(f"unknown policy {config.policy!r}")
