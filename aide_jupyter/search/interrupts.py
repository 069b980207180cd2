"""Stopping and pausing a search, and what happens to its nodes in flight: cancelled through the
executor while they run, sent back to the queue while they are being coded, failed when the
executor is lost; and how each finished task's outcome is collected.

`Interrupts` is the middle layer of `SearchLoop` (loop.py): above `NodeSteps` (steps.py, one
node's work), below the loop's scheduling. Users call `request_stop` / `request_pause`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from .executor import ExecutorLost, cancel_nodes
from .journal import Node
from .steps import NodeSteps

logger = logging.getLogger(__name__)
_LOST_GRACE_S = 5.0


class Interrupts(NodeSteps):
    """Stop, pause and the fate of in-flight nodes (a base of `SearchLoop`)."""

    _stop_requested: bool
    _request_reason: str
    _running: bool
    _cutting: asyncio.Task[None] | None
    _set_status: Callable[[str], None]

    def request_stop(
        self, reason: str = "stopped by user", *, finish_running: bool = False
    ) -> None:
        """Stop launching nodes and end the running ones at once (`finish_running`: let them
        finish), then `run()` returns with "stopped"."""
        self._stop_requested = True
        self._request_reason = reason
        self._request_cut(finish_running)
        if self._running:
            self._set_status("stopping")

    def request_pause(
        self, reason: str = "paused by user", cause: str = "user", *, finish_running: bool = False
    ) -> None:
        """Like stop, but `run()` returns with "paused" and a later `run()` resumes.

        `cause` ends up in `info.pause_cause` ("user", or "kernel" when its kernel went away)."""
        self._pause_requested = True
        self._request_reason = reason
        self._request_cause = cause
        self._request_cut(finish_running)
        if self._running:
            self._set_status("stopping")

    def _request_cut(self, finish_running: bool) -> None:
        """Cancel executing nodes through the executor; coding ones go back to the queue."""
        if finish_running or not self._running:
            return
        self._cut = True
        executing = [nid for nid, phase in self._phase.items() if phase == "executing"]
        if executing:
            self._cutting = asyncio.ensure_future(self._cancel_executing(executing))

    async def _cancel_executing(self, node_ids: list[str]) -> None:
        try:
            await asyncio.wait_for(cancel_nodes(self.executor, node_ids), 10.0)
        except Exception as exc:  # the node then ends by itself; stop still takes effect
            logger.warning("search %s: could not cancel nodes %s: %s", self.info.id, node_ids, exc)

    def _collect(
        self, done: set[asyncio.Task[None]], tasks: dict[asyncio.Task[None], Node]
    ) -> ExecutorLost | None:
        lost: ExecutorLost | None = None
        for task in done:
            node = tasks.pop(task)
            self._phase.pop(node.id, None)
            if task.cancelled():  # cut while coding
                node.status, node.plan = "queued", ""
                node.code = node.code if node.stage in ("fork", "seed") else ""
                self._queue.appendleft(node.id)
                self._emit_node(node)
                continue
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
            if phase == "coding" or (
                task.cancelled() and not node.code and node.stage not in ("fork", "seed")
            ):
                node.status, node.plan, node.code = "queued", "", ""
                self._queue.appendleft(node.id)
                self._emit_node(node)
            else:
                self._fail(node, why, exit_cause=cause)
        tasks.clear()
