"""The in-kernel fallback: the same SearchLoop, runner and journal writer, run inside this kernel.

Used when no Jupyter server with the aide_jupyter extension runs this kernel (VS Code, jupyter
console, a kernel of another server). The search runs in a daemon thread with its own asyncio
loop; nodes run through the kernel-side runner module called directly (we are already in the
kernel), which forks each node from its one permanent thread, exactly as when the server drives it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from aide_jupyter.executors import runner as runner_mod
from aide_jupyter.executors.protocol import launch_spec, result_from_runner
from aide_jupyter.search.executor import ExecRequest, ExecResult

from .args import OptimizeArgs, UsageError, local_model
from .text import say


class _DirectRunner(runner_mod.Runner):
    """The kernel-side runner, driven in-process: a finished node wakes our waiters directly
    instead of sending an iopub notice meant for a server-side client."""

    def __init__(self) -> None:
        self._wakers: dict[int, Callable[[], None]] = {}
        self._waker_lock = threading.Lock()
        self._next_waker = 0
        super().__init__()

    def subscribe(self, wake: Callable[[], None]) -> int:
        with self._waker_lock:
            self._next_waker += 1
            self._wakers[self._next_waker] = wake
            return self._next_waker

    def unsubscribe(self, token: int) -> None:
        with self._waker_lock:
            self._wakers.pop(token, None)

    def _notify(self, content: dict[str, Any]) -> None:
        if content.get("event") != "done":
            return
        with self._waker_lock:
            wakers = list(self._wakers.values())
        for wake in wakers:
            with contextlib.suppress(RuntimeError):  # that search's loop has closed
                wake()


_RUNNER: _DirectRunner | None = None
_RUNNER_LOCK = threading.Lock()


def shared_runner() -> _DirectRunner:
    """One runner per kernel process (its forking thread is permanent)."""
    global _RUNNER
    with _RUNNER_LOCK:
        if _RUNNER is None:
            _RUNNER = _DirectRunner()
        return _RUNNER


class InKernelExecutor:
    """Executor protocol over the in-process runner; nodes see `namespace` copy-on-write."""

    def __init__(
        self,
        namespace: dict[str, Any],
        *,
        parallel: int = 1,
        memory_limit_mb: int | None = None,
        max_procs: int = 256,
        max_output_chars: int = 20_000,
        mode: str = "auto",
    ) -> None:
        self.namespace = namespace
        self.parallel = max(1, parallel)
        self.memory_limit_mb = memory_limit_mb
        self.max_procs = max_procs
        self.max_output_chars = max_output_chars
        self.mode = mode
        self._seqs: dict[str, int] = {}

    def _spec(self, request: ExecRequest) -> dict[str, Any]:
        return launch_spec(
            request,
            mode=self.mode,
            threads=max(1, (os.cpu_count() or 1) // self.parallel),
            memory_limit_mb=self.memory_limit_mb,
            max_procs=self.max_procs,
            max_output_bytes=self.max_output_chars,
        )

    async def run(self, request: ExecRequest) -> ExecResult:
        runner = shared_runner()
        loop = asyncio.get_running_loop()
        wake = asyncio.Event()
        token = runner.subscribe(lambda: loop.call_soon_threadsafe(wake.set))
        if request.harness:
            request = replace(
                request, harness={"module": "aide_jupyter.executors.harness", **request.harness}
            )
        seq = int(runner.op_launch(self.namespace, self._spec(request))["seq"])
        self._seqs[request.node_id] = seq
        try:
            while True:
                wake.clear()
                answer = runner.op_results(self.namespace, [seq])
                raw = answer["results"].get(str(seq))
                if raw is not None:
                    break
                if seq not in answer["pending"]:
                    raw = {"exit_cause": "error", "detail": "the runner lost this node"}
                    break
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(wake.wait(), 1.0)
        finally:
            runner.unsubscribe(token)
            runner.op_forget(self.namespace, [seq])
            self._seqs.pop(request.node_id, None)
        return result_from_runner(raw)

    async def prepare_holdout(self, args: dict[str, Any]) -> dict[str, Any]:
        """Split in this kernel (the harness is imported: portable nodes get its files' text)."""
        from aide_jupyter.executors import harness

        return await asyncio.to_thread(harness.prepare, self.namespace, dict(args))

    async def release_holdout(self, key: str) -> None:
        from aide_jupyter.executors import harness

        harness.release(key)

    async def cancel(self, node_ids: list[str]) -> None:
        """End these running nodes now (stop without --finish-running)."""
        seqs = [self._seqs[n] for n in node_ids if n in self._seqs]
        if seqs:
            shared_runner().op_cancel(self.namespace, seqs=seqs)

    async def close(self) -> None:
        """Nothing to release: the runner and its thread belong to the kernel."""


def run_root(namespace: dict[str, Any], environ: dict[str, str] | os._Environ[str]) -> Path:
    """Where `aide-runs/` goes: beside the notebook when we can tell which, else the cwd."""
    for candidate in (namespace.get("__vsc_ipynb_file__"), environ.get("JPY_SESSION_NAME")):
        if isinstance(candidate, str) and os.path.isabs(candidate):
            folder = os.path.dirname(candidate)
            if os.path.isdir(folder):
                return Path(folder) / "aide-runs"
    return Path.cwd() / "aide-runs"


class LocalSearch:
    """One in-kernel search: SearchLoop + JournalWriter in a daemon thread with its own loop."""

    def __init__(
        self,
        info: Any,
        config: Any,
        coder: Any,
        namespace: dict[str, Any],
        run_dir: Path,
        *,
        data_overview: str = "",
        packages: list[str] | None = None,
        seed: dict[str, Any] | None = None,
    ) -> None:
        from aide_jupyter.journal import JournalWriter
        from aide_jupyter.search.journal import Journal
        from aide_jupyter.search.loop import SearchLoop
        from aide_jupyter.search.seeding import add_seed

        self.info = info
        self.journal = Journal()
        if seed is not None:  # the user's code is the root node (stage seed)
            root = add_seed(self.journal, seed["code"])
            info.seed = {"node_id": root.id, "cell_id": seed.get("cell_id")}
        self.writer = JournalWriter(run_dir).bind(info, self.journal)
        self.executor = InKernelExecutor(
            namespace, parallel=config.parallel, memory_limit_mb=config.memory_limit_mb
        )
        self.search = SearchLoop(
            info,
            self.journal,
            config,
            coder,
            self.executor,
            run_dir,
            data_overview=data_overview,
            packages=packages,
            listeners=[self.writer],
        )
        self.run_dir = Path(run_dir)
        self.error: BaseException | None = None
        self._aloop: asyncio.AbstractEventLoop | None = None
        self._pending: list[Callable[[], None]] = []
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    @property
    def id(self) -> str:
        return str(self.info.id)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        """Run (or resume) in a fresh daemon thread; returns at once."""
        if self.running:
            raise RuntimeError(f"search {self.id} is already running")
        self._thread = threading.Thread(target=self._main, name=f"aide-{self.id}", daemon=True)
        self._thread.start()

    def join(self, timeout: float | None = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    def _main(self) -> None:
        try:
            asyncio.run(self._run())
        except BaseException as exc:  # keep it for status; the kernel must not see it
            self.error = exc
            self.info.status = "failed"
            self.info.stop_reason = f"in-kernel search crashed: {exc!r}"
        finally:
            with self._lock:
                self._aloop = None
                self._pending = []
            self.writer.flush()

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        with self._lock:
            self._aloop = loop
            pending, self._pending = self._pending, []
        for fn in pending:  # asked for before the loop existed; runs once run() has started
            loop.call_soon(fn)
        await self.search.run()

    def _call(self, fn: Callable[[], None]) -> None:
        """Run `fn` on the search's loop thread (SearchLoop is not thread-safe)."""
        with self._lock:
            loop = self._aloop
            if loop is None:
                if self.running:
                    self._pending.append(fn)
                return
        with contextlib.suppress(RuntimeError):  # the loop just closed: nothing to stop
            loop.call_soon_threadsafe(fn)

    def stop(self, finish_running: bool = False) -> None:
        self._call(lambda: self.search.request_stop(finish_running=finish_running))

    def pause(self, finish_running: bool = False) -> None:
        self._call(lambda: self.search.request_pause(finish_running=finish_running))

    def summary(self) -> dict[str, Any]:
        """The same shape as the server's search summary, so one display renders both."""
        out = self.search.summary()
        out.update(
            counts=self.journal.counts(),
            goal=self.info.goal,
            data=list(self.info.data),
            target=self.info.target,
            model=self.search.config.model,
            policy=self.search.config.policy,
            created=self.info.created,
            run_dir=str(self.run_dir),
            journal_path=str(self.writer.path),
            where="tree.html in the run folder",
            mode="in-kernel",
        )
        if self.error is not None:
            out["status"] = "failed"
            out["stop_reason"] = self.info.stop_reason
        return out


def new_search_id() -> str:
    return f"{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:4]}"


def start_local(
    shell: Any, args: OptimizeArgs, why: str, seed: dict[str, Any] | None = None
) -> LocalSearch:
    """Build and start a search in this kernel from a checked `%aide optimize`."""
    from aide_jupyter.coders import CoderError, make_coder
    from aide_jupyter.search.config import ConfigError, SearchConfig
    from aide_jupyter.search.journal import SearchInfo
    from aide_jupyter.search.preview import describe_dir, describe_objects, installed_packages

    if args.workers:
        raise UsageError(
            f"--workers needs the aide-jupyter server extension ({why}); drop --workers to "
            "search in this kernel alone"
        )
    ns = shell.user_ns
    model = local_model(args.model, os.environ)
    settings = {**args.config_overrides(), "model": model}
    try:
        config = SearchConfig.from_dict(settings)
    except ConfigError as exc:
        raise UsageError(f"--{exc.field.replace('_', '-')}: {exc.message}") from None
    try:
        coder = make_coder(model)
    except CoderError as exc:
        raise UsageError(f"--model {model}: {exc}") from None
    data_dir = os.path.abspath(os.path.expanduser(args.data_dir)) if args.data_dir else None
    eval_text = args.eval
    if args.metric:
        eval_text = f"{eval_text}\nMetric: {args.metric}".strip()
    holdout = None
    if args.holdout is not None:
        from aide_jupyter.search.holdout import resolve_metric

        try:
            metric = resolve_metric(args.metric, f"{args.goal}\n{eval_text}")
        except ValueError as exc:
            raise UsageError(f"--metric: {exc}") from None
        holdout = {"fraction": args.holdout, "metric": metric}
    info = SearchInfo(
        id=new_search_id(),
        goal=args.goal,
        eval=eval_text,
        data=list(args.data),
        data_dir=data_dir,
        target=args.target,
        holdout=holdout,
    )
    overview = describe_objects(ns, list(args.data), config.overview_max_chars)
    if data_dir:
        overview = f"{overview}\n\n{describe_dir(data_dir, config.overview_max_chars)}".strip()
    packages = [f"{k} {v}" for k, v in installed_packages().items()]
    search = LocalSearch(
        info,
        config,
        coder,
        ns,
        run_root(ns, os.environ) / info.id,
        data_overview=overview,
        packages=packages,
        seed=seed,
    )
    say(f"no AIDE server extension ({why}); running the search inside this kernel")
    search.start()
    return search
