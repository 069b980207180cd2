"""Search settings: one validated dataclass, stored in the journal (so it must never hold secrets).

Every field is plain JSON data. Validation names the offending field so the server can answer a
400 with it and the magic can point at the right option.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from typing import Any

POLICIES: tuple[str, ...] = ("greedy", "mcts", "evolve")


# Settings older journals may hold that no longer exist; ignored on load.
_RETIRED = frozenset({"memory_max_chars"})


class ConfigError(ValueError):
    """A setting is invalid; `field` names it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass
class SearchConfig:
    """How a search runs. Defaults follow AIDE (num_drafts=5, debug_prob=0.5, max_debug_depth=3)."""

    steps: int = 20
    time_limit_s: float | None = None
    node_timeout_s: float = 600.0
    max_tokens: int | None = None
    max_cost_usd: float | None = None
    target_metric: float | None = None
    lower_is_better: bool | None = None
    policy: str = "greedy"
    num_drafts: int = 5
    debug_prob: float = 0.5
    max_debug_depth: int = 3
    # The only source of randomness for the policy and the builtin coder (None: drawn once and
    # recorded). Not `seed`: on the REST API that name is the user's starting code.
    random_seed: int | None = None
    parallel: int = 1
    # extra kernels of the same kernelspec the server starts for this search (scale-out)
    workers: int = 0
    model: str = "builtin"
    feedback_model: str | None = None
    memory_limit_mb: int | None = None
    # Caps on what goes into a prompt, so prompt size does not grow with the journal.
    memory_max_items: int = 30
    memory_max_tokens: int = 1500
    output_max_chars: int = 6000
    overview_max_chars: int = 8000
    # Unparseable coder replies are retried this many times before the node fails.
    reply_retries: int = 2
    # MCTS policy: exploration constant and children per node before it is fully expanded.
    uct_c: float = 1.0
    mcts_max_children: int = 3
    # Ensembles (every policy): once this many good nodes exist, combine the top `ensemble_size`
    # (0: never); the next ensemble waits for as many new good nodes.
    ensemble_min_good: int = 3
    ensemble_size: int = 3
    # Evolve policy: the population (best good nodes) and the share of crossovers.
    population_size: int = 6
    crossover_prob: float = 0.3

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Raise ConfigError naming the first bad field."""
        _int(self, "steps", 1, 100_000)
        _num(self, "time_limit_s", 0.0, None, optional=True, exclusive_min=True)
        _num(self, "node_timeout_s", 0.0, None, exclusive_min=True)
        _int(self, "max_tokens", 1, None, optional=True)
        _num(self, "max_cost_usd", 0.0, None, optional=True, exclusive_min=True)
        _num(self, "target_metric", None, None, optional=True)
        if self.lower_is_better is not None and not isinstance(self.lower_is_better, bool):
            raise ConfigError("lower_is_better", "must be true, false or null")
        if self.policy not in POLICIES:
            raise ConfigError("policy", f"must be one of {', '.join(POLICIES)}")
        _int(self, "num_drafts", 1, 1000)
        _num(self, "debug_prob", 0.0, 1.0)
        _int(self, "max_debug_depth", 0, 100)
        _int(self, "random_seed", 0, 2**63 - 1, optional=True)
        _int(self, "parallel", 1, 64)
        _int(self, "workers", 0, 64)
        if not isinstance(self.model, str) or not self.model.strip():
            raise ConfigError("model", "must be a non-empty model name ('builtin' or an LLM)")
        if self.feedback_model is not None and (
            not isinstance(self.feedback_model, str) or not self.feedback_model.strip()
        ):
            raise ConfigError("feedback_model", "must be a non-empty model name or null")
        _int(self, "memory_limit_mb", 1, None, optional=True)
        _int(self, "memory_max_items", 0, 1000)
        _int(self, "memory_max_tokens", 0, 1_000_000)
        _int(self, "output_max_chars", 200, 1_000_000)
        _int(self, "overview_max_chars", 0, 1_000_000)
        _int(self, "reply_retries", 0, 10)
        _num(self, "uct_c", 0.0, 100.0)
        _int(self, "mcts_max_children", 1, 100)
        _int(self, "ensemble_min_good", 0, 1000)
        _int(self, "ensemble_size", 2, 20)
        _int(self, "population_size", 2, 1000)
        _num(self, "crossover_prob", 0.0, 1.0)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any], *, strict: bool = True) -> SearchConfig:
        """Build from JSON data; unknown keys are an error when `strict` (typos must not pass)."""
        if not isinstance(data, dict):
            raise ConfigError("config", "must be an object")
        known = {f.name for f in fields(cls)}
        if "seed" in data and "random_seed" not in data:  # journals written before the rename
            data = {("random_seed" if k == "seed" else k): v for k, v in data.items()}
        unknown = sorted(set(data) - known)
        unknown = [k for k in unknown if k not in _RETIRED]
        if unknown and strict:
            raise ConfigError(unknown[0], "unknown setting")
        values = {k: v for k, v in data.items() if k in known}
        for name in (
            "time_limit_s",
            "node_timeout_s",
            "max_cost_usd",
            "target_metric",
            "debug_prob",
            "uct_c",
            "crossover_prob",
        ):
            if isinstance(values.get(name), int) and not isinstance(values[name], bool):
                values[name] = float(values[name])
        return cls(**values)


def _int(
    cfg: SearchConfig, name: str, lo: int | None, hi: int | None, *, optional: bool = False
) -> None:
    value = getattr(cfg, name)
    if value is None and optional:
        return
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(name, f"must be an integer, got {value!r}")
    if lo is not None and value < lo:
        raise ConfigError(name, f"must be at least {lo}, got {value}")
    if hi is not None and value > hi:
        raise ConfigError(name, f"must be at most {hi}, got {value}")


def _num(
    cfg: SearchConfig,
    name: str,
    lo: float | None,
    hi: float | None,
    *,
    optional: bool = False,
    exclusive_min: bool = False,
) -> None:
    value = getattr(cfg, name)
    if value is None and optional:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ConfigError(name, f"must be a finite number, got {value!r}")
    if lo is not None and (value <= lo if exclusive_min else value < lo):
        raise ConfigError(name, f"must be {'greater than' if exclusive_min else 'at least'} {lo}")
    if hi is not None and value > hi:
        raise ConfigError(name, f"must be at most {hi}, got {value}")
