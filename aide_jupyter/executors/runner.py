"""Kernel-side runner: forks one isolated child per node from the user's live kernel.

Standard library only: the server ships this file's text into kernels that lack the package
(`install_code`), so it must not import aide_jupyter or anything third-party at import time.
All entry points go through `call(op, args_json, namespace) -> json`, so the server needs
nothing but the kernel messaging protocol (no shared files or PIDs), and remote kernels work.

One permanent daemon thread forks, watches and reaps the children. Forking from one long-lived
thread matters: PR_SET_PDEATHSIG fires when the *forking thread* exits, and a permanent thread
only exits with the kernel, so orphans die with it.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import linecache
import os
import pickle
import resource
import select
import signal
import sys
import threading
import time
import traceback
import uuid
from typing import Any

FILENAME = "<aide_runner>"
OUTPUT_FILE = ".aide_output.log"
RESULT_FILE = ".aide_result.json"
CODE_FILE = "node.py"
DATA_FILE = ".aide_data.pkl"
SPEC_FILE = ".aide_spawn.json"
NOTICE_TYPE = "aide_runner_notice"
NOTICE_INLINE_MAX = 64_000
KEEP_RESULTS = 256
HEARTBEAT_S = 1.0
TERM_GRACE_S = 2.0
PROC_CHECK_S = 0.05
THREAD_VARS = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
)
IPYTHON_NAMES = ("In", "Out", "get_ipython", "exit", "quit", "_ih", "_oh", "_dh")

_SOURCE: str | None = None  # set by the installer when this file arrives as text


def _source() -> str:
    if _SOURCE is not None:
        return _SOURCE
    with open(__file__, encoding="utf-8") as fh:
        return fh.read()


def default_mode() -> str:
    """fork on Linux unless CUDA is already initialised here (a forked CUDA context is unusable)."""
    if not sys.platform.startswith("linux"):
        return "spawn"
    torch = sys.modules.get("torch")
    with contextlib.suppress(Exception):
        if torch is not None and torch.cuda.is_initialized():
            return "spawn"
    return "fork"


# ---------------------------------------------------------------- child side (fork and spawn)

_CONTROLLER: list[Any] = [None, -1]  # a threadpoolctl controller, valid for len(sys.modules)


def _controller() -> Any:
    """Scan the loaded BLAS/OpenMP libraries in the kernel (30 ms), not in every child.

    Rescanned when the kernel imported something new, as that may have loaded a library."""
    if _CONTROLLER[1] != len(sys.modules):
        _CONTROLLER[1] = len(sys.modules)
        try:
            import threadpoolctl

            _CONTROLLER[0] = threadpoolctl.ThreadpoolController()
        except Exception:  # not installed, or a library it cannot handle
            _CONTROLLER[0] = None
    return _CONTROLLER[0]


def _limit_threads(threads: int, openmp_one: bool, controller: Any = None) -> None:
    """Cap BLAS threads (no oversubscription) and OpenMP (a forked libgomp pool hangs).

    Only pools larger than their cap are touched: setting OpenBLAS's thread count in a forked child
    restarts its (spinning) worker threads, which made a small fit 3-5x slower even when the count
    did not change. The child exits after its node, so nothing is restored."""
    for var in THREAD_VARS:
        os.environ[var] = str(threads)
    if openmp_one:
        os.environ["OMP_NUM_THREADS"] = "1"
    if controller is None:
        try:
            import threadpoolctl
        except ImportError:
            return
        controller = threadpoolctl.ThreadpoolController()
    for lib in getattr(controller, "lib_controllers", ()):
        cap = 1 if (openmp_one and lib.user_api == "openmp") else threads
        with contextlib.suppress(Exception):
            if lib.num_threads > cap:
                lib.set_num_threads(cap)


def _vm_bytes() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


def _limit_memory(limit_mb: int | None) -> None:
    """RLIMIT_AS on top of what the process already maps (the copy-on-write snapshot is shared)."""
    if not limit_mb:
        return
    try:
        base = _vm_bytes()
    except OSError:
        base = 0
    cap = base + int(limit_mb) * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))


def _close_inherited_sockets(keep: set[int]) -> None:
    """Close the kernel's ZMQ sockets and their eventfd/epoll fds; orphans holding them break
    the restarted kernel's ports. Regular files and pipes stay usable."""
    try:
        fds = [int(x) for x in os.listdir("/proc/self/fd")]
    except OSError:
        return
    for fd in fds:
        if fd <= 2 or fd in keep:
            continue
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.startswith(("socket:", "anon_inode:")):
            with contextlib.suppress(OSError):
                os.close(fd)


def _redirect_std(out_path: str) -> None:
    """fd-level capture (C code, subprocesses) plus new sys.stdout/err, else prints go to iopub."""
    out = os.open(out_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(out, 1)
    os.dup2(out, 2)
    os.close(out)
    os.close(null)
    sys.stdin = open(0, closefd=False)  # noqa: SIM115
    sys.stdout = open(1, "w", buffering=1, closefd=False, errors="backslashreplace")  # noqa: SIM115
    sys.stderr = open(2, "w", buffering=1, closefd=False, errors="backslashreplace")  # noqa: SIM115
    sys.__stdout__, sys.__stderr__, sys.__stdin__ = sys.stdout, sys.stderr, sys.stdin


def _format_exc(exc: BaseException) -> str:
    """Traceback without the runner's own frames."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename == FILENAME:
        tb = tb.tb_next
    return "".join(traceback.format_exception(type(exc), exc, tb))


def _execute(spec: dict[str, Any], namespace: dict[str, Any]) -> dict[str, Any]:
    """Run the node's code in `namespace`; never raises."""
    code_path = os.path.join(spec["workdir"], CODE_FILE)
    source = spec["code"]
    with contextlib.suppress(OSError), open(code_path, "w", encoding="utf-8") as fh:
        fh.write(source)
    linecache.cache[code_path] = (len(source), None, source.splitlines(True), code_path)
    res: dict[str, Any] = {"exit_cause": "ok"}
    start = time.perf_counter()
    try:
        exec(compile(source, code_path, "exec"), namespace)
    except SystemExit as exc:
        code = exc.code
        if code not in (None, 0):
            res.update(
                exit_cause="exit",
                exit_code=code if isinstance(code, int) else 1,
                detail=f"sys.exit({code!r})",
            )
    except MemoryError as exc:
        res.update(
            exit_cause="memory",
            exc_type=type(exc).__name__,
            exc_traceback=_format_exc(exc),
            detail="MemoryError (over the memory limit?)",
        )
    except BaseException as exc:
        res.update(
            exit_cause="exception", exc_type=type(exc).__name__, exc_traceback=_format_exc(exc)
        )
    res["exec_time_s"] = time.perf_counter() - start
    return res


def _finish_child(spec: dict[str, Any], res: dict[str, Any], done_fd: int = -1) -> None:
    """Write the result file, tell the runner (before the slow exit of a big process), leave
    without running any inherited cleanup."""
    with contextlib.suppress(BaseException):
        sys.stdout.flush()
        sys.stderr.flush()
    try:
        res["peak_rss_kb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        tmp = spec["result_path"] + ".tmp"
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump(res, fh, default=str)
        os.replace(tmp, spec["result_path"])
        if done_fd >= 0:
            os.write(done_fd, b"d")
    finally:
        os._exit(0)


def _fork_child(
    spec: dict[str, Any], user_ns: dict[str, Any], parent_pid: int, controller: Any, done_fd: int
) -> None:
    """Runs in the forked child; never returns."""
    res: dict[str, Any] = {"exit_cause": "error"}
    try:
        os.setpgid(0, 0)
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a kernel interrupt signals its group
        for sig in (signal.SIGTERM, signal.SIGCHLD, signal.SIGPIPE):
            signal.signal(sig, signal.SIG_DFL)
        with contextlib.suppress(Exception):
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        if os.getppid() != parent_pid:
            os._exit(70)
        _close_inherited_sockets(keep={done_fd})
        _redirect_std(spec["output_path"])
        _limit_threads(spec["threads"], openmp_one=True, controller=controller)
        _limit_memory(spec.get("memory_limit_mb"))
        os.chdir(spec["workdir"])
        ns = {k: v for k, v in user_ns.items() if k not in IPYTHON_NAMES}
        ns["__name__"] = "__main__"
        ns["__file__"] = os.path.join(spec["workdir"], CODE_FILE)
        res = _execute(spec, ns)
    except BaseException as exc:
        res = {"exit_cause": "error", "detail": f"runner failed in child: {exc!r}"}
    _finish_child(spec, res, done_fd)


def spawn_main(spec_path: str) -> None:
    """Entry point of a spawned interpreter: load the pickled data, run, report."""
    with open(spec_path, encoding="utf-8") as fh:
        spec = json.load(fh)
    res: dict[str, Any] = {"exit_cause": "error"}
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        sys.stdout = open(1, "w", buffering=1, closefd=False, errors="backslashreplace")  # noqa: SIM115
        sys.stderr = open(2, "w", buffering=1, closefd=False, errors="backslashreplace")  # noqa: SIM115
        _limit_threads(spec["threads"], openmp_one=False)
        _limit_memory(spec.get("memory_limit_mb"))
        os.chdir(spec["workdir"])
        ns: dict[str, Any] = {
            "__name__": "__main__",
            "__builtins__": __builtins__,
            "__file__": os.path.join(spec["workdir"], CODE_FILE),
        }
        data_path = os.path.join(spec["workdir"], DATA_FILE)
        if os.path.exists(data_path):
            with open(data_path, "rb") as fh:
                ns.update(pickle.load(fh))
        res = _execute(spec, ns)
    except BaseException as exc:
        res = {"exit_cause": "error", "detail": f"runner failed in spawned child: {exc!r}"}
    _finish_child(spec, res)


# ---------------------------------------------------------------- kernel side


def _read_capped(path: str, cap: int) -> str:
    """Head and tail of the captured output when it is longer than `cap` bytes."""
    try:
        size = os.path.getsize(path)
        with open(path, "rb") as fh:
            if size <= cap:
                return fh.read().decode("utf-8", "replace")
            head = fh.read(cap // 2)
            fh.seek(size - cap // 2)
            tail = fh.read()
    except OSError:
        return ""
    skipped = size - len(head) - len(tail)
    return (
        head.decode("utf-8", "replace")
        + f"\n... [{skipped} bytes of output omitted] ...\n"
        + tail.decode("utf-8", "replace")
    )


def _group_size(pgid: int) -> int:
    """Processes in a process group (to spot fork bombs; RLIMIT_NPROC does not bind root)."""
    count = 0
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as fh:
                stat = fh.read()
        except OSError:
            continue
        fields = stat[stat.rfind(b")") + 2 :].split()
        if len(fields) > 2 and int(fields[2]) == pgid:
            count += 1
    return count


def _killpg(pgid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def _rss_kb() -> int:
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024
    except OSError:
        return 0


class _Node:
    """A running child, as the runner thread sees it."""

    def __init__(self, seq: int, spec: dict[str, Any], pid: int, base_rss_kb: int) -> None:
        self.seq, self.spec, self.pid, self.base_rss_kb = seq, spec, pid, base_rss_kb
        self.started = time.monotonic()
        self.deadline = self.started + float(spec["timeout_s"])
        self.killed_for: str | None = None
        self.kill_at: float | None = None
        self.pidfd = -1
        self.done_fd = -1
        self.reported = False


def _kernel() -> Any:
    """The ipykernel Kernel, if this is one (notices need its session and iopub socket)."""
    ipython = sys.modules.get("IPython")
    with contextlib.suppress(Exception):
        return getattr(ipython.get_ipython(), "kernel", None)  # type: ignore[union-attr]
    return None


def _launch_fork(spec: dict[str, Any], user_ns: dict[str, Any]) -> tuple[int, int, int]:
    """(pid, kernel RSS at fork in kB, read end of the child's "result written" pipe)."""
    controller = _controller()
    base = _rss_kb()
    parent = os.getpid()
    done_r, done_w = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - child
        os.close(done_r)
        _fork_child(spec, user_ns, parent, controller, done_w)
    os.close(done_w)
    os.set_blocking(done_r, False)
    with contextlib.suppress(OSError):
        os.setpgid(pid, pid)  # both sides set it, so a kill never misses the group
    return pid, base, done_r


def _launch_spawn(spec: dict[str, Any], user_ns: dict[str, Any]) -> tuple[int, int]:
    """Fresh interpreter: the named data variables go through a pickle in the node's folder."""
    data = {n: user_ns[n] for n in spec.get("data_names", []) if n in user_ns}
    try:
        import cloudpickle as pickler  # type: ignore[import-not-found]
    except ImportError:
        pickler = pickle  # type: ignore[assignment]
    with open(os.path.join(spec["workdir"], DATA_FILE), "wb") as fh:
        pickler.dump(data, fh)
    spec_path = os.path.join(spec["workdir"], SPEC_FILE)
    with open(spec_path, "w", encoding="utf-8") as fh:
        json.dump(spec, fh)
    boot = (
        f"exec(compile({_source() + chr(10) + 'spawn_main(SPEC)' + chr(10)!r}, "
        f"{FILENAME!r}, 'exec'), {{'__name__': '_aide_spawn', 'SPEC': {spec_path!r}}})"
    )
    env = dict(os.environ)
    env.update({var: str(spec["threads"]) for var in THREAD_VARS})
    actions = [
        (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
        (os.POSIX_SPAWN_OPEN, 1, spec["output_path"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644),
        (os.POSIX_SPAWN_DUP2, 1, 2),
    ]
    pid = os.posix_spawn(
        sys.executable,
        [sys.executable, "-c", boot],
        env,
        file_actions=actions,
        setpgroup=0,
        setsigdef=(signal.SIGTERM, signal.SIGCHLD, signal.SIGPIPE),
    )
    return pid, 0, -1


def _describe_end(node: _Node, status: int) -> dict[str, Any]:
    """Cause of a child that left no result file: our kill, a signal, or an early exit."""
    timeout = node.spec["timeout_s"]
    if node.killed_for == "timeout":
        return {"exit_cause": "timeout", "detail": f"timed out after {timeout:g} s"}
    if node.killed_for == "procs":
        return {
            "exit_cause": "signal",
            "exit_code": -signal.SIGKILL,
            "detail": f"killed: more than {node.spec['max_procs']} processes (fork bomb?)",
        }
    if node.killed_for == "cancel":
        return {"exit_cause": "signal", "exit_code": -signal.SIGKILL, "detail": "cancelled"}
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        try:
            name = signal.Signals(sig).name
        except ValueError:
            name = f"signal {sig}"
        detail = f"killed by {name}"
        if sig == signal.SIGKILL:
            detail += " (out of memory?)"
        return {"exit_cause": "signal", "exit_code": -sig, "detail": detail}
    code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else None
    return {
        "exit_cause": "exit",
        "exit_code": code,
        "detail": f"process exited with code {code} before the script finished",
    }


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
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_r, False)
        self._last_beat = 0.0
        self._last_proc_check = 0.0
        self._thread = threading.Thread(target=self._loop, name="aide-runner", daemon=True)
        self._thread.start()

    # -- operations, called on the kernel's shell through `call`; each takes milliseconds
    def op_hello(self, ns: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            return {
                "pid_mode": default_mode(),
                "running": sorted(self._running),
                "queued": [q[0] for q in self._queue],
                "done": sorted(self._results),
                "cpus": os.cpu_count() or 1,
            }

    def op_launch(
        self, ns: dict[str, Any], spec: dict[str, Any], forget: list[int] | None = None
    ) -> dict[str, Any]:
        self.op_forget(ns, forget or [])
        kernel = _kernel()
        with contextlib.suppress(Exception):
            self._parent = kernel.get_parent() if kernel is not None else None
        workdir = os.path.abspath(spec["workdir"])
        os.makedirs(workdir, exist_ok=True)
        spec = dict(
            spec,
            workdir=workdir,
            output_path=os.path.join(workdir, OUTPUT_FILE),
            result_path=os.path.join(workdir, RESULT_FILE),
        )
        if spec.get("mode", "auto") == "auto":
            spec["mode"] = default_mode()
        with self._lock:
            self._seq += 1
            seq = self._seq
            self._queue.append((seq, spec, ns))
        os.write(self._wake_w, b"x")
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

    def op_cancel(self, ns: dict[str, Any], seq: int) -> dict[str, Any]:
        with self._lock:
            node = self._running.get(seq)
            if node is not None and node.killed_for is None:
                node.killed_for = "cancel"
                _killpg(node.pid, signal.SIGKILL)
        return {"cancelled": node is not None}

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

    # -- the permanent thread: forks, watches, reaps, notifies
    def _loop(self) -> None:
        while True:
            try:
                self._tick()
            except Exception:  # the thread must outlive any one bad node
                import logging

                logging.getLogger("aide_runner").exception("runner thread error")
                time.sleep(0.1)

    def _tick(self) -> None:
        fds = (
            [self._wake_r]
            + [n.pidfd for n in self._running.values() if n.pidfd >= 0]
            + [n.done_fd for n in self._running.values() if n.done_fd >= 0]
        )
        timeout = HEARTBEAT_S
        if self._running:
            timeout = PROC_CHECK_S if any(n.pidfd < 0 for n in self._running.values()) else 0.1
        select.select(fds, [], [], timeout)
        with contextlib.suppress(BlockingIOError):
            os.read(self._wake_r, 4096)
        with self._lock:
            queue, self._queue = self._queue, []
        for seq, spec, ns in queue:
            self._start(seq, spec, ns)
        now = time.monotonic()
        check_procs = now - self._last_proc_check >= PROC_CHECK_S and os.path.isdir("/proc")
        if check_procs:
            self._last_proc_check = now
        for node in list(self._running.values()):
            self._watch(node, now, check_procs)
        if self._running and now - self._last_beat >= HEARTBEAT_S:
            self._last_beat = now
            self._notify({"event": "alive", "running": sorted(self._running)})

    def _start(self, seq: int, spec: dict[str, Any], ns: dict[str, Any]) -> None:
        try:
            launch = _launch_spawn if spec["mode"] == "spawn" else _launch_fork
            pid, base, done_fd = launch(spec, ns)
        except Exception as exc:
            self._finish(
                seq,
                spec,
                {"exit_cause": "error", "detail": f"launch failed: {exc!r}", "output": ""},
            )
            return
        node = _Node(seq, spec, pid, base)
        node.done_fd = done_fd
        with contextlib.suppress(AttributeError, OSError):
            node.pidfd = os.pidfd_open(pid)
        with self._lock:
            self._running[seq] = node

    def _watch(self, node: _Node, now: float, check_procs: bool) -> None:
        if node.done_fd >= 0 and not node.reported:
            with contextlib.suppress(BlockingIOError):
                if os.read(node.done_fd, 1):  # result written; the child is busy exiting
                    self._collect(node, None, None)
        info = os.waitid(os.P_PID, node.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
        if info is not None and info.si_pid == node.pid:
            _killpg(node.pid, signal.SIGKILL)  # leftovers; the zombie leader still holds the pgid
            _, status, usage = os.wait4(node.pid, 0)
            for fd in (node.pidfd, node.done_fd):
                if fd >= 0:
                    os.close(fd)
            with self._lock:
                self._running.pop(node.seq, None)
            if not node.reported:
                self._collect(node, status, usage)
            return
        if node.kill_at is not None and now >= node.kill_at:
            _killpg(node.pid, signal.SIGKILL)
        elif node.killed_for is None and now >= node.deadline:
            node.killed_for = "timeout"
            node.kill_at = now + TERM_GRACE_S
            _killpg(node.pid, signal.SIGTERM)
        elif (
            check_procs
            and node.killed_for is None
            and _group_size(node.pid) > int(node.spec["max_procs"])
        ):
            node.killed_for = "procs"
            node.kill_at = now
            _killpg(node.pid, signal.SIGKILL)

    def _collect(self, node: _Node, status: int | None, usage: Any) -> None:
        """Build and publish the result: early (from the child's own report) or at reaping."""
        node.reported = True
        spec = node.spec
        res: dict[str, Any] | None = None
        with contextlib.suppress(OSError, ValueError):
            with open(spec["result_path"], encoding="utf-8") as fh:
                res = json.load(fh)
            os.unlink(spec["result_path"])
        wall = time.monotonic() - node.started
        if res is None:
            res = _describe_end(node, status if status is not None else 0)
            res["exec_time_s"] = wall
        peak = res.pop("peak_rss_kb", 0) or 0
        if usage is not None:
            peak = max(peak, usage.ru_maxrss)
        res["peak_mem_mb"] = round(max(0, peak - node.base_rss_kb) / 1024, 1)
        res["output"] = _read_capped(spec["output_path"], int(spec["max_output_bytes"]))
        res["wall_s"] = wall
        res["mode"] = spec["mode"]
        for name in (DATA_FILE, SPEC_FILE):
            with contextlib.suppress(OSError):
                os.unlink(os.path.join(spec["workdir"], name))
        self._finish(node.seq, spec, res)

    def _finish(self, seq: int, spec: dict[str, Any], res: dict[str, Any]) -> None:
        res["node_id"] = spec.get("node_id")
        res["seq"] = seq
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
        kernel = _kernel()
        if kernel is None:
            return
        content = dict(content, instance=self.instance)
        with contextlib.suppress(Exception):
            kernel.session.send(
                kernel.iopub_socket,
                NOTICE_TYPE,
                content,
                parent=self._parent or {},
                ident=b"aide_runner",
            )


def variables(ns: dict[str, Any]) -> list[dict[str, Any]]:
    """The user's data-like globals: name, qualified type, shape (for validating --data)."""
    import types

    out = []
    for name, value in list(ns.items()):
        if name.startswith("_") or name in IPYTHON_NAMES:
            continue
        if isinstance(
            value,
            (
                type,
                types.ModuleType,
                types.FunctionType,
                types.BuiltinFunctionType,
                types.MethodType,
            ),
        ):
            continue
        cls = type(value)
        shape = getattr(value, "shape", None)
        if isinstance(shape, tuple):
            shape = [int(x) if isinstance(x, int) else str(x) for x in shape]
        elif isinstance(value, (list, dict, tuple, set, str)):
            shape = [len(value)]
        else:
            shape = None
        out.append({"name": name, "type": f"{cls.__module__}.{cls.__qualname__}", "shape": shape})
    return out


_RUNNER: Runner | None = None
_RUNNER_LOCK = threading.Lock()


class Reply:
    """JSON whose repr is the JSON itself, so a user_expression's text/plain needs no parsing."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text


def call(op: str, args_json: str, namespace: dict[str, Any]) -> Reply:
    """The one entry point the server uses (as a user_expression), JSON in and out."""
    global _RUNNER
    with _RUNNER_LOCK:
        if _RUNNER is None:
            _RUNNER = Runner()
        runner = _RUNNER
    out = getattr(runner, "op_" + op)(namespace, **json.loads(args_json))
    out["instance"] = runner.instance
    return Reply(json.dumps(out, default=str))
