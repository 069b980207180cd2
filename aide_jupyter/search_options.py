"""The options of a search, written once: each field's name, kind, bounds and help.

Both clients of a search read this table: the `%aide` magic builds its parser and help from it
inside the user's kernel, and the server checks `POST /aide/searches` bodies with it. So it is
standard library only and imports nothing else of aide_jupyter (the magic must not pull in the
server or Jupyter). Each side keeps its own wording of errors: the magic names its `--options`,
the server its JSON fields.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

# Kinds: how a value is read (magic) and checked (server).
TEXT = "text"  # a string (the server caps its length at `chars`)
NAMES = "names"  # variable names of the kernel (`--data a,b`; a JSON list)
DIRECTION = "direction"  # lower_is_better: --lower-is-better / --higher-is-better; a JSON bool
WHOLE = "whole"  # an integer from `lo` to `hi` (or to the server's `limit`)
SECONDS = "seconds"  # a duration (`--time 30m`; seconds in JSON), more than 0, at most `hi`
FRACTION = "fraction"  # a fraction, more than 0, at most `hi`
NUMBERS = (WHOLE, SECONDS)

MAX_GOAL_CHARS = 100_000
MAX_HOLDOUT = 0.5  # the largest fraction of the rows a holdout may take


@dataclass(frozen=True)
class Option:
    """One field of a search request and its `%aide` option."""

    name: str  # the REST body's field and the parsed request's attribute
    flag: str  # the magic's option
    kind: str
    usage: str  # the help's left column, e.g. "--steps N"
    help: tuple[str, ...] = ()  # the help's lines
    lo: int = 0
    hi: float | None = None  # the largest value, or None: no bound, or the server's `limit`
    limit: str | None = None  # the server setting that bounds it (max_steps, ...)
    chars: int = 10_000  # the longest text the server takes
    config: bool = False  # a SearchConfig setting (the others describe the task)
    only: str = ""  # "improve": an option of `%aide improve` alone

    def upper(self, limits: dict[str, int]) -> float:
        """The largest value: the server setting named by `limit`, else `hi` (inf: none)."""
        if self.limit is not None:
            return limits[self.limit]
        return math.inf if self.hi is None else self.hi


OPTIONS: tuple[Option, ...] = (
    Option(
        "data",
        "--data",
        NAMES,
        "--data NAMES",
        (
            "comma-separated variables of this kernel the solutions may use",
            "(DataFrames, arrays), e.g. --data train,test",
        ),
    ),
    Option(
        "data_dir",
        "--data-dir",
        TEXT,
        "--data-dir PATH",
        ("a folder with data files (train.csv, test.csv, ...)",),
        chars=4096,
    ),
    Option(
        "target",
        "--target",
        TEXT,
        "--target COL",
        ("the target column (checked against the --data frames)",),
        chars=1000,
    ),
    Option(
        "metric",
        "--metric",
        TEXT,
        "--metric NAME",
        ("the metric to optimise, e.g. accuracy, rmse, auc",),
        chars=1000,
    ),
    Option(
        "lower_is_better",
        "--lower-is-better",
        DIRECTION,
        "--lower-is-better",
        ("the metric's direction (default: from the first review)",),
        config=True,
    ),
    Option(
        "steps",
        "--steps",
        WHOLE,
        "--steps N",
        ("nodes in the tree (default: the server's, 20)",),
        lo=1,
        limit="max_steps",
        config=True,
    ),
    Option(
        "time_limit_s",
        "--time",
        SECONDS,
        "--time 30m",
        ("wall-clock budget: 90s, 30m, 1.5h, 1h30m",),
        hi=30 * 86400,
        config=True,
    ),
    Option(
        "node_timeout_s",
        "--node-timeout",
        SECONDS,
        "--node-timeout 5m",
        ("limit of one node (default 10m)",),
        hi=86400,
        config=True,
    ),
    Option(
        "parallel",
        "--parallel",
        WHOLE,
        "--parallel K",
        ("nodes run at once (default 1)",),
        lo=1,
        limit="max_parallel",
        config=True,
    ),
    Option(
        "workers",
        "--workers",
        WHOLE,
        "--workers N",
        ("N extra kernels of this kernel's kernelspec share the nodes (server)",),
        lo=0,
        limit="max_workers",
        config=True,
    ),
    Option(
        "policy",
        "--policy",
        TEXT,
        "--policy NAME",
        ("greedy (AIDE's, default), mcts or evolve",),
        chars=100,
        config=True,
    ),
    Option(
        "random_seed",
        "--random-seed",
        WHOLE,
        "--random-seed N",
        ("seed of the policy and the builtin coder: same seed, same tree",),
        lo=0,
        hi=2**63 - 1,
        config=True,
    ),
    Option(
        "model",
        "--model",
        TEXT,
        "--model NAME",
        (
            "builtin (offline baseline, no key) or an LLM model name for the",
            "OpenAI-compatible endpoint (needs OPENAI_API_KEY / OPENAI_BASE_URL)",
        ),
        chars=200,
        config=True,
    ),
    Option(
        "eval",
        "--eval",
        TEXT,
        "--eval TEXT",
        ("how solutions are evaluated, if not in the goal",),
        chars=MAX_GOAL_CHARS,
    ),
    Option(
        "holdout",
        "--holdout",
        FRACTION,
        "--holdout 0.2",
        (
            "trusted scores: hold out this fraction of the rows (needs --target",
            "and --data or --data-dir); every node is scored on them by the",
            "executor, with --metric (accuracy, balanced_accuracy, f1, roc_auc,",
            "log_loss, rmse, mae, r2, rmsle)",
        ),
        hi=MAX_HOLDOUT,
    ),
    Option(
        "seed_drafts",
        "--seed-drafts",
        WHOLE,
        "--seed-drafts N",
        ("fresh drafts made beside your code (default 2; 0: only build on it)",),
        lo=0,
        hi=1000,
        config=True,
        only="improve",
    ),
)

BY_NAME = {o.name: o for o in OPTIONS}
FIELDS = tuple(o.name for o in OPTIONS)  # what a client may set, beside goal and the ids
CONFIG_FIELDS = tuple(o.name for o in OPTIONS if o.config)


def option(name: str) -> Option:
    """The option of the field `name` (KeyError for a name that is not one)."""
    return BY_NAME[name]


@dataclass(kw_only=True)
class SearchOptions:
    """The options both parsed forms hold with the same type (the magic's `OptimizeArgs`, the
    server's `CreateRequest`); None or empty: the server's or the engine's default."""

    eval: str = ""
    data: list[str] = field(default_factory=list)
    target: str | None = None
    metric: str | None = None
    lower_is_better: bool | None = None
    steps: int | None = None
    time_limit_s: float | None = None
    node_timeout_s: float | None = None
    parallel: int | None = None
    workers: int | None = None
    policy: str | None = None
    model: str | None = None
    seed_drafts: int | None = None
    random_seed: int | None = None

    def config_overrides(self) -> dict[str, object]:
        """The SearchConfig settings given (the others keep their defaults)."""
        return {k: getattr(self, k) for k in CONFIG_FIELDS if getattr(self, k) is not None}


def help_lines(only: str = "") -> list[str]:
    """The help of the options (those of `only`, e.g. "improve"), one column of usages."""
    lines = []
    for opt in OPTIONS:
        if opt.only != only:
            continue
        first, *rest = opt.help or ("",)
        lines.append(f"  {opt.usage:<24}{first}".rstrip())
        lines += [f"{'':26}{more}" for more in rest]
        if opt.kind == DIRECTION:
            lines.append("  --higher-is-better")
    return lines
