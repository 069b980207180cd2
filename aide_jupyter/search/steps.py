"""One node's way through a search: code from the coder, a run by the executor, a review, and
what each step records on the node (status, output, verdict, usage) and tells listeners.

`NodeSteps` is the part of `SearchLoop` (loop.py) that works on a single node; `Interrupts`
(interrupts.py) stops and pauses, the loop schedules nodes and decides when the search ends.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import holdout as holdout_mod
from .budget import node_timeout
from .coder import CoderError, LLMUnavailable, add_cost
from .config import SearchConfig
from .executor import ExecRequest, ExecResult, Executor, ExecutorLost
from .journal import Journal, Node, SearchInfo
from .prompts import TaskContext, build_code_prompt, build_review_prompt
from .review import ReplyError, build_verdict, parse_code_reply

if TYPE_CHECKING:
    from .coder import Coder, ReviewReply, Usage

logger = logging.getLogger(__name__)
Listener = Callable[[str, dict[str, Any]], None]


class NodeSteps:
    """Code, run, review and record one node (a base of `SearchLoop`, which sets these fields)."""

    info: SearchInfo
    journal: Journal
    config: SearchConfig
    coder: Coder
    executor: Executor
    run_dir: Path
    data_overview: str
    notebook_context: str
    packages: list[str]
    listeners: list[Listener]
    _phase: dict[str, str]
    _cut: bool
    _tokens: int
    _cost: float | None
    _pause_requested: bool
    _request_cause: str
    _queue: deque[str]
    request_pause: Callable[..., None]
    _emit_search: Callable[[], None]

    def _context(self) -> TaskContext:
        return TaskContext(
            goal=self.info.goal,
            eval=self.info.eval,
            data=list(self.info.data),
            data_dir=(self.info.holdout or {}).get("data_dir") or self.info.data_dir,
            target=self.info.target,
            lower_is_better=self.journal.lower_is_better,
            seed=int(self.config.random_seed or 0),
            packages=self.packages,
            node_timeout_s=self._node_timeout(),
            holdout=self.info.holdout,
        )

    def _node_timeout(self) -> float:
        return node_timeout(self.config, self.info.elapsed_s)

    async def _process(self, node: Node) -> None:
        self._phase[node.id] = "coding"
        node.status = "running"
        self._emit_node(node)
        if not node.code:
            try:
                await self._write_code(node)
            except LLMUnavailable as exc:  # not the node's fault: it waits for the resume
                self._requeue(node)
                self._llm_down(exc)
                return
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
            concurrency=self.config.parallel,
            harness={"key": self.info.holdout["key"]} if self.info.holdout else None,
        )
        try:
            if self._cut:  # stopped between coding and running: do not start it
                result = ExecResult(output="", exit_cause="cancelled", exc_type="Cancelled")
            else:
                result = await self.executor.run(request)
        except ExecutorLost:
            raise
        except Exception as exc:  # an executor bug fails this node, not the search
            logger.exception("executor failed on node %s", node.id)
            self._fail(node, f"executor error: {type(exc).__name__}: {exc}", exit_cause="error")
            return
        self._record_result(node, result)
        if result.exit_cause == "cancelled":  # ended on request: not reviewed, not debugged
            self._fail(node, result.detail or "cancelled: the search was stopped", buggy=False)
            return
        self._phase[node.id] = "reviewing"
        review: ReviewReply | None = None
        note = ""
        try:
            review = await self.coder.review(
                build_review_prompt(node, self._context(), config=self.config)
            )
            self._charge(node, review.usage)
        except LLMUnavailable as exc:
            note = f"Review unavailable ({exc}); judged from the output alone."
            self._llm_down(exc)
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
        if self.info.holdout:
            judged = holdout_mod.harness_verdict(
                result,
                verdict,
                review_is_bug=review.is_bug if review else None,
                metric=self.info.holdout["metric"],
            )
            verdict = judged.verdict
            node.reported_metric = judged.reported_metric
            node.holdout_error, node.metric_flag = judged.holdout_error, judged.metric_flag
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
            others=[self.journal.get(i) for i in node.merged_ids],
            notebook_context=self.notebook_context,
        )
        # ensemble / crossover go to the coder's method of that name if it has one, else to
        # improve: the prompt's introduction and sections say what to do
        ask = getattr(self.coder, prompt.stage, None) or self.coder.improve
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

    def _requeue(self, node: Node) -> None:
        """Back to the front of the queue, as if never started (no step budget used)."""
        self._phase.pop(node.id, None)
        node.status = "queued"
        if node.stage != "seed":  # the user's code stays; everything else is coded again
            node.code = ""
        if node.stage not in ("fork", "seed"):
            node.plan = ""
        self._queue.appendleft(node.id)
        self._emit_node(node)

    def _llm_down(self, exc: LLMUnavailable) -> None:
        """The endpoint cannot serve: pause at once (cause "llm"); a resume tries it again."""
        if self._pause_requested and self._request_cause == "llm":
            return
        logger.warning("search %s pauses: %s", self.info.id, exc)
        self.request_pause(f"{exc}; fix the endpoint or the model, then resume", cause="llm")

    def _record_result(self, node: Node, result: ExecResult) -> None:
        node.output = result.output
        node.exit_cause = result.exit_cause
        node.exc_type = result.exc_type
        node.exc_traceback = result.exc_traceback
        node.exec_time_s = result.exec_time_s
        node.peak_mem_mb = result.peak_mem_mb
        node.kernel_id = result.kernel_id

    def _charge(self, node: Node, usage: Usage) -> None:
        node.tokens_in += usage.tokens_in
        node.tokens_out += usage.tokens_out
        node.cost_usd = add_cost(node.cost_usd, usage.cost_usd)
        self._tokens += usage.tokens_in + usage.tokens_out
        self._cost = add_cost(self._cost, usage.cost_usd)

    def _fail(
        self, node: Node, error: str, *, exit_cause: str | None = None, buggy: bool = True
    ) -> None:
        node.status = "failed"
        node.error = error
        node.is_buggy = buggy
        if exit_cause is not None:
            node.exit_cause = exit_cause
        node.finished = time.time()
        self._emit_node(node)

    # ----- events -----

    def _emit_node(self, node: Node) -> None:
        self._emit("node", node.summary())

    def _emit(self, kind: str, payload: dict[str, Any]) -> None:
        for listener in list(self.listeners):
            try:
                listener(kind, payload)
            except Exception:  # a broken listener must not break the search
                logger.exception("listener failed on %s event", kind)
