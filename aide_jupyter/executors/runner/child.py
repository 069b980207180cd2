"""The node's side of the runner: set up a child process and run the node's code in it.

Shared by the forked child (a copy-on-write image of the kernel) and the portable child (a fresh
interpreter). Standard library only; threadpoolctl is used when importable.
"""

from __future__ import annotations

import contextlib
import json
import linecache
import os
import sys
import time
import traceback
from typing import Any

from .common import CODE_FILE, FILENAME, THREAD_VARS, harness_module, resource

# a threadpoolctl controller, the number of extension modules and of modules it was made for
_CONTROLLER: list[Any] = [None, -1, -1]


def _extension_modules() -> int:
    """How many compiled extension modules are loaded (only they bring BLAS/OpenMP along)."""
    count = 0
    for mod in list(sys.modules.values()):
        path = getattr(mod, "__file__", None) or ""
        if path.endswith((".so", ".pyd", ".dylib")):
            count += 1
    return count


def controller() -> Any:
    """Scan the loaded BLAS/OpenMP libraries in the kernel (30-100 ms), not in every child.

    Rescanned only when the kernel loaded a new compiled extension, which may have brought a
    library: a pure-Python import between nodes must not put a scan on the launch path."""
    if _CONTROLLER[2] == len(sys.modules):
        return _CONTROLLER[0]
    _CONTROLLER[2] = len(sys.modules)
    signature = _extension_modules()
    if _CONTROLLER[1] != signature:
        _CONTROLLER[1] = signature
        try:
            import threadpoolctl

            _CONTROLLER[0] = threadpoolctl.ThreadpoolController()
        except Exception:  # not installed, or a library it cannot handle
            _CONTROLLER[0] = None
    return _CONTROLLER[0]


def limit_threads(threads: int, openmp_one: bool, ctl: Any = None) -> None:
    """Cap BLAS threads (no oversubscription) and OpenMP (a forked libgomp pool hangs).

    Only pools larger than their cap are touched: setting OpenBLAS's thread count in a forked child
    restarts its (spinning) worker threads, which made a small fit 3-5x slower even when the count
    did not change. The child exits after its node, so nothing is restored."""
    for var in THREAD_VARS:
        os.environ[var] = str(threads)
    if openmp_one:
        os.environ["OMP_NUM_THREADS"] = "1"
    for lib in getattr(ctl, "lib_controllers", ()):
        cap = 1 if (openmp_one and lib.user_api == "openmp") else threads
        with contextlib.suppress(Exception):
            if lib.num_threads > cap:
                lib.set_num_threads(cap)


def _vm_bytes() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


def limit_memory(limit_mb: int | None) -> None:
    """RLIMIT_AS on top of what the process already maps (the copy-on-write snapshot is shared)."""
    if not limit_mb or resource is None:
        return
    try:
        base = _vm_bytes()
    except (OSError, ValueError, AttributeError):
        base = 0
    cap = base + int(limit_mb) * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))


def rss_kb() -> int:
    """This process's resident memory in kB (Linux /proc; 0 where unknown)."""
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024
    except (OSError, ValueError, AttributeError):
        return 0


def peak_rss_kb() -> int:
    if resource is None:
        return 0
    peak = int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
    return peak // 1024 if sys.platform == "darwin" else peak  # macOS reports bytes


def redirect_std(out_path: str) -> None:
    """fd-level capture (C code, subprocesses) plus new sys.stdout/err, else prints go to iopub."""
    out = os.open(out_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(out, 1)
    os.dup2(out, 2)
    os.close(out)
    os.close(null)
    new_std_streams()


def new_std_streams() -> None:
    sys.stdin = open(0, closefd=False)  # noqa: SIM115
    sys.stdout = open(1, "w", buffering=1, closefd=False, errors="backslashreplace")  # noqa: SIM115
    sys.stderr = open(2, "w", buffering=1, closefd=False, errors="backslashreplace")  # noqa: SIM115
    sys.__stdout__, sys.__stderr__, sys.__stdin__ = sys.stdout, sys.stderr, sys.stdin


def format_exc(exc: BaseException) -> str:
    """Traceback without the runner's own frames."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename == FILENAME:
        tb = tb.tb_next
    return "".join(traceback.format_exception(type(exc), exc, tb))


def _error(what: str, exc: BaseException) -> str:
    return f"{what}: {type(exc).__name__}: {exc}"


def execute(spec: dict[str, Any], namespace: dict[str, Any]) -> dict[str, Any]:
    """Run the node's code in `namespace` (harness hooks around it); never raises."""
    if spec.get("invoke"):
        return _invoke(spec["invoke"], namespace)
    code_path = os.path.join(spec["workdir"], CODE_FILE)
    source = spec["code"]
    with contextlib.suppress(OSError), open(code_path, "w", encoding="utf-8") as fh:
        fh.write(source)
    linecache.cache[code_path] = (len(source), None, source.splitlines(True), code_path)
    res: dict[str, Any] = {"exit_cause": "ok"}
    hook = harness_module(spec)
    if hook is not None:
        try:
            namespace = hook[0].prepare_child(namespace, hook[1])
        except BaseException as exc:
            return {"exit_cause": "error", "detail": _error("harness prepare_child failed", exc)}
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
            exc_traceback=format_exc(exc),
            detail="MemoryError (over the memory limit?)",
        )
    except BaseException as exc:
        res.update(
            exit_cause="exception", exc_type=type(exc).__name__, exc_traceback=format_exc(exc)
        )
    res["exec_time_s"] = time.perf_counter() - start
    if hook is not None and res["exit_cause"] == "ok":
        try:
            res["harness"] = hook[0].after_exec(namespace, hook[1], spec["workdir"])
        except BaseException as exc:
            res["harness"] = {"error": _error("harness after_exec failed", exc)}
    return res


def _invoke(inv: dict[str, Any], namespace: dict[str, Any]) -> dict[str, Any]:
    """Call a shipped module's function (the data preview) instead of node code."""
    start = time.perf_counter()
    try:
        fn = getattr(sys.modules[inv["module"]], inv["func"])
        args = list(inv.get("args", []))
        value = fn(namespace, *args) if inv.get("pass_namespace") else fn(*args)
        res: dict[str, Any] = {"exit_cause": "ok", "value": value}
    except MemoryError as exc:
        res = {"exit_cause": "memory", "exc_type": "MemoryError", "detail": format_exc(exc)}
    except BaseException as exc:
        res = {"exit_cause": "exception", "exc_type": type(exc).__name__}
        res["exc_traceback"] = format_exc(exc)
    res["exec_time_s"] = time.perf_counter() - start
    return res


def user_namespace(user_ns: dict[str, Any], workdir: str) -> dict[str, Any]:
    """A shallow copy of the user's globals without IPython's own names."""
    from .common import IPYTHON_NAMES

    ns = {k: v for k, v in user_ns.items() if k not in IPYTHON_NAMES}
    ns["__name__"] = "__main__"
    ns["__file__"] = os.path.join(workdir, CODE_FILE)
    return ns


def finish_child(spec: dict[str, Any], res: dict[str, Any], done_fd: int = -1) -> None:
    """Write the result file, tell the runner (before the slow exit of a big process), leave
    without running any inherited cleanup."""
    with contextlib.suppress(BaseException):
        sys.stdout.flush()
        sys.stderr.flush()
    try:
        res["peak_rss_kb"] = peak_rss_kb()
        res.setdefault("timing", {})["child_done"] = time.time()
        tmp = spec["result_path"] + ".tmp"
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump(res, fh, default=str)
        os.replace(tmp, spec["result_path"])
        if done_fd >= 0:
            os.write(done_fd, b"d")
    finally:
        os._exit(0)
