"""The search loop: the only place that knows the policy, the coder and the executor together.

One `SearchLoop` drives one search: it asks the policy what to expand, the coder for code, the
executor to run it and the coder again to review it, records everything on the journal's nodes and
tells listeners (the journal notebook writer, the server) about every change.
"""

from __future__ import annotations

import asyncio
import logging
import math
import random
import time
import uuid
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aide_jupyter.coders.base import CoderError

from .config import SearchConfig
from .executor import ExecRequest, ExecResult, Executor, ExecutorLost
from .journal import Journal, Node, SearchInfo
from .policy import make_policy
from .prompts import TaskContext, build_code_prompt, build_review_prompt
from .review import ReplyError, build_verdict, parse_code_reply
from .seeding import seeded_policy

if TYPE_CHECKING:
    from aide_jupyter.coders.base import Coder, ReviewReply, Usage

logger = logging.getLogger(__name__)
Listener = Callable[[str, dict[str, Any]], None]
_POLL_S = 0.25
_LOST_GRACE_S = 5.0


class SearchLoop:
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
        if config.seed is None:  # record the seed so the search can be replayed
            config.seed = random.SystemRandom().randrange(2**31)
        info.config = config.to_dict()
        if journal.lower_is_better is None:
            journal.lower_is_better = config.lower_is_better
        self.policy = seeded_policy(config) if journal.seed_node else make_policy(config)
        self.rng = random.Random(f"{config.seed}:{len(journal)}")
        self._next_step = journal.next_step()
        self._queue: deque[str] = deque(n.id for n in journal if n.status == "queued")
        self._phase: dict[str, str] = {}
        self._stop_requested = False
        self._pause_requested = False
        self._request_reason = ""
        self._request_cause = "user"
        self._cause: str | None = None  # why a pause happens: "user" | "kernel" (SearchInfo)
        self._running = False
        totals = journal.totals()
        self._tokens = int(totals["tokens_in"] + totals["tokens_out"])
        self._cost = float(totals["cost_usd"])
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

    def request_stop(self, reason: str = "stopped by user") -> None:
        """Stop launching nodes; running nodes finish, then `run()` returns with "stopped"."""
        self._stop_requested = True
        self._request_reason = reason
        if self._running:
            self._set_status("stopping")

    def request_pause(self, reason: str = "paused by user", cause: str = "user") -> None:
        """Like stop, but `run()` returns with "paused" and a later `run()` resumes.

        `cause` ends up in `info.pause_cause` ("user", or "kernel" when its kernel went away)."""
        self._pause_requested = True
        self._request_reason = reason
        self._request_cause = cause
        if self._running:
            self._set_status("stopping")

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
            "steps_done": sum(1 for n in self.journal.nodes if n.is_finished),
            "steps": self.config.steps,
            "elapsed_s": round(self.info.elapsed_s, 3),
            "best": {"node_id": best.id, "metric": best.metric} if best else None,
            "lower_is_better": self.journal.lower_is_better,
            "tokens": self._tokens,
            "cost_usd": round(self._cost, 6),
        }

    async def run(self) -> str:
        """Run until a stop condition; return (and record in info.stop_reason) why it stopped."""
        if self._running:
            raise RuntimeError("this search is already running")
        self._running = True
        self._stop_requested = self._pause_requested = False
        self._started, self._elapsed_base = time.monotonic(), self.info.elapsed_s
        self.info.stop_reason = self.info.pause_cause = self._cause = None
        self._set_status("running")
        tasks: dict[asyncio.Task[None], Node] = {}
        final = ("done", "nothing left to run")
        try:
            while True:
                self._tick()
                reason = self._stop_reason()
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
            await self._abandon(tasks, "error", "cancelled: the search was cancelled")
            self._finish("stopped", "cancelled")
            raise
        except Exception as exc:
            logger.exception("search %s failed", self.info.id)
            await self._abandon(tasks, "error", f"search failed: {exc}")
            self._finish("failed", f"error: {type(exc).__name__}: {exc}")
            raise
        self._finish(*final)
        return final[1]

    # ----- scheduling -----

    def _tick(self) -> None:
        self.info.elapsed_s = self._elapsed_base + (time.monotonic() - self._started)

    def _stop_reason(self) -> tuple[str, str] | None:
        cfg = self.config
        if self._stop_requested:
            return ("stopped", self._request_reason or "stopped by user")
        if self._pause_requested:
            self._cause = self._request_cause
            return ("paused", self._request_reason or "paused by user")
        best = self.journal.best_node()
        lower = bool(self.journal.lower_is_better)
        if (
            cfg.target_metric is not None
            and best is not None
            and metric_reached(best.metric, cfg.target_metric, lower)
        ):
            return ("done", f"target metric reached: {best.metric:.6g} by node {best.id}")
        if cfg.time_limit_s is not None and self.info.elapsed_s >= cfg.time_limit_s:
            return ("done", f"time limit reached: {cfg.time_limit_s:g} s")
        if cfg.max_tokens is not None and self._tokens >= cfg.max_tokens:
            return ("done", f"token budget used: {self._tokens} of {cfg.max_tokens}")
        if cfg.max_cost_usd is not None and self._cost >= cfg.max_cost_usd:
            return ("done", f"cost budget used: ${self._cost:.4f} of ${cfg.max_cost_usd:g}")
        if not self._queue and len(self.journal) >= cfg.steps:
            return ("done", f"step budget used: {cfg.steps} nodes")
        return None

    def _next_node(self) -> Node | None:
        while self._queue:  # user forks first; they run even past the step budget
            node = self.journal.get(self._queue.popleft())
            if node.status == "queued":
                return node
        if len(self.journal) >= self.config.steps:
            return None
        action = self.policy.select(self.journal, self.rng)
        return self._new_node(action.stage, action.parent_id)

    def _collect(
        self, done: set[asyncio.Task[None]], tasks: dict[asyncio.Task[None], Node]
    ) -> ExecutorLost | None:
        lost: ExecutorLost | None = None
        for task in done:
            node = tasks.pop(task)
            self._phase.pop(node.id, None)
            exc = task.exception()
            if isinstance(exc, ExecutorLost):
                lost = exc
                self._fail(node, f"executor lost: {exc}", exit_cause="lost")
            elif exc is not None:
                logger.error(
                    "node %s failed in the engine",
                    node.id,
                    exc_info=(type(exc), exc, exc.__traceback__),
                )
                self._fail(node, f"engine error: {type(exc).__name__}: {exc}")
        return lost

    async def _abandon(self, tasks: dict[asyncio.Task[None], Node], cause: str, why: str) -> None:
        """End in-flight nodes: coding ones go back to the queue, the others fail with `why`."""
        if not tasks:
            return
        coding = [t for t, n in tasks.items() if self._phase.get(n.id) == "coding"]
        for task in coding:
            task.cancel()
        if cause == "lost":  # give running nodes a moment to report the loss themselves
            await asyncio.wait(tasks, timeout=_LOST_GRACE_S)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for task, node in tasks.items():
            phase = self._phase.pop(node.id, None)
            if node.is_finished:
                continue
            if phase == "coding" or (task.cancelled() and not node.code and node.stage != "fork"):
                node.status, node.plan, node.code = "queued", "", ""
                self._queue.appendleft(node.id)
                self._emit_node(node)
            else:
                self._fail(node, why, exit_cause=cause)
        tasks.clear()

    # ----- one node -----

    def _new_node(
        self,
        stage: str,
        parent_id: str | None,
        *,
        instruction: str | None = None,
        code: str = "",
        plan: str = "",
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
        )
        self._next_step += 1
        self.journal.add(node)
        self._emit_node(node)
        return node

    def _context(self) -> TaskContext:
        return TaskContext(
            goal=self.info.goal,
            eval=self.info.eval,
            data=list(self.info.data),
            data_dir=self.info.data_dir,
            target=self.info.target,
            lower_is_better=self.journal.lower_is_better,
            seed=int(self.config.seed or 0),
            packages=self.packages,
            node_timeout_s=self._node_timeout(),
        )

    def _node_timeout(self) -> float:
        timeout = self.config.node_timeout_s
        if self.config.time_limit_s is not None:
            left = self.config.time_limit_s - self.info.elapsed_s
            timeout = max(1.0, min(timeout, left))
        return timeout

    async def _process(self, node: Node) -> None:
        self._phase[node.id] = "coding"
        node.status = "running"
        self._emit_node(node)
        if not node.code:
            try:
                await self._write_code(node)
            except CoderError as exc:
                self._fail(node, f"coder failed: {exc}")
                return
        workdir = self.run_dir / "nodes" / node.id
        workdir.mkdir(parents=True, exist_ok=True)
        self._phase[node.id] = "executing"
        self._emit_node(node)
        request = ExecRequest(
            node_id=node.id,
            code=node.code,
            workdir=str(workdir),
            timeout_s=self._node_timeout(),
            memory_limit_mb=self.config.memory_limit_mb,
            data_names=list(self.info.data),
        )
        try:
            result = await self.executor.run(request)
        except ExecutorLost:
            raise
        except Exception as exc:  # an executor bug fails this node, not the search
            logger.exception("executor failed on node %s", node.id)
            self._fail(node, f"executor error: {type(exc).__name__}: {exc}", exit_cause="error")
            return
        self._record_result(node, result)
        self._phase[node.id] = "reviewing"
        review: ReviewReply | None = None
        note = ""
        try:
            review = await self.coder.review(
                build_review_prompt(node, self._context(), config=self.config)
            )
            self._charge(node, review.usage)
        except CoderError as exc:
            note = f"Review unavailable ({exc}); judged from the output alone."
        verdict = build_verdict(
            result,
            review_is_bug=review.is_bug if review else None,
            review_metric=review.metric if review else None,
            review_lower=review.lower_is_better if review else None,
            review_summary=review.summary if review else "",
            fixed_lower=self.journal.lower_is_better,
        )
        if (
            self.journal.lower_is_better is None
            and verdict.metric is not None
            and verdict.lower_is_better is not None
        ):
            self.journal.lower_is_better = verdict.lower_is_better  # fixed from now on
        node.is_buggy = verdict.is_buggy
        node.metric = verdict.metric
        node.metric_source = verdict.metric_source
        node.lower_is_better = self.journal.lower_is_better
        node.analysis = " ".join(p for p in (verdict.analysis, note) if p)
        node.status = "done"
        node.finished = time.time()
        self._emit_node(node)
        if node.is_good and self.journal.best_node() is node:
            self._emit_search()

    async def _write_code(self, node: Node) -> None:
        """Ask the coder for code; unusable replies are retried, never executed."""
        parent = self.journal.parent(node)
        stage = node.stage
        if stage == "fork":
            stage = "improve" if parent is not None and parent.is_good else "debug"
        time_left = (
            None
            if self.config.time_limit_s is None
            else self.config.time_limit_s - self.info.elapsed_s
        )
        prompt = build_code_prompt(
            stage,
            self.journal,
            self._context(),
            parent=parent,
            data_overview=self.data_overview,
            config=self.config,
            time_left_s=time_left,
            instruction=node.instruction,
            step=node.step,
            node=node,
            notebook_context=self.notebook_context,
        )
        ask = {"draft": self.coder.draft, "improve": self.coder.improve, "debug": self.coder.debug}[
            prompt.stage
        ]
        problem = ""
        for _ in range(self.config.reply_retries + 1):
            if problem:
                prompt.sections["previous_reply_problem"] = (
                    f"Your previous reply could not be used: {problem}. "
                    "Reply again, following the response format exactly."
                )
            reply = await ask(prompt)
            self._charge(node, reply.usage)
            try:
                node.plan, node.code = parse_code_reply(reply.text, truncated=reply.truncated)
                return
            except ReplyError as exc:
                problem = str(exc)
                logger.info("node %s: unusable reply (%s)", node.id, problem)
        raise CoderError(
            f"no usable reply after {self.config.reply_retries + 1} attempts: {problem}"
        )

    def _record_result(self, node: Node, result: ExecResult) -> None:
        node.output = result.output
        node.exit_cause = result.exit_cause
        node.exc_type = result.exc_type
        node.exc_traceback = result.exc_traceback
        node.exec_time_s = result.exec_time_s
        node.peak_mem_mb = result.peak_mem_mb

    def _charge(self, node: Node, usage: Usage) -> None:
        node.tokens_in += usage.tokens_in
        node.tokens_out += usage.tokens_out
        node.cost_usd += usage.cost_usd
        self._tokens += usage.tokens_in + usage.tokens_out
        self._cost += usage.cost_usd

    def _fail(self, node: Node, error: str, *, exit_cause: str | None = None) -> None:
        node.status = "failed"
        node.error = error
        node.is_buggy = True
        if exit_cause is not None:
            node.exit_cause = exit_cause
        node.finished = time.time()
        self._emit_node(node)

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

    def _emit_node(self, node: Node) -> None:
        self._emit("node", node.summary())

    def _emit(self, kind: str, payload: dict[str, Any]) -> None:
        for listener in list(self.listeners):
            try:
                listener(kind, payload)
            except Exception:  # a broken listener must not break the search
                logger.exception("listener failed on %s event", kind)


def metric_reached(value: float | None, target: float, lower_is_better: bool) -> bool:
    """Whether `value` meets `target` under the search's direction."""
    if value is None or not math.isfinite(value):
        return False
    return value <= target if lower_is_better else value >= target
