"""The search loop: the only place that knows the policy, the coder and the executor together.

One `SearchLoop` drives one search: it asks the policy what to expand, the coder for code, the
executor to run it and the coder again to review it, records everything on the journal's nodes and
tells listeners (the journal notebook writer, the server) about every change. The work on one node
is in steps.py (`NodeSteps`), stop, pause and the fate of nodes in flight in interrupts.py
(`Interrupts`), budgets and stop conditions in budget.py.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
import uuid
from collections import deque
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import holdout as holdout_mod
from .budget import budget_reason
from .config import SearchConfig
from .executor import Executor, ExecutorLost
from .interrupts import Interrupts
from .journal import Journal, Node, SearchInfo
from .policies import make_policy
from .seeding import rerun_cancelled_seed, seeded_policy
from .steps import Listener

if TYPE_CHECKING:
    from .coder import Coder

logger = logging.getLogger(__name__)
_POLL_S = 0.25
_BUSY_RETRIES = 4  # policy picks tried before a busy parent gives way to a draft


class SearchLoop(Interrupts):
    """Runs one search until a stop condition; `run()` again resumes after a pause."""

    def __init__(
        self,
        info: SearchInfo,
        journal: Journal,
        config: SearchConfig,
        coder: Coder,
        executor: Executor,
        run_dir: str | Path,
        *,
        data_overview: str = "",
        packages: list[str] | None = None,
        listeners: list[Listener] | None = None,
        notebook_context: str = "",
    ) -> None:
        self.info = info
        self.journal = journal
        self.config = config
        self.coder = coder
        self.executor = executor
        # Absolute: the executor's process (a kernel) has its own working directory.
        self.run_dir = Path(run_dir).resolve()
        self.data_overview = data_overview
        self.packages = list(packages or [])
        # A digest of the user's notebook (code cells above the seed or the magic), for prompts.
        self.notebook_context = notebook_context
        self.listeners: list[Listener] = list(listeners or [])
        if config.random_seed is None:  # record the seed so the search can be replayed
            config.random_seed = random.SystemRandom().randrange(2**31)
        info.config = config.to_dict()
        if journal.lower_is_better is None:
            journal.lower_is_better = config.lower_is_better
        self.policy = seeded_policy(config) if journal.seed_node else make_policy(config)
        self._next_step = journal.next_step()
        self._queue: deque[str] = deque(n.id for n in journal if n.status == "queued")
        self._phase: dict[str, str] = {}
        self._stop_requested = False
        self._pause_requested = False
        self._request_reason = ""
        self._request_cause = "user"
        self._cause: str | None = None  # why a pause happens: "user" | "kernel" (SearchInfo)
        self._running = False
        self._forks_only = False
        self._cut = False  # stop/pause that ends running nodes (not finish_running)
        self._cutting: asyncio.Task[None] | None = None
        totals = journal.totals()
        self._tokens = int(totals["tokens_in"] + totals["tokens_out"])
        self._cost: float | None = totals["cost_usd"]
        self._started = time.monotonic()
        self._elapsed_base = info.elapsed_s
        for node in journal:
            if node.status == "running":  # the process that ran it is gone
                self._fail(
                    node, "interrupted: the search stopped while this node ran", exit_cause="lost"
                )

    # ----- public API -----

    @property
    def status(self) -> str:
        return self.info.status

    def add_listener(self, listener: Listener) -> None:
        self.listeners.append(listener)

    def enqueue_fork(
        self, parent_id: str, *, instruction: str | None = None, code: str | None = None
    ) -> Node:
        """Queue a user's fork of a node: run `code` as is, or ask the coder with `instruction`."""
        parent = self.journal.get(parent_id)
        plan = "Code supplied by the user." if code is not None else ""
        if instruction:
            plan = f"{plan} Instruction: {instruction}".strip()
        node = self._new_node(
            "fork", parent.id, instruction=instruction, code=code or "", plan=plan
        )
        self._queue.append(node.id)
        return node

    def summary(self) -> dict[str, Any]:
        best = self.journal.best_node()
        return {
            "id": self.info.id,
            "status": self.info.status,
            "stop_reason": self.info.stop_reason,
            "pause_cause": self.info.pause_cause,
            "coder": "builtin" if self.config.model == "builtin" else "openai",
            "model": self.config.model,
            "endpoint": getattr(self.coder, "endpoint", None),
            "steps_done": sum(1 for n in self.journal.nodes if n.is_finished),
            "steps": self.config.steps,
            "elapsed_s": round(self.info.elapsed_s, 3),
            "best": {"node_id": best.id, "metric": best.metric} if best else None,
            "lower_is_better": self.journal.lower_is_better,
            "tokens": self._tokens,
            "cost_usd": None if self._cost is None else round(self._cost, 6),
            "holdout": holdout_mod.summary(self.info.holdout),
        }

    async def prepare_holdout(self) -> dict[str, Any] | None:
        """Split off the holdout where the data lives (once per search; again after a restart).

        The metric's direction then fixes the search's direction."""
        if not self.info.holdout:
            return None
        done = await holdout_mod.prepare(
            self.executor,
            self.info,
            seed=int(self.config.random_seed or 0),
            copy_dir=str(self.run_dir / "holdout_data"),
        )
        self.journal.lower_is_better = holdout_mod.METRICS[done["metric"]]
        return done

    async def run(self, *, return_to: tuple[str, str, str | None] | None = None) -> str:
        """Run until a stop condition; return (and record in info.stop_reason) why it stopped.

        `return_to` (status, reason, pause cause): run only the queued user forks, then go back
        to that state, so forking a node of a stopped search does not resume the whole search."""
        if self._running:
            raise RuntimeError("this search is already running")
        self._running = True
        self._forks_only = return_to is not None
        if rerun_cancelled_seed(self.journal) and self.journal.seed_node is not None:
            self._queue.appendleft(self.journal.seed_node.id)  # stopped before it ran: run it
            self._emit_node(self.journal.seed_node)
        self._stop_requested = self._pause_requested = self._cut = False
        self._started, self._elapsed_base = time.monotonic(), self.info.elapsed_s
        self.info.stop_reason = self.info.pause_cause = self._cause = None
        self._set_status("running")
        tasks: dict[asyncio.Task[None], Node] = {}
        final = ("done", "nothing left to run")
        if return_to is not None:
            final, self._cause = return_to[:2], return_to[2]
        try:
            try:
                await self.prepare_holdout()
            except holdout_mod.HoldoutSetupError as exc:
                self._finish("failed", f"holdout: {exc}")
                return f"holdout: {exc}"
            except ExecutorLost as exc:
                self._cause = "kernel"
                self._finish("paused", f"executor lost: {exc}; resume with a working executor")
                return f"executor lost: {exc}"
            while True:
                self._tick()
                reason = self._stop_reason()
                if self._cut:
                    for task, node in tasks.items():
                        if self._phase.get(node.id) == "coding":
                            task.cancel()  # back to the queue; the coder's reply is not awaited
                while reason is None and len(tasks) < self.config.parallel:
                    node = self._next_node()
                    if node is None:
                        break
                    tasks[asyncio.create_task(self._process(node))] = node
                if not tasks:
                    final = reason or final
                    break
                done, _ = await asyncio.wait(
                    tasks, timeout=_POLL_S, return_when=asyncio.FIRST_COMPLETED
                )
                lost = self._collect(done, tasks)
                if lost is not None:
                    await self._abandon(tasks, "lost", f"executor lost: {lost}")
                    final = ("paused", f"executor lost: {lost}; resume with a working executor")
                    self._cause = "kernel"
                    break
        except asyncio.CancelledError:
            executing = [n.id for n in tasks.values() if self._phase.get(n.id) == "executing"]
            if executing:
                await self._cancel_executing(executing)
            await self._abandon(tasks, "error", "cancelled: the search was cancelled")
            self._finish("stopped", "cancelled")
            raise
        except Exception as exc:
            logger.exception("search %s failed", self.info.id)
            await self._abandon(tasks, "error", f"search failed: {exc}")
            self._finish("failed", f"error: {type(exc).__name__}: {exc}")
            raise
        self._finish(*final)
        if final[0] != "paused":
            await self._release_holdout()
        return final[1]

    async def _release_holdout(self) -> None:
        """The split's labels and row copies leave the kernel's memory when the search ends."""
        release = getattr(self.executor, "release_holdout", None)
        if self.info.holdout and callable(release):
            try:
                await release(self.info.holdout.get("key") or self.info.id)
            except Exception as exc:  # the kernel may be gone; its memory with it
                logger.info("search %s: holdout not released: %s", self.info.id, exc)

    # ----- scheduling -----

    def _tick(self) -> None:
        self.info.elapsed_s = self._elapsed_base + (time.monotonic() - self._started)

    def _stop_reason(self) -> tuple[str, str] | None:
        if self._stop_requested:
            return ("stopped", self._request_reason or "stopped by user")
        if self._pause_requested:
            self._cause = self._request_cause
            return ("paused", self._request_reason or "paused by user")
        return budget_reason(
            self.config,
            self.journal,
            elapsed_s=self.info.elapsed_s,
            tokens=self._tokens,
            cost=self._cost,
            queued=bool(self._queue),
        )

    def _next_node(self) -> Node | None:
        while self._queue:  # user forks first; they run even past the step budget
            node = self.journal.get(self._queue.popleft())
            if node.status == "queued":
                return node
        if self._forks_only or len(self.journal) >= self.config.steps:
            return None
        busy = {n.parent_id for n in self.journal.in_flight() if n.parent_id}
        for attempt in range(_BUSY_RETRIES):
            # One generator per step (and retry), derived from the seed alone: the choice at step
            # N is the same whether the search ran straight through or was resumed.
            rng = random.Random(f"{self.config.random_seed}:policy:{self._next_step}:{attempt}")
            action = self.policy.select(self.journal, rng)
            if action.parent_id not in busy:
                return self._new_node(
                    action.stage, action.parent_id, merged_ids=list(action.others)
                )
            if action.stage == "improve":  # the best is being improved: improve the next best
                other = self._best_idle(busy)
                if other is not None:
                    return self._new_node("improve", other.id)
        # never expand a node twice at once (parallel > 1): a fresh draft takes the slot
        return self._new_node("draft", None)

    def _best_idle(self, busy: set[str | None]) -> Node | None:
        """The best good node without a child in flight."""
        return next((n for n in self.journal.ranked(finite=False) if n.id not in busy), None)

    def _new_node(
        self,
        stage: str,
        parent_id: str | None,
        *,
        instruction: str | None = None,
        code: str = "",
        plan: str = "",
        merged_ids: list[str] | None = None,
    ) -> Node:
        node_id = uuid.uuid4().hex[:8]
        while node_id in self.journal:
            node_id = uuid.uuid4().hex[:8]
        node = Node(
            id=node_id,
            step=self._next_step,
            stage=stage,
            parent_id=parent_id,
            plan=plan,
            code=code,
            instruction=instruction,
            merged_ids=list(merged_ids or []),
        )
        self._next_step += 1
        self.journal.add(node)
        self._emit_node(node)
        return node

    # ----- events -----

    def _finish(self, status: str, reason: str) -> None:
        self._tick()
        self._running = False
        self.info.stop_reason = reason
        self.info.pause_cause = (self._cause or "user") if status == "paused" else None
        self._set_status(status)
        logger.info("search %s %s: %s", self.info.id, status, reason)

    def _set_status(self, status: str) -> None:
        self.info.status = status
        self._emit_search()

    def _emit_search(self) -> None:
        self._emit("search", self.summary())
