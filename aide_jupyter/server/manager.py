"""SearchManager: every search of this server as an asyncio task, plus their live events.

POST handlers call `create`/`resume`/`fork`, which check what the server knows and start a task
without talking to the kernel (the %aide magic waits for the answer inside a cell of that
kernel). The task then describes the data and runs the loop; those requests queue behind the
user's cell and proceed after it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from aide_jupyter.coders import Coder, CoderError
from aide_jupyter.journal import JournalError, JournalWriter
from aide_jupyter.search.config import ConfigError, SearchConfig
from aide_jupyter.search.executor import ExecutorLost
from aide_jupyter.search.holdout import HoldoutSetupError
from aide_jupyter.search.journal import Node
from aide_jupyter.search.loop import SearchLoop

from . import scan
from .errors import BadRequest, Conflict, NotFound
from .events import EventSink
from .kernels import KernelPool
from .new_search import check_data_folder, new_record
from .prepare import prepare
from .record import ACTIVE, SearchRecord
from .summaries import clean, node_detail, node_summary, search_summary
from .validation import CreateRequest
from .workers import WorkerKernels

log = logging.getLogger(__name__)


class Settings(Protocol):
    """What the manager needs from the extension's configuration."""

    runs_dir_name: str
    notebook_context: bool
    notebook_context_max_chars: int

    def search_config(self, overrides: dict[str, Any]) -> SearchConfig: ...

    def make_coder(self, model: str) -> Coder: ...


class SearchManager:
    def __init__(
        self,
        root: Path,
        settings: Settings,
        pool: KernelPool,
        events: EventSink,
        kernel_exists: Callable[[str], bool],
        workers: WorkerKernels | None = None,
    ) -> None:
        self.root = root.resolve()
        self.workers = workers
        self.settings = settings
        self.pool = pool
        self.events = events
        self.kernel_exists = kernel_exists
        self.searches: dict[str, SearchRecord] = {}

    # ----- start-up -----

    def scan(self) -> int:
        """List the searches whose journals lie under the root; they resume on a named kernel."""
        found = 0
        for rec in scan.records(self.root, self.settings.runs_dir_name):
            if rec.id not in self.searches:
                self.searches[rec.id] = rec
                found += 1
        if found:
            log.info("aide: found %d searches under %s", found, self.root)
        return found

    # ----- queries -----

    def get(self, search_id: str) -> SearchRecord:
        rec = self.searches.get(search_id)
        if rec is None:
            raise NotFound(f"no search {search_id!r}")
        return rec

    def summaries(self) -> list[dict[str, Any]]:
        recs = sorted(self.searches.values(), key=lambda r: r.info.created, reverse=True)
        return [search_summary(r) for r in recs]

    def detail(self, search_id: str) -> dict[str, Any]:
        rec = self.get(search_id)
        out = search_summary(rec)
        out["nodes"] = [node_summary(n) for n in rec.journal.nodes]
        return out

    def node(self, search_id: str, node_id: str) -> dict[str, Any]:
        rec = self.get(search_id)
        return node_detail(rec.journal, self._node(rec, node_id))

    # ----- actions -----

    def create(self, req: CreateRequest) -> SearchRecord:
        """Check, write the empty journal, start the task; never waits for the kernel."""
        self._need_kernel(req.kernel_id)
        try:
            config = self.settings.search_config(req.config_overrides())
        except ConfigError as exc:
            raise BadRequest(exc.field, exc.message) from None
        if not self.pool.remote:
            check_data_folder(req, config, self.root)
        coder = self._coder(config.model)
        rec = new_record(req, config, self.root, self.settings.runs_dir_name)
        rec.host = self.pool.host()
        rec.endpoint = getattr(coder, "endpoint", None)
        writer = JournalWriter(rec.run_dir)  # checks the folder before anything runs
        self._attach(rec, writer, coder)
        writer.update(rec.info, rec.journal, None, force=True)
        self.searches[rec.id] = rec
        self._start(rec)
        return rec

    def stop(self, search_id: str, finish_running: bool = False) -> SearchRecord:
        rec = self.get(search_id)
        if rec.active:
            self._halt(rec, "stopped", "stopped by user", finish_running=finish_running)
        elif rec.info.status == "paused":
            self._set_status(rec, "stopped", "stopped by user")
        else:
            raise Conflict(f"search {search_id} is {rec.info.status}: nothing to stop")
        return rec

    def pause(self, search_id: str, finish_running: bool = False) -> SearchRecord:
        rec = self.get(search_id)
        if not rec.active:
            raise Conflict(f"search {search_id} is {rec.info.status}: only a running one pauses")
        self._halt(rec, "paused", "paused by user", finish_running=finish_running)
        return rec

    def resume(self, search_id: str, kernel_id: str | None) -> SearchRecord:
        rec = self.get(search_id)
        if rec.active:
            raise Conflict(f"search {search_id} is {rec.info.status}: already running")
        if kernel_id is not None:
            self._need_kernel(kernel_id)
        elif rec.kernel_id is None or not self.kernel_exists(rec.kernel_id):
            raise BadRequest("kernel_id", "the search has no running kernel; name one to resume on")
        self._ensure_loop(rec)
        if kernel_id is not None and kernel_id != rec.kernel_id:
            rec.kernel_id, rec.prepared = kernel_id, False  # describe the data in the new kernel
        self._start(rec)
        return rec

    def fork(
        self, search_id: str, node_id: str, *, instruction: str | None, code: str | None
    ) -> Node:
        rec = self.get(search_id)
        node_id = self._node(rec, node_id).id
        if not rec.active and (rec.kernel_id is None or not self.kernel_exists(rec.kernel_id)):
            raise Conflict(f"search {search_id} has no running kernel: resume it on one first")
        self._ensure_loop(rec)
        assert rec.loop is not None
        node = rec.loop.enqueue_fork(node_id, instruction=instruction, code=code)
        if not rec.active:
            self._start(rec, forks_only=True)  # only the fork runs; the search keeps its status
        return node

    async def delete(self, search_id: str) -> None:
        rec = self.get(search_id)
        await self._cancel(rec, "stopped", "deleted")
        if rec.writer is not None:
            rec.writer.close()
        del self.searches[search_id]
        self.events.removed(search_id)

    async def on_kernel_action(self, logger: Any, schema_id: str, data: dict[str, Any]) -> None:
        """Event-bus listener: a restart or shutdown of a search's kernel pauses the search."""
        action, kernel_id = data.get("action"), data.get("kernel_id")
        if data.get("status") != "success" or action not in ("restart", "shutdown"):
            return
        word = "restarted" if action == "restart" else "shut down"
        for rec in list(self.searches.values()):
            if rec.kernel_id == kernel_id and rec.active:
                self._halt(  # the kernel and its nodes are gone already: nothing to cancel
                    rec,
                    "paused",
                    f"kernel {word}: resume the search on a kernel",
                    cause="kernel",
                    finish_running=True,
                )
        if action == "shutdown" and kernel_id:
            await self.pool.discard(kernel_id)

    async def shutdown(self) -> None:
        """Server exit: cancel every running search (journals are flushed), close clients."""
        for rec in list(self.searches.values()):
            await self._cancel(rec, "stopped", "the server shut down; resume it")
            if rec.writer is not None:
                rec.writer.close()
        await self.pool.cancel_all()  # nodes of searches that ended just before, too
        await self.pool.close()

    # ----- internals -----

    def _need_kernel(self, kernel_id: str) -> None:
        if not self.kernel_exists(kernel_id):
            raise NotFound(f"kernel_id: no running kernel {kernel_id!r}")

    @staticmethod
    def _node(rec: SearchRecord, node_id: str) -> Node:
        """By id, step number or id prefix (what the panel and the magic show)."""
        try:
            return rec.journal.resolve(node_id)
        except ValueError as exc:
            raise NotFound(f"search {rec.id}: {exc}") from None

    def _context_chars(self) -> int | None:
        """The cap of the notebook digest in the prompts, None when that is off."""
        settings = self.settings
        return settings.notebook_context_max_chars if settings.notebook_context else None

    def _coder(self, model: str) -> Coder:
        try:
            return self.settings.make_coder(model)
        except CoderError as exc:
            raise BadRequest("model", str(exc)) from None

    def _ensure_loop(self, rec: SearchRecord) -> None:
        """A search found on disk gets its writer and loop, from the journal as it is now."""
        if rec.loop is not None:
            return
        try:
            writer = JournalWriter(rec.run_dir)
        except (JournalError, OSError) as exc:
            raise Conflict(f"the journal of {rec.id} cannot be resumed: {exc}") from None
        if writer.loaded is not None:
            rec.info, rec.journal = writer.loaded
            if rec.info.status in ACTIVE:
                rec.info.status, rec.info.pause_cause = "paused", "server_restart"
        coder = self._coder(rec.config.model)
        rec.endpoint = getattr(coder, "endpoint", None)
        self._attach(rec, writer, coder)

    def _attach(self, rec: SearchRecord, writer: JournalWriter, coder: Coder) -> None:
        writer.bind(rec.info, rec.journal)
        rec.writer = writer
        rec.loop = SearchLoop(
            rec.info,
            rec.journal,
            rec.config,
            coder,
            _NoExecutor(),
            rec.run_dir,
            listeners=[writer, self._listener(rec)],
        )

    def _listener(self, rec: SearchRecord) -> Callable[[str, dict[str, Any]], None]:
        def listen(kind: str, payload: dict[str, Any]) -> None:
            if kind == "node":
                self.events.node(rec.id, clean(payload))
                if payload.get("status") not in ("done", "failed"):
                    return
            self.events.search(rec.id, search_summary(rec))

        return listen

    def _start(self, rec: SearchRecord, *, forks_only: bool = False) -> None:
        rec.halt = None
        rec.return_to = None
        if forks_only:
            info = rec.info
            rec.return_to = (info.status, info.stop_reason or "", info.pause_cause)
        if rec.info.status not in ACTIVE:
            self._set_status(rec, "queued", None)
        rec.task = asyncio.create_task(self._drive(rec), name=f"aide-search-{rec.id}")
        rec.task.add_done_callback(lambda _task: self._settle(rec))

    def _settle(self, rec: SearchRecord) -> None:
        """A task cancelled before or while preparing never reached the loop: record why."""
        if rec.info.status in ACTIVE:
            self._set_status(rec, *(rec.halt or ("stopped", "cancelled", None)))

    async def _drive(self, rec: SearchRecord) -> None:
        loop, kernel_id = rec.loop, rec.kernel_id
        assert loop is not None and kernel_id is not None and rec.writer is not None
        try:
            if not self.kernel_exists(kernel_id):
                self._set_status(
                    rec, "paused", "kernel gone: resume the search on a kernel", "kernel"
                )
                return
            executor = self.pool.get(kernel_id)
            loop.executor = executor
            rec.host = self.pool.host()
            if not rec.prepared:
                rec.preparing = True
                try:
                    await prepare(
                        rec,
                        executor,
                        remote=self.pool.remote,
                        root=self.root,
                        context_chars=self._context_chars(),
                    )
                except ExecutorLost as exc:
                    self._set_status(rec, "paused", f"kernel lost while preparing: {exc}", "kernel")
                    return
                except HoldoutSetupError as exc:
                    self._set_status(rec, "failed", f"holdout: {exc}")
                    return
                except Exception as exc:
                    log.exception("aide: could not prepare search %s", rec.id)
                    self._set_status(rec, "failed", f"could not describe the data: {exc}")
                    return
                finally:
                    rec.preparing = False
                rec.prepared = True
            if rec.config.workers and self.workers is not None:
                try:
                    loop.executor = await self.workers.start(rec, executor)
                except Exception as exc:
                    log.exception("aide: could not start the workers of search %s", rec.id)
                    self._set_status(rec, "failed", f"could not start worker kernels: {exc}")
                    return
            rec.mark_running()
            with contextlib.suppress(Exception):  # the loop records failures itself
                await loop.run(return_to=rec.return_to)
            if rec.halt is not None and rec.info.status == rec.halt[0]:
                reason = rec.info.stop_reason or ""
                if rec.halt[1] not in reason:  # e.g. "executor lost" after a kernel restart
                    self._set_status(rec, rec.halt[0], f"{rec.halt[1]} ({reason})", rec.halt[2])
        finally:
            if self.workers is not None:
                await self.workers.stop(rec)
            rec.mark_idle()
            rec.writer.flush()

    def _halt(
        self,
        rec: SearchRecord,
        status: str,
        reason: str,
        cause: str = "user",
        *,
        finish_running: bool = False,
    ) -> None:
        """Stop or pause an active search: before the loop runs, cancel; else ask the loop
        (which ends running nodes unless `finish_running`)."""
        rec.halt = (status, reason, cause)
        assert rec.loop is not None and rec.task is not None
        if rec.preparing or rec.info.status == "queued":
            rec.task.cancel()
            self._set_status(rec, "stopping", None)
        elif status == "paused":
            rec.loop.request_pause(reason, cause, finish_running=finish_running)
        else:
            rec.loop.request_stop(reason, finish_running=finish_running)

    async def _cancel(self, rec: SearchRecord, status: str, reason: str) -> None:
        if not rec.active:
            return
        assert rec.task is not None
        rec.halt = (status, reason, None)
        rec.task.cancel()
        with contextlib.suppress(asyncio.CancelledError, asyncio.TimeoutError, Exception):
            await asyncio.wait_for(rec.task, 10.0)
        if rec.info.status in ACTIVE or rec.info.stop_reason == "cancelled":
            self._set_status(rec, status, reason)

    def _set_status(
        self, rec: SearchRecord, status: str, reason: str | None, cause: str | None = "user"
    ) -> None:
        rec.info.status, rec.info.stop_reason = status, reason
        rec.info.pause_cause = cause if status == "paused" else None
        if rec.writer is not None:
            rec.writer("search", None)
        self.events.search(rec.id, search_summary(rec))


class _NoExecutor:
    """Placeholder until the search's task binds the kernel's executor."""

    async def run(self, request: Any) -> Any:
        raise ExecutorLost("no kernel bound to this search yet")

    async def close(self) -> None:
        return None
