"""The search tree as plain data: nodes, the journal that holds them, and the search's identity.

No Jupyter imports here: the engine, the journal notebook writer, the executors and the server all
share these types, and each can be tested alone.
"""

from __future__ import annotations

import re
import time
import weakref
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Literal

from .index import INDEXED_FIELDS, JournalIndex

Stage = Literal["draft", "debug", "improve", "fork", "seed", "ensemble", "crossover"]
NodeStatus = Literal["queued", "running", "done", "failed"]
MetricSource = Literal["reported", "parsed", "harness"]
ExitCause = Literal[
    "ok", "exception", "timeout", "signal", "exit", "memory", "cancelled", "lost", "error"
]

STAGES: tuple[str, ...] = ("draft", "debug", "improve", "fork", "seed", "ensemble", "crossover")
SEED_STAGE = "seed"  # the root node holding the user's own code (see search/seeding.py)
NODE_STATUSES: tuple[str, ...] = ("queued", "running", "done", "failed")

_CELL_MARK = re.compile(r"^# ?%%.*$", re.MULTILINE)


def split_cells(code: str) -> list[str]:
    """Split a script at `# %%` lines into notebook cells (the marker line starts each cell)."""
    starts = [m.start() for m in _CELL_MARK.finditer(code)]
    if not starts or starts[0] != 0:
        starts = [0, *starts]
    cells = [code[a:b].strip("\n") for a, b in zip(starts, [*starts[1:], len(code)], strict=True)]
    return [c for c in cells if c.strip()] or [code.strip("\n")]


def join_cells(cells: list[str]) -> str:
    """Inverse of :func:`split_cells` for cells that each start with a `# %%` line."""
    return "\n\n".join(c.strip("\n") for c in cells) + "\n"


@dataclass
class Node:
    """One candidate solution: a whole script, how it ran, and what the reviewer said of it."""

    id: str
    step: int
    stage: str
    parent_id: str | None = None
    plan: str = ""
    code: str = ""
    status: str = "queued"
    output: str = ""
    exc_type: str | None = None
    exc_traceback: str | None = None
    exit_cause: str | None = None
    exec_time_s: float | None = None
    peak_mem_mb: float | None = None
    metric: float | None = None
    lower_is_better: bool | None = None
    metric_source: str | None = None
    # With a holdout: `metric` is the harness's score, this is the node's own printed number.
    reported_metric: float | None = None
    holdout_error: str | None = None  # why the harness could not score the node
    metric_flag: str | None = None  # set when the reported number is far better than the holdout's
    is_buggy: bool | None = None
    analysis: str = ""
    error: str | None = None
    instruction: str | None = None
    # ensemble / crossover: the other nodes combined with the parent (parent_id is the first)
    merged_ids: list[str] = field(default_factory=list)
    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: float | None = 0.0  # None: unknown (a model without a price answered)
    created: float = field(default_factory=time.time)
    finished: float | None = None
    kernel_id: str | None = None  # the kernel it ran on (a worker kernel or the user's)

    def __setattr__(self, name: str, value: Any) -> None:
        object.__setattr__(self, name, value)
        if name in INDEXED_FIELDS:  # keep the indexes of the journals holding it right
            for ref in self.__dict__.get("_indexes", ()):
                index = ref()
                if index is not None:
                    index.changed(self)

    def __getstate__(self) -> dict[str, Any]:
        """Copies and pickles belong to no journal."""
        return {k: v for k, v in self.__dict__.items() if k != "_indexes"}

    @property
    def cells(self) -> list[str]:
        return split_cells(self.code) if self.code else []

    @property
    def is_good(self) -> bool:
        return self.status == "done" and self.is_buggy is False and self.metric is not None

    @property
    def is_finished(self) -> bool:
        return self.status in ("done", "failed")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Node:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})

    def summary(self) -> dict[str, Any]:
        """The node without its bulky parts (code, output, traceback), for listings and events."""
        d = self.to_dict()
        for bulky in ("code", "output", "exc_traceback", "analysis", "plan"):
            d.pop(bulky)
        d["plan_head"] = self.plan[:200]
        return d


@dataclass
class SearchInfo:
    """What a search is about; stored in the journal notebook's metadata (never secrets)."""

    id: str
    goal: str
    eval: str = ""
    data: list[str] = field(default_factory=list)
    data_dir: str | None = None
    target: str | None = None
    notebook_path: str | None = None  # the notebook the search works for (server-root relative)
    kernel_id: str | None = None  # the kernel it last ran on
    config: dict[str, Any] = field(default_factory=dict)
    status: str = "queued"
    stop_reason: str | None = None
    # Why a paused search paused: "user", "kernel" (its kernel restarted, shut down or died) or
    # "server_restart" (the server stopped while it ran); None unless paused.
    pause_cause: str | None = None
    # The user's starting point, when the search has one: {"node_id", "cell_id"} (the code itself
    # is the root node's, stage "seed"). None for a search that starts from a blank page.
    seed: dict[str, Any] | None = None
    # Trusted scores: {fraction, metric} as asked; after the split also rows, task, key, data_dir.
    holdout: dict[str, Any] | None = None
    created: float = field(default_factory=time.time)
    elapsed_s: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SearchInfo:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


def better(a: float, b: float, lower_is_better: bool) -> bool:
    """Strictly better; equal metrics are not better, so ties go to the earlier node."""
    return a < b if lower_is_better else a > b


@dataclass
class Journal:
    """All nodes of one search, in creation order, with the search's fixed metric direction."""

    nodes: list[Node] = field(default_factory=list)
    lower_is_better: bool | None = None
    _by_id: dict[str, Node] = field(default_factory=dict, repr=False, compare=False)
    _children: dict[str | None, list[Node]] = field(default_factory=dict, repr=False, compare=False)
    _index: JournalIndex = field(default_factory=JournalIndex, repr=False, compare=False)

    def __post_init__(self) -> None:
        existing, self.nodes = self.nodes, []
        for node in existing:
            self.add(node)

    def __len__(self) -> int:
        return len(self.nodes)

    def __iter__(self) -> Iterator[Node]:
        return iter(self.nodes)

    def __contains__(self, node_id: object) -> bool:
        return node_id in self._by_id

    def add(self, node: Node) -> Node:
        if node.id in self._by_id:
            raise ValueError(f"node id {node.id!r} already in the journal")
        if node.parent_id is not None and node.parent_id not in self._by_id:
            raise ValueError(f"node {node.id!r} names unknown parent {node.parent_id!r}")
        self.nodes.append(node)
        self._by_id[node.id] = node
        self._children.setdefault(node.parent_id, []).append(node)
        node.__dict__.setdefault("_indexes", []).append(weakref.ref(self._index))
        self._index.add(node)
        return node

    def get(self, node_id: str) -> Node:
        try:
            return self._by_id[node_id]
        except KeyError:
            raise KeyError(f"no node {node_id!r} in this search") from None

    def next_step(self) -> int:
        return max((n.step for n in self.nodes), default=-1) + 1

    def children(self, node_id: str | None) -> list[Node]:
        """Children of a node; `None` gives the roots (drafts)."""
        return list(self._children.get(node_id, ()))

    def children_view(self, node_id: str | None) -> Sequence[Node]:
        """The children without a copy, for hot loops: do not modify."""
        return self._children.get(node_id, ())

    @property
    def draft_nodes(self) -> list[Node]:
        return self.children(None)

    @property
    def seed_node(self) -> Node | None:
        """The root holding the user's own code, if this search started from one."""
        return next((n for n in self.children(None) if n.stage == SEED_STAGE), None)

    def resolve(self, ref: str) -> Node:
        """The node `ref` names as the UI shows it (`#3`, `3`) or by id or id prefix."""
        return self.get(resolve_ref(ref, [(n.id, n.step) for n in self.nodes]))

    def parent(self, node: Node) -> Node | None:
        return self._by_id.get(node.parent_id) if node.parent_id else None

    def ancestors(self, node: Node) -> list[Node]:
        """Parent first, root last."""
        out: list[Node] = []
        current = self.parent(node)
        while current is not None:
            out.append(current)
            current = self.parent(current)
        return out

    def siblings(self, node: Node) -> list[Node]:
        return [n for n in self.children(node.parent_id) if n.id != node.id]

    def is_leaf(self, node: Node) -> bool:
        return not self._children.get(node.id)

    def debug_depth(self, node: Node) -> int:
        """How many debug steps in a row led to this node (0 for a non-debug node)."""
        depth = 0
        current: Node | None = node
        while current is not None and current.stage == "debug":
            depth += 1
            current = self.parent(current)
        return depth

    @property
    def good_nodes(self) -> list[Node]:
        return [n for n in self.nodes if n.is_good]

    @property
    def buggy_nodes(self) -> list[Node]:
        return [n for n in self.nodes if n.is_finished and not n.is_good]

    # ----- from the incremental indexes (index.py): no scan of the nodes -----

    def _indexed(self) -> JournalIndex:
        self._index.set_direction(bool(self.lower_is_better))  # rank under today's direction
        return self._index

    def ranked(self, *, finite: bool = True) -> Iterator[Node]:
        """Good nodes best first (ties: the earlier node); `finite` leaves out infinite metrics."""
        return self._indexed().ranked(finite=finite)  # type: ignore[return-value]

    def best_node(self) -> Node | None:
        """Best good node under the search's direction (NaN never); the earliest wins a tie."""
        return self._indexed().best()  # type: ignore[return-value]

    def in_flight(self) -> list[Node]:
        """Nodes queued or running, in step order."""
        return self._index.unfinished()  # type: ignore[return-value]

    def buggy_leaves(self) -> list[Node]:
        """Finished nodes that are not good and have no children, in step order."""
        return self._index.buggy_leaves()  # type: ignore[return-value]

    def stage_nodes(self, stage: str) -> list[Node]:
        return self._index.stage(stage)  # type: ignore[return-value]

    def failed_count(self) -> int:
        """Finished nodes that are not good."""
        return self._index.bad_count()

    def good_count(self) -> int:
        return self._index.good_count()

    def has_expansion(self, key: tuple) -> bool:
        """Whether a node (done or in flight) made the expansion `key` (index.expansion_key)."""
        return self._index.has_expansion(key)

    def best_path(self) -> list[str]:
        """Ids from the root to the best node, root first."""
        best = self.best_node()
        if best is None:
            return []
        return [n.id for n in reversed(self.ancestors(best))] + [best.id]

    def counts(self) -> dict[str, int]:
        """Nodes by state (queued, running, good, buggy), as summaries and displays show them."""
        out = {"queued": 0, "running": 0, "good": 0, "buggy": 0}
        for node in list(self.nodes):  # a copy: the loop may add a node meanwhile
            if node.status in ("queued", "running"):
                out[node.status] += 1
            else:
                out["good" if node.is_good else "buggy"] += 1
        return out

    def totals(self) -> dict[str, Any]:
        """Budgets used so far, derived from the nodes (so a reloaded journal knows them)."""
        return {
            "tokens_in": sum(n.tokens_in for n in self.nodes),
            "tokens_out": sum(n.tokens_out for n in self.nodes),
            "cost_usd": None
            if any(n.cost_usd is None for n in self.nodes)
            else sum(n.cost_usd or 0.0 for n in self.nodes),
            "exec_time_s": sum(n.exec_time_s or 0.0 for n in self.nodes),
        }


NODE_REF_HELP = "name a node as the panel shows it (#3 or 3: its step) or by its id or an id prefix"


def resolve_ref(ref: str, nodes: list[tuple[str, int]]) -> str:
    """The id of the node `ref` names: an exact id, `#N` or `N` (a step number), else a unique id
    prefix. ValueError says what was wrong and what is accepted."""
    text = str(ref).strip()
    ids = {node_id for node_id, _ in nodes}
    if text in ids:
        return text
    number = text[1:] if text.startswith("#") else text
    if number.isdigit():
        for node_id, step in nodes:
            if step == int(number):
                return node_id
        if text.startswith("#"):
            last = max((step for _, step in nodes), default=None)
            steps = "no nodes yet" if last is None else f"steps are 0 to {last}"
            raise ValueError(f"no node {text} ({steps})")
    matches = [node_id for node_id in ids if text and node_id.startswith(text)]
    if len(matches) == 1:
        return matches[0]
    if len(matches) > 1:
        raise ValueError(f"{text!r} matches {len(matches)} nodes; give more of the id")
    raise ValueError(f"no node {text!r}: {NODE_REF_HELP}")
