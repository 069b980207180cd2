"""Server side of the live-kernel executor: runs nodes in the user's kernel through the runner.

One isolated client per executor, made from the connection info with a fresh Session (never
`km.client()`, which shares the frontend's session id and would steal its replies). Every request
is `silent` with `store_history=False`, so the user's execution count and history do not move.
Launching a node is one short request; its result arrives as an iopub notice from the runner's
watcher thread (even while a user cell runs) and, because iopub is lossy, is also polled for.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from typing import Any

from aide_jupyter.executors import artifacts, protocol
from aide_jupyter.executors.holdout_client import HoldoutClient
from aide_jupyter.executors.introspect import KernelIntrospection
from aide_jupyter.executors.protocol import launch_spec, result_from_runner
from aide_jupyter.executors.transport import Channel, KernelTransport, TransportClosed, ZmqTransport
from aide_jupyter.search.executor import ExecRequest, ExecResult, ExecutorLost

log = logging.getLogger(__name__)

NOTICE_TYPE = "aide_runner_notice"


class KernelExecutor(KernelIntrospection, HoldoutClient):
    """Executor protocol over one (live) kernel.

    A kernel restart or death while nodes run raises `ExecutorLost` from their `run()` calls
    (the engine pauses the search); the next `run()` reinstalls the runner on the new kernel.
    """

    def __init__(
        self,
        connection_info: dict[str, Any] | None = None,
        *,
        transport: KernelTransport | None = None,
        parallel: int = 1,
        mode: str = "auto",
        memory_limit_mb: int | None = None,
        threads_per_node: int | None = None,
        max_procs: int = 256,
        max_output_chars: int = 20_000,
        request_timeout_s: float = 30.0,
        poll_interval_s: float = 5.0,
        lost_after_s: float = 3.0,
        preview_source: str | None = None,
        use_subshell: bool = True,
        env_allow: list[str] | tuple[str, ...] = (),
        env_drop: list[str] | tuple[str, ...] = (),
        secrets: Callable[[], list[str]] | None = None,
        remote_workdirs: bool = False,
        artifact_max_bytes: int = 2_000_000,
    ) -> None:
        if mode not in ("auto", "fork", "spawn"):
            raise ValueError(f"mode must be auto, fork or spawn, not {mode!r}")
        if transport is None:
            if connection_info is None:
                raise ValueError("KernelExecutor needs connection_info or a transport")
            transport = ZmqTransport(connection_info)
        self.transport: KernelTransport = transport
        self.parallel = max(1, int(parallel))
        self.mode = mode
        self.memory_limit_mb = memory_limit_mb
        self.threads_per_node = threads_per_node
        self.max_procs = max_procs
        self.max_output_chars = max_output_chars
        self.request_timeout_s = request_timeout_s
        self.poll_interval_s = poll_interval_s
        self.lost_after_s = lost_after_s
        # a kernel on another host (behind a gateway): nodes run in a temp folder there and
        # their small files come back with the result (runner part `remote`, `artifacts.land`)
        self.remote_workdirs = remote_workdirs
        self.artifact_max_bytes = int(artifact_max_bytes)
        self._runner_parts = protocol.runner_parts()
        self._runner_name = protocol.module_name("_aide_runner", protocol.runner_source())
        self._preview_src = preview_source
        self._started = False
        self._waiters: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._early: dict[int, dict[str, Any]] = {}
        self._sem = asyncio.Semaphore(self.parallel)
        self._start_lock = asyncio.Lock()
        self._install_lock = asyncio.Lock()
        self._kernel_session: str | None = None
        self._instance: str | None = None
        self._cpus = 1
        self._last_alive = 0.0
        self._installed_preview: str | None = None
        self._closed = False
        self._to_forget: list[int] = []
        self.use_subshell = use_subshell
        self.env_allow = list(env_allow)
        self.env_drop = list(env_drop)
        self._secrets = secrets  # values the server knows (the LLM key): masked in results
        self._supports_subshells = False
        self._subshell: str | None = None
        self._mode_used: str | None = None  # what the runner chose for `mode` in this kernel
        self._seqs: dict[str, int] = {}  # node_id -> seq of nodes in flight
        self._cancel_wanted: set[str] = set()
        self._launching: set[str] = set()  # launch sent, seq not known yet

    # ------------------------------------------------------------------ connection
    async def start(self) -> None:
        """Connect and install the runner; `run()` calls it on demand."""
        async with self._start_lock:
            if self._started:
                return
            if self._closed:
                raise ExecutorLost("executor is closed")
            await self.transport.start()
            self.transport.on_iopub(self._on_iopub)
            self._started = True
            reply = await self._request(
                "control", "kernel_info_request", {}, timeout=self.request_timeout_s
            )
            self._kernel_session = reply["header"].get("session")
            features = reply.get("content", {}).get("supported_features") or []
            self._supports_subshells = self.use_subshell and "kernel subshells" in features
            await self._ensure_runner()

    async def close(self) -> None:
        """Stop listening; running children finish on their own (results stay in the kernel).
        Call `cancel()` first to end them."""
        self._closed = True
        self._fail_all(ExecutorLost("executor closed"))
        if self._subshell is not None and self._started:
            with contextlib.suppress(Exception):
                await self.transport.request(
                    "control", "delete_subshell_request", {"subshell_id": self._subshell}, 5.0
                )
            self._subshell = None
        await self.transport.close()
        self._started = False

    def describe(self) -> dict[str, Any]:
        """For the search summary: how nodes run here and whether launches bypass the main
        shell. `mode` is the requested one until the runner has chosen."""
        return {"mode": self._mode_used or self.mode, "subshell": self._subshell is not None}

    async def _open_subshell(self) -> None:
        """Our own subshell (kernel protocol 5.5), so launches do not wait behind user cells."""
        self._subshell = None
        if not self._supports_subshells:
            return
        try:
            reply = await self._request("control", "create_subshell_request", {}, timeout=10.0)
        except asyncio.TimeoutError:
            log.warning("kernel advertised subshells but did not create one; using the main shell")
            return
        self._subshell = reply.get("content", {}).get("subshell_id")

    def _on_iopub(self, msg: dict[str, Any]) -> None:
        session = msg.get("header", {}).get("session")
        mtype = msg.get("header", {}).get("msg_type")
        if session and self._kernel_session and session != self._kernel_session:
            self._kernel_session = session
            self._lost("the kernel restarted (new kernel session on iopub)")
        if mtype == NOTICE_TYPE:
            content = msg.get("content", {})
            if content.get("instance") != self._instance:
                return
            self._last_alive = time.monotonic()
            if content.get("event") == "done" and "result" in content:
                self._deliver(int(content["seq"]), content["result"])

    def _deliver(self, seq: int, result: dict[str, Any]) -> None:
        fut = self._waiters.get(seq)
        if fut is None:
            self._early[seq] = result  # the notice beat the launch reply
        elif not fut.done():
            fut.set_result(result)

    def _lost(self, reason: str) -> None:
        log.warning("executor lost its kernel runner: %s", reason)
        self._instance = None
        self._subshell = None  # the new kernel has none of ours
        self._fail_all(ExecutorLost(reason))

    def _fail_all(self, exc: Exception) -> None:
        for fut in self._waiters.values():
            if not fut.done():
                fut.set_exception(exc)

    # ------------------------------------------------------------------ requests
    async def _request(
        self, channel: Channel, msg_type: str, content: dict[str, Any], timeout: float
    ) -> dict[str, Any]:
        try:
            return await self.transport.request(channel, msg_type, content, timeout)
        except TransportClosed as exc:
            raise ExecutorLost(f"executor closed: {exc}") from None

    async def _execute(
        self, code: str, expressions: dict[str, str] | None = None, timeout: float | None = None
    ) -> dict[str, Any]:
        content = {
            "code": code,
            "silent": True,
            "store_history": False,
            "user_expressions": expressions or {},
            "allow_stdin": False,
            "stop_on_error": False,
        }
        try:
            return await self.transport.request(
                "shell",
                "execute_request",
                content,
                timeout or self.request_timeout_s,
                subshell_id=self._subshell,
            )
        except TransportClosed as exc:
            raise ExecutorLost(f"executor closed: {exc}") from None

    async def _call(self, op: str, timeout: float | None = None, **args: Any) -> dict[str, Any]:
        """Run a runner operation; reinstalls the runner once if the kernel lost it."""
        for attempt in (0, 1):
            expr = protocol.call_expression(self._runner_name, op, args)
            reply = await self._execute("", {"r": expr}, timeout)
            answer, error = protocol.parse_expression(reply)
            if answer is not None:
                return answer
            if attempt == 0 and "KeyError" in error and self._runner_name in error:
                await self._ensure_runner(force=True)
                continue
            if "UnknownSubshellError" in error:  # a restarted kernel has none of our subshells
                self._lost("the kernel restarted (our subshell is gone)")
                raise ExecutorLost("the kernel restarted while the node ran")
            raise RuntimeError(f"runner call {op} failed: {error}")
        raise AssertionError("unreachable")

    async def _ensure_runner(self, force: bool = False) -> None:
        async with self._install_lock:
            if self._instance is not None and not force:
                return
            if self._instance is None:
                await self._open_subshell()
            code = protocol.install_runner_code(self._runner_name, self._runner_parts)
            reply = await self._execute(code)
            if reply["content"].get("status") != "ok":
                raise ExecutorLost(f"could not install the runner: {reply['content']}")
            expr = protocol.call_expression(self._runner_name, "hello", {"mode": self.mode})
            answer, error = protocol.parse_expression(await self._execute("", {"r": expr}))
            if answer is None:
                raise ExecutorLost(f"runner does not answer: {error}")
            self._instance = answer["instance"]
            self._cpus = int(answer.get("cpus", 1))
            self._mode_used = answer.get("mode")
            self._last_alive = time.monotonic()

    # ------------------------------------------------------------------ running nodes
    async def run(self, request: ExecRequest) -> ExecResult:
        """Run one node; raises ExecutorLost if the kernel restarts or dies under it."""
        await self.start()
        async with self._sem:
            await self._ensure_runner()
            request = await self._ensure_harness(request)
            raw = await self._launch_and_wait(self._spec(request), request.timeout_s)
        if self.remote_workdirs:
            raw = artifacts.land(dict(raw), request.workdir)
        return result_from_runner(raw, self._secrets() if self._secrets else None)

    async def _launch_and_wait(self, spec: dict[str, Any], timeout_s: float) -> dict[str, Any]:
        """Launch one spec (a node, or a preview) and wait for the runner's raw result."""
        await self._ensure_runner()
        node_id = str(spec["node_id"])
        forget, self._to_forget = self._to_forget, []
        if node_id in self._cancel_wanted:
            self._cancel_wanted.discard(node_id)
            return {
                "exit_cause": "cancelled",
                "exc_type": "Cancelled",
                "detail": "cancelled before it started",
                "output": "",
            }
        self._launching.add(node_id)
        try:
            answer = await self._call("launch", spec=spec, forget=forget)
        finally:
            self._launching.discard(node_id)
        seq = int(answer["seq"])
        self._mode_used = answer.get("mode", self._mode_used)
        if answer["instance"] != self._instance:
            self._lost("the kernel's runner was replaced")
            self._instance = answer["instance"]
        fut: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._waiters[seq] = fut
        self._seqs[node_id] = seq
        if seq in self._early:
            fut.set_result(self._early.pop(seq))
        try:
            if node_id in self._cancel_wanted:  # stop came during the launch
                await self._call("cancel", seqs=[seq])
            result = await self._wait(seq, fut, timeout_s)
        finally:
            self._waiters.pop(seq, None)
            self._seqs.pop(node_id, None)
            self._cancel_wanted.discard(node_id)
        self._to_forget.append(seq)  # sent with the next launch: no extra round trip
        return result

    async def cancel(self, node_ids: list[str] | None = None) -> list[str]:
        """End these running nodes (all of this executor's, with None) at once: TERM, then KILL
        of each node's process tree; their `run()` returns exit_cause "cancelled". Nodes not
        launched yet are cancelled when their launch comes. Returns the node ids cancelled."""
        wanted = list(self._seqs) if node_ids is None else list(node_ids)
        self._cancel_wanted.update(wanted)
        seqs = [self._seqs[n] for n in wanted if n in self._seqs]
        if seqs and self._instance is not None:
            await self._call("cancel", timeout=10.0, seqs=seqs)
        return [n for n in wanted if n in self._seqs or n in self._launching]

    def _spec(self, request: ExecRequest) -> dict[str, Any]:
        spec = self._base_spec(request)
        if self.remote_workdirs:
            spec["remote"] = {"max_bytes": self.artifact_max_bytes}
        return spec

    def _sharing(self, request: ExecRequest) -> int:
        """Nodes that share the host's CPU threads with this one."""
        if request.concurrency is None:
            return self.parallel
        return max(1, min(self.parallel, request.concurrency))

    def _base_spec(self, request: ExecRequest) -> dict[str, Any]:
        return launch_spec(
            request,
            mode=self.mode,
            threads=self.threads_per_node or max(1, self._cpus // self._sharing(request)),
            memory_limit_mb=self.memory_limit_mb,
            max_procs=self.max_procs,
            max_output_bytes=self.max_output_chars,
            env_allow=self.env_allow,
            env_drop=self.env_drop,
        )

    async def _wait(
        self, seq: int, fut: asyncio.Future[dict[str, Any]], timeout_s: float
    ) -> dict[str, Any]:
        """Wait for the notice; poll now and then (iopub is lossy) and watch for a lost kernel."""
        instance = self._instance
        give_up = time.monotonic() + timeout_s + 60.0
        next_poll = time.monotonic() + self.poll_interval_s
        while True:
            with contextlib.suppress(asyncio.TimeoutError):
                return await asyncio.wait_for(asyncio.shield(fut), 1.0)
            now = time.monotonic()
            if self._instance != instance:
                raise ExecutorLost("the kernel restarted while the node ran")
            if now - self._last_alive > self.lost_after_s:
                await self._probe()
            if now >= next_poll:
                next_poll = now + self.poll_interval_s
                with contextlib.suppress(asyncio.TimeoutError):
                    answer = await self._call("results", timeout=self.poll_interval_s, seqs=[seq])
                    if answer["instance"] != instance:
                        self._lost("the kernel's runner was replaced (restart)")
                        raise ExecutorLost("the kernel restarted while the node ran")
                    if str(seq) in answer["results"]:
                        return answer["results"][str(seq)]
                    if seq not in answer["pending"]:
                        raise ExecutorLost("the runner no longer knows this node")
            if now > give_up:
                return {
                    "exit_cause": "error",
                    "output": "",
                    "detail": "no result from the kernel long after the timeout",
                }

    async def _probe(self) -> None:
        """The runner's heartbeats stopped: ask the control channel who the kernel is now."""
        try:
            reply = await self._request("control", "kernel_info_request", {}, timeout=2.0)
        except asyncio.TimeoutError:
            if not await self.transport.is_alive():
                self._lost("the kernel does not answer (dead?)")
                raise ExecutorLost("the kernel died while the node ran") from None
            return
        session = reply["header"].get("session")
        if session and session != self._kernel_session:
            self._kernel_session = session
            self._lost("the kernel restarted (new session on control)")
            raise ExecutorLost("the kernel restarted while the node ran")
        self._last_alive = time.monotonic()  # alive, merely busy: do not probe every second
