"""Searches that start from the user's own code: the seed root node and the policy around it.

A seed is the code the user already has (a notebook cell that loads, engineers and fits). It is
the root node (step 0, stage `seed`), runs first like any node, and the search descends from it:
a buggy seed is debugged first, a good one improved first. `seed_drafts` fresh drafts are still
made beside it so the search can leave a poor starting point; after that the configured policy
runs with the seed counted as one of its drafts.
"""

from __future__ import annotations

import dataclasses
import random
import uuid
from typing import TYPE_CHECKING

from .journal import SEED_STAGE, Journal, Node
from .policies import make_policy
from .policy import Action, Policy, is_debuggable

if TYPE_CHECKING:
    from .config import SearchConfig

SEED_PLAN = "The user's own code: the starting point of this search, run as written."
MAX_SEED_CHARS = 200_000


def add_seed(journal: Journal, code: str, *, node_id: str | None = None) -> Node:
    """Put the user's code into an empty journal as its root node (queued, so it runs first)."""
    if not isinstance(code, str) or not code.strip():
        raise ValueError("seed code must be a non-empty string")
    if len(journal):
        raise ValueError("the seed must be the first node of a search")
    node = Node(
        id=node_id or uuid.uuid4().hex[:8],
        step=0,
        stage=SEED_STAGE,
        code=code.strip("\n") + "\n",
        plan=SEED_PLAN,
    )
    return journal.add(node)


def rerun_cancelled_seed(journal: Journal) -> bool:
    """A seed that a stop or pause cut off (and nothing grew from) is queued to run again."""
    seed = journal.seed_node
    if seed is None or seed.exc_type != "Cancelled" or journal.children(seed.id):
        return False
    for name in ("output", "analysis"):
        setattr(seed, name, "")
    seed.status, seed.exc_type, seed.exc_traceback, seed.exit_cause = "queued", None, None, None
    seed.error = seed.exec_time_s = seed.finished = seed.is_buggy = seed.metric = None
    return True


class SeedFirst:
    """Debug or improve the seed before anything else, then `seed_drafts` drafts, then `inner`."""

    def __init__(self, inner: Policy, seed_drafts: int, max_debug_depth: int) -> None:
        self.inner = inner
        self.seed_drafts = seed_drafts
        self.max_debug_depth = max_debug_depth

    def select(self, journal: Journal, rng: random.Random) -> Action:
        seed = journal.seed_node
        if seed is None:
            return self.inner.select(journal, rng)
        if seed.is_finished and not journal.children(seed.id):
            if seed.is_good:
                return Action("improve", seed.id)
            if is_debuggable(journal, seed, self.max_debug_depth):
                return Action("debug", seed.id)
        drafts = [n for n in journal.draft_nodes if n.stage != SEED_STAGE]
        if len(drafts) < self.seed_drafts:
            return Action("draft")
        return self.inner.select(journal, rng)


def seeded_policy(config: SearchConfig) -> Policy:
    """The configured policy for a seeded search: the seed counts as one of its drafts."""
    inner_config = dataclasses.replace(config, num_drafts=config.seed_drafts + 1)
    return SeedFirst(make_policy(inner_config), config.seed_drafts, config.max_debug_depth)
