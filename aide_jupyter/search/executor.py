"""What the engine needs from an executor: run one node's script somewhere else, report how it went.

Implementations live in `aide_jupyter.executors` (live kernel, standalone kernel) and in tests
(a plain subprocess). The engine only sees this protocol.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Protocol, runtime_checkable


@dataclass
class ExecRequest:
    """One node to run. `workdir` is the node's own folder under the search's run folder."""

    node_id: str
    code: str
    workdir: str
    timeout_s: float = 600.0
    memory_limit_mb: int | None = None
    data_names: list[str] = field(default_factory=list)
    # The holdout harness (see docs/executor.md): the engine sets {"key": <the split's key>};
    # a kernel executor adds "module" (the sys.modules name of the shipped harness), and the
    # runner calls its hooks around the node's code.
    harness: dict[str, Any] | None = None


@dataclass
class ExecResult:
    """How a node's script ran.

    exit_cause: ok | exception | timeout | signal (killed by a signal, e.g. a segfault) |
    exit (the process exited early, e.g. os._exit) | memory (over the memory limit) |
    cancelled (stopped on request; exc_type "Cancelled") |
    lost (the kernel died or restarted under it) | error (the executor itself failed).
    `harness`: what the request's harness hooks returned (after_exec, score), if any.
    """

    output: str
    exit_cause: str = "ok"
    exc_type: str | None = None
    exc_traceback: str | None = None
    exec_time_s: float = 0.0
    peak_mem_mb: float | None = None
    exit_code: int | None = None
    detail: str | None = None
    # With a holdout: {metric, metric_name, rows, via} or {error} from the kernel's harness.
    harness: dict[str, Any] | None = None

    @property
    def ok(self) -> bool:
        return self.exit_cause == "ok"

    @property
    def timed_out(self) -> bool:
        return self.exit_cause == "timeout"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class ExecutorLost(RuntimeError):
    """The executor can no longer run nodes (its kernel died or restarted); the search should pause."""


@runtime_checkable
class Executor(Protocol):
    """Runs node scripts in isolation from the caller's process."""

    async def run(self, request: ExecRequest) -> ExecResult: ...

    async def close(self) -> None: ...


@runtime_checkable
class HoldoutExecutor(Protocol):
    """An executor that can hold out rows and score nodes on them (trusted scores).

    `prepare_holdout` splits once per search in the place where the data lives and answers
    {key, rows, train_rows, task, metric, ...}; requests then carry `harness={"key": key}`.
    It is idempotent per key and safe to call again after a kernel restart."""

    async def prepare_holdout(self, args: dict[str, Any]) -> dict[str, Any]: ...

    async def release_holdout(self, key: str) -> None: ...


async def cancel_nodes(executor: Executor, node_ids: list[str]) -> None:
    """Ask the executor to end these running nodes now, if it can (`cancel(node_ids)`); their
    `run()` calls then return `exit_cause="cancelled"`."""
    cancel = getattr(executor, "cancel", None)
    if cancel is not None and node_ids:
        await cancel(node_ids)
