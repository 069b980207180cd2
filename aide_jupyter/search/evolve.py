"""An evolutionary policy: a population of the best good nodes, tournament selection by metric,
improve as mutation and crossover of two parents, as AIRA-dojo's evolutionary search does.

Parallel-aware: nodes in flight are in the journal, and no two expansions start from the same
parent with the same operator (the same pair, for a crossover) at once; a crossover pair is
never repeated. Like the other policies it is a pure function of the journal and the seeded rng.
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass

from .journal import Journal, Node
from .policy import Action, GreedyParams, expansion_key, in_flight


@dataclass
class EvolvePolicy(GreedyParams):
    """Draft `num_drafts`; then an ensemble when one is due; with `debug_prob` debug a buggy leaf
    (depth rule as AIDE's); else with `crossover_prob` cross two population members, otherwise
    mutate (improve) one. Parents are picked by tournaments of two within the population."""

    population_size: int = 6
    crossover_prob: float = 0.3

    def population(self, journal: Journal) -> list[Node]:
        """The best good nodes, best first."""
        return list(itertools.islice(journal.ranked(), self.population_size))

    def select(self, journal: Journal, rng: random.Random) -> Action:
        busy = in_flight(journal)
        first = self.opening(journal, rng, busy)
        if first is not None:
            return first
        population = self.population(journal)
        if not population:
            return Action("draft")
        if rng.random() < self.crossover_prob:
            pair = self._pair(journal, population, rng)
            if pair is not None:
                return Action("crossover", pair[0].id, (pair[1].id,))
        free = [n for n in population if ("improve", n.id) not in busy]
        if free:
            return Action("improve", _tournament(free, rng).id)
        pair = self._pair(journal, population, rng)  # every member is being mutated
        if pair is not None:
            return Action("crossover", pair[0].id, (pair[1].id,))
        return Action("draft")

    @staticmethod
    def _pair(
        journal: Journal, population: list[Node], rng: random.Random
    ) -> tuple[Node, Node] | None:
        """Two members by tournament, better first, whose crossover is neither done nor running."""
        first = _tournament(population, rng)
        order = [first] + [n for n in population if n is not first]
        for a in order:
            mates = [
                b
                for b in population
                if b is not a
                and not journal.has_expansion(expansion_key("crossover", a.id, [b.id]))
            ]
            if mates:
                b = _tournament(mates, rng)
                rank = {n.id: i for i, n in enumerate(population)}
                return (a, b) if rank[a.id] <= rank[b.id] else (b, a)
        return None


def _tournament(nodes: list[Node], rng: random.Random, size: int = 2) -> Node:
    """The best of `size` members drawn at random; `nodes` is sorted best first."""
    picks = rng.sample(range(len(nodes)), min(size, len(nodes)))
    return nodes[min(picks)]
