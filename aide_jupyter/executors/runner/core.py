"""The runner's kernel side: launch queue, one permanent supervising thread, results, operations.

All entry points go through `call(op, args_json, namespace) -> json`, so the server needs
nothing but the kernel messaging protocol (no shared files or PIDs), and remote kernels work.
One permanent daemon thread starts, watches and reaps the children. Forking from one long-lived
thread matters: PR_SET_PDEATHSIG fires when the *forking thread* exits, and a permanent thread
only exits with the kernel, so orphans die with it.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import socket
import sys
import threading
import time
import uuid
from typing import Any

from . import forked, portable
from .common import (
    NOTICE_TYPE,
    OUTPUT_FILE,
    READY_FILE,
    RESULT_FILE,
    capabilities,
    choose_mode,
    harness_module,
    kernel,
    read_capped,
    redact,
    redact_result,
    secret_values,
    variables,
)

NOTICE_INLINE_MAX = 64_000
KEEP_RESULTS = 256
HEARTBEAT_S = 1.0
TERM_GRACE_S = 2.0  # timeout: SIGTERM, then SIGKILL this much later
CANCEL_GRACE_S = 1.0  # cancel: the whole tree is gone well within 2 s
PROC_CHECK_S = 0.05
REDACT_SCAN_MAX = 64 * 1024 * 1024


class _Node:
    """A running child, as the runner thread sees it."""

    def __init__(self, seq: int, spec: dict[str, Any], proc: Any) -> None:
        self.seq, self.spec, self.proc = seq, spec, proc
        self.started = time.monotonic()
        self.deadline = self.started + float(spec["timeout_s"])
        self.killed_for: str | None = None
        self.kill_at: float | None = None
        self.reported = False
        self.t_started = 0.0


def _signal_name(sig: int) -> str:
    try:
        return signal.Signals(sig).name
    except ValueError:
        return f"signal {sig}"


def _describe_end(node: _Node, sig: int | None, code: int | None) -> dict[str, Any]:
    """Cause of a child that left no result file: our kill, a signal, or an early exit."""
    spec = node.spec
    if node.killed_for == "timeout":
        return {"exit_cause": "timeout", "detail": f"timed out after {spec['timeout_s']:g} s"}
    if node.killed_for == "cancel":
        return {
            "exit_cause": "cancelled",
            "exc_type": "Cancelled",
            "detail": "cancelled: the search was stopped while this node ran",
        }
    if node.killed_for == "procs":
        return {
            "exit_cause": "signal",
            "exit_code": -9,
            "detail": f"killed: more than {spec['max_procs']} processes (fork bomb?)",
        }
    if node.killed_for == "memory":
        return {
            "exit_cause": "memory",
            "detail": f"killed: memory grew past the limit of {spec['memory_limit_mb']} MB",
        }
    if sig is not None:
        detail = f"killed by {_signal_name(sig)}"
        if sig == getattr(signal, "SIGKILL", 9):
            detail += " (out of memory?)"
        return {"exit_cause": "signal", "exit_code": -sig, "detail": detail}
    return {
        "exit_cause": "exit",
        "exit_code": code,
        "detail": f"process exited with code {code} before the script finished",
    }


def _redact_file(path: str, secrets: list[str]) -> None:
    """Mask secrets in the captured output file too (it stays in the node's folder)."""
    if not secrets:
        return
    with contextlib.suppress(OSError):
        if os.path.getsize(path) > REDACT_SCAN_MAX:
            os.unlink(path)  # too big to scan: do not leave an unchecked copy behind
            return
        with open(path, encoding="utf-8", errors="surrogateescape") as fh:
            text = fh.read()
        clean = redact(text, secrets)
        if clean != text:
            with open(path, "w", encoding="utf-8", errors="surrogateescape") as fh:
                fh.write(clean)


class Runner:
    """Per-kernel state: the launch queue, running children, finished results by sequence."""

    def __init__(self) -> None:
        self.instance = uuid.uuid4().hex
        self._lock = threading.Lock()
        self._queue: list[tuple[int, dict[str, Any], dict[str, Any]]] = []
        self._running: dict[int, _Node] = {}
        self._results: dict[int, dict[str, Any]] = {}
        self._seq = 0
        self._parent: dict[str, Any] | None = None
        self._wake_r, self._wake_w = socket.socketpair()  # select()able on every platform
        self._wake_r.setblocking(False)
        self._last_beat = 0.0
        self._last_proc_check = 0.0
        self._thread = threading.Thread(target=self._loop, name="aide-runner", daemon=True)
        self._thread.start()

    # -- operations, called on the kernel's shell through `call`; each takes milliseconds
    def op_hello(self, ns: dict[str, Any], mode: str = "auto") -> dict[str, Any]:
        with self._lock:
            return {
                "mode": choose_mode(mode),
                "capabilities": capabilities(),
                "running": sorted(self._running),
                "queued": [q[0] for q in self._queue],
                "done": sorted(self._results),
                "cpus": os.cpu_count() or 1,
            }

    def op_launch(
        self, ns: dict[str, Any], spec: dict[str, Any], forget: list[int] | None = None
    ) -> dict[str, Any]:
        self.op_forget(ns, forget or [])
        k = kernel()
        with contextlib.suppress(Exception):
            self._parent = k.get_parent() if k is not None else None
        if spec.get("workdir"):
            workdir = os.path.abspath(spec["workdir"])
        else:  # a preview: a temporary folder on this host, removed after it
            workdir = os.path.join(portable.work_dir(), f"preview-{uuid.uuid4().hex[:12]}")
            spec = dict(spec, temporary=True)
        os.makedirs(workdir, exist_ok=True)
        spec = dict(
            spec,
            workdir=workdir,
            output_path=os.path.join(workdir, OUTPUT_FILE),
            result_path=os.path.join(workdir, RESULT_FILE),
            mode=choose_mode(spec.get("mode", "auto")),
            t_launch=time.time(),
        )
        with self._lock:
            self._seq += 1
            seq = self._seq
            self._queue.append((seq, spec, ns))
        self._wake()
        return {"seq": seq, "mode": spec["mode"]}

    def op_results(self, ns: dict[str, Any], seqs: list[int]) -> dict[str, Any]:
        with self._lock:
            known = set(self._running) | {q[0] for q in self._queue}
            return {
                "results": {str(s): self._results[s] for s in seqs if s in self._results},
                "pending": [s for s in seqs if s in known],
            }

    def op_forget(self, ns: dict[str, Any], seqs: list[int]) -> dict[str, Any]:
        with self._lock:
            for s in seqs:
                self._results.pop(s, None)
        return {}

    def op_cancel(
        self, ns: dict[str, Any], seqs: list[int] | None = None, everything: bool = False
    ) -> dict[str, Any]:
        """End running (and queued) nodes now: TERM to the whole tree, KILL 1 s later."""
        wanted = set(seqs or [])
        dropped: list[tuple[int, dict[str, Any]]] = []
        cancelled: list[int] = []
        with self._lock:
            keep = []
            for seq, spec, qns in self._queue:
                if everything or seq in wanted:
                    dropped.append((seq, spec))
                else:
                    keep.append((seq, spec, qns))
            self._queue = keep
            for seq, node in self._running.items():
                if (everything or seq in wanted) and node.killed_for != "cancel":
                    node.killed_for = "cancel"
                    node.kill_at = time.monotonic() + CANCEL_GRACE_S
                    node.proc.terminate()
                    cancelled.append(seq)
        for seq, spec in dropped:
            res = {
                "exit_cause": "cancelled",
                "exc_type": "Cancelled",
                "detail": "cancelled before it started",
                "output": "",
            }
            self._finish(seq, spec, res)
        self._wake()
        return {"cancelled": sorted(cancelled + [s for s, _ in dropped])}

    def op_variables(self, ns: dict[str, Any]) -> dict[str, Any]:
        return {"variables": variables(ns)}

    def op_invoke(
        self,
        ns: dict[str, Any],
        module: str,
        func: str,
        args: list[Any],
        pass_namespace: bool = False,
    ) -> dict[str, Any]:
        """Call a function of another shipped module (the data preview), optionally on `ns`."""
        fn = getattr(sys.modules[module], func)
        return {"value": fn(ns, *args) if pass_namespace else fn(*args)}

    # -- the permanent thread: starts, watches, reaps, notifies
    def _wake(self) -> None:
        with contextlib.suppress(OSError):
            self._wake_w.send(b"x")

    def _loop(self) -> None:
        while True:
            try:
                self._tick()
            except Exception:  # the thread must outlive any one bad node
                import logging

                logging.getLogger("aide_runner").exception("runner thread error")
                time.sleep(0.1)

    def _tick(self) -> None:
        nodes = list(self._running.values())
        fds: list[Any] = [self._wake_r]
        for node in nodes:
            fds += node.proc.wait_fds()
        timeout = HEARTBEAT_S
        if nodes:
            timeout = PROC_CHECK_S if any(n.proc.needs_polling for n in nodes) else 0.1
        select.select(fds, [], [], timeout)
        with contextlib.suppress(BlockingIOError, OSError):
            self._wake_r.recv(4096)
        with self._lock:
            queue, self._queue = self._queue, []
        for seq, spec, ns in queue:
            self._start(seq, spec, ns)
        now = time.monotonic()
        check = now - self._last_proc_check >= PROC_CHECK_S
        if check:
            self._last_proc_check = now
        for node in list(self._running.values()):
            self._watch(node, now, check)
        if self._running and now - self._last_beat >= HEARTBEAT_S:
            self._last_beat = now
            self._notify({"event": "alive", "running": sorted(self._running)})

    def _start(self, seq: int, spec: dict[str, Any], ns: dict[str, Any]) -> None:
        t_started = time.time()
        try:
            if spec["mode"] == "spawn":
                proc: Any = portable.PortableProc(spec, ns, sys.modules[__package__])
            else:
                proc = forked.ForkProc(spec, ns)
        except Exception as exc:
            self._finish(
                seq,
                spec,
                {"exit_cause": "error", "detail": f"launch failed: {exc!r}", "output": ""},
            )
            return
        node = _Node(seq, spec, proc)
        node.t_started = t_started
        with self._lock:
            self._running[seq] = node

    def _watch(self, node: _Node, now: float, check: bool) -> None:
        proc = node.proc
        if not node.reported and proc.result_ready():
            self._collect(node, None)
        end = proc.reap()
        if end is not None:
            with self._lock:
                self._running.pop(node.seq, None)
            if not node.reported:
                self._collect(node, end)
            return
        if node.kill_at is not None and now >= node.kill_at:
            proc.kill()
            node.kill_at = now + 0.5  # again, should a process escape the first kill
        elif node.killed_for is None and now >= node.deadline:
            node.killed_for = "timeout"
            node.kill_at = now + TERM_GRACE_S
            proc.terminate()
        elif check and node.killed_for is None:
            over = proc.over_limits(int(node.spec["max_procs"]), node.spec.get("memory_limit_mb"))
            if over is not None:
                node.killed_for = over
                node.kill_at = now
                proc.kill()

    def _collect(self, node: _Node, end: tuple[int | None, int | None, int] | None) -> None:
        """Build and publish the result: early (from the child's own report) or at reaping."""
        node.reported = True
        spec = node.spec
        res: dict[str, Any] | None = None
        with contextlib.suppress(OSError, ValueError):
            with open(spec["result_path"], encoding="utf-8") as fh:
                res = json.load(fh)
            os.unlink(spec["result_path"])
        wall = time.monotonic() - node.started
        t_collect = time.time()
        if res is None:
            res = _describe_end(node, end[0] if end else None, end[1] if end else None)
            res["exec_time_s"] = wall
        if node.killed_for == "cancel" and res.get("exit_cause") != "ok":
            res.update(_describe_end(node, None, None))
        peak = max(int(res.pop("peak_rss_kb", 0) or 0), end[2] if end else 0, node.proc.peak_kb)
        res["peak_mem_mb"] = round(max(0, peak - node.proc.base_rss_kb) / 1024, 1)
        secrets = secret_values(os.environ, spec.get("env_allow", ()), spec.get("env_drop", ()))
        _redact_file(spec["output_path"], secrets)
        res["output"] = read_capped(spec["output_path"], int(spec["max_output_bytes"]))
        redact_result(res, secrets)
        res["wall_s"] = wall
        res["mode"] = spec["mode"]
        timing = res.get("timing") if isinstance(res.get("timing"), dict) else {}
        res["timing"] = dict(
            timing, launch=spec["t_launch"], started=node.t_started, collect=t_collect
        )
        for name in (portable.SPEC_FILE, READY_FILE):
            with contextlib.suppress(OSError):
                os.unlink(os.path.join(spec["workdir"], name))
        if spec.get("temporary"):
            import shutil

            shutil.rmtree(spec["workdir"], ignore_errors=True)
        self._finish(node.seq, spec, res)

    def _finish(self, seq: int, spec: dict[str, Any], res: dict[str, Any]) -> None:
        res["node_id"] = spec.get("node_id")
        res["seq"] = seq
        hook = harness_module(spec) if "harness" in spec else None
        if hook is not None and hasattr(hook[0], "score"):
            try:
                hook[0].score(hook[1], res)
            except Exception as exc:
                res.setdefault("harness", {})
                if isinstance(res["harness"], dict):
                    res["harness"]["error"] = f"harness score failed: {type(exc).__name__}: {exc}"
        with self._lock:
            self._results[seq] = res
            while len(self._results) > KEEP_RESULTS:
                self._results.pop(next(iter(self._results)))
        notice: dict[str, Any] = {"event": "done", "seq": seq}
        if len(json.dumps(res, default=str)) <= NOTICE_INLINE_MAX:
            notice["result"] = res
        self._notify(notice)

    def _notify(self, content: dict[str, Any]) -> None:
        """A small iopub message; lossy by nature, so results also stay here for catch-up."""
        k = kernel()
        if k is None:
            return
        content = dict(content, instance=self.instance)
        with contextlib.suppress(Exception):
            k.session.send(
                k.iopub_socket,
                NOTICE_TYPE,
                content,
                parent=self._parent or {},
                ident=b"aide_runner",
            )
