"""What every part of the runner shares: file names, capabilities, the node environment, redaction.

Standard library only (the runner is shipped into kernels as text). Modes are chosen by what
this Python offers, not by platform names: fork needs `os.fork`; the copy-on-write fast path is
the default only where `os.fork`, `os.waitid` and `resource` all exist and forking a threaded
process is safe (not macOS, whose system libraries may hold locks across fork).
"""

from __future__ import annotations

import contextlib
import fnmatch
import itertools
import os
import sys
from typing import Any

FILENAME = "<aide_runner>"
OUTPUT_FILE = ".aide_output.log"
RESULT_FILE = ".aide_result.json"
READY_FILE = ".aide_ready"
CODE_FILE = "node.py"
NOTICE_TYPE = "aide_runner_notice"
THREAD_VARS = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
)
IPYTHON_NAMES = ("In", "Out", "get_ipython", "exit", "quit", "_ih", "_oh", "_dh")
SECRET_PATTERNS = ("*KEY*", "*TOKEN*", "*SECRET*", "*PASSWORD*")
MIN_SECRET_LEN = 6  # shorter values would mask ordinary words in the output
MASK = "***"

try:
    import resource
except ImportError:  # Windows, or a kernel that blocks it
    resource = None  # type: ignore[assignment]


def can_fork() -> bool:
    return hasattr(os, "fork")


def fork_is_default() -> bool:
    """The fast path: fork, waitid and resource present, forking a threaded process safe."""
    if not (can_fork() and hasattr(os, "waitid") and resource is not None):
        return False
    if sys.platform == "darwin":  # the thread-safety rule: forking a threaded process is unsafe
        return False
    torch = sys.modules.get("torch")
    with contextlib.suppress(Exception):
        if torch is not None and torch.cuda.is_initialized():
            return False  # a forked CUDA context is unusable
    return True


def choose_mode(requested: str) -> str:
    """auto -> fork or spawn by capability; fork without os.fork falls back to spawn."""
    if requested == "spawn":
        return "spawn"
    if requested == "fork":
        return "fork" if can_fork() else "spawn"
    return "fork" if fork_is_default() else "spawn"


def default_mode() -> str:
    return choose_mode("auto")


def capabilities() -> dict[str, Any]:
    return {
        "fork": can_fork(),
        "waitid": hasattr(os, "waitid"),
        "resource": resource is not None,
        "pidfd": hasattr(os, "pidfd_open"),
        "platform": sys.platform,
        "default_mode": default_mode(),
    }


# ---------------------------------------------------------------- secrets


def is_secret_name(name: str) -> bool:
    upper = name.upper()
    return any(fnmatch.fnmatchcase(upper, pat) for pat in SECRET_PATTERNS)


def secret_env_names(
    environ: Any, allow: list[str] | tuple[str, ...] = (), drop: list[str] | tuple[str, ...] = ()
) -> list[str]:
    """Variables a node must not see: secret-looking names and `drop`, minus `allow`."""
    allowed = set(allow)
    return [
        name
        for name in list(environ)
        if name not in allowed and (name in drop or is_secret_name(name))
    ]


def node_env(
    environ: Any, allow: list[str] | tuple[str, ...] = (), drop: list[str] | tuple[str, ...] = ()
) -> dict[str, str]:
    """A copy of `environ` without the secrets (for a fresh interpreter)."""
    hidden = set(secret_env_names(environ, allow, drop))
    return {k: v for k, v in environ.items() if k not in hidden}


def scrub_environ(
    allow: list[str] | tuple[str, ...] = (), drop: list[str] | tuple[str, ...] = ()
) -> None:
    """Remove the secrets from this process's environment (a forked child, before node code).

    `os.environ.pop` also calls unsetenv, so C code and subprocesses do not see them either."""
    for name in secret_env_names(os.environ, allow, drop):
        os.environ.pop(name, None)
    environb = getattr(os, "environb", None)
    if environb is not None:
        for raw in list(environb):
            name = raw.decode("utf-8", "replace")
            if name not in allow and (name in drop or is_secret_name(name)):
                environb.pop(raw, None)


def secret_values(
    environ: Any, allow: list[str] | tuple[str, ...] = (), drop: list[str] | tuple[str, ...] = ()
) -> list[str]:
    """The values to mask in node output, longest first (so a prefix never masks half a key)."""
    values = {
        str(environ.get(name, ""))
        for name in secret_env_names(environ, allow, drop)
        if len(str(environ.get(name, ""))) >= MIN_SECRET_LEN
    }
    return sorted(values, key=len, reverse=True)


def redact(text: str, secrets: list[str]) -> str:
    for value in secrets:
        if value and value in text:
            text = text.replace(value, MASK)
    return text


def redact_result(res: dict[str, Any], secrets: list[str]) -> dict[str, Any]:
    for key in ("output", "exc_traceback", "detail"):
        if isinstance(res.get(key), str):
            res[key] = redact(res[key], secrets)
    return res


# ---------------------------------------------------------------- small helpers


def read_capped(path: str, cap: int) -> str:
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


def kernel() -> Any:
    """The ipykernel Kernel, if this is one (notices need its session and iopub socket)."""
    ipython = sys.modules.get("IPython")
    with contextlib.suppress(Exception):
        return getattr(ipython.get_ipython(), "kernel", None)  # type: ignore[union-attr]
    return None


def harness_module(spec: dict[str, Any]) -> tuple[Any, str] | None:
    """(module, key) of the launch spec's harness hook, or None (see docs/executor.md)."""
    harness = spec.get("harness")
    if not harness:
        return None
    return sys.modules[harness["module"]], str(harness.get("key", ""))


def package_sources(pkg: Any) -> list[list[str]]:
    """[[part, text], ...] of a shipped package (its `PARTS`, in install order): the shipped
    text, or the files when it was imported from them."""
    out = []
    for part in pkg.PARTS:
        mod = pkg if part == "__init__" else getattr(pkg, part)
        text = getattr(mod, "_SOURCE", None)
        if text is None:
            path = os.path.join(os.path.dirname(pkg.__file__), f"{part}.py")
            with open(path, encoding="utf-8") as fh:
                text = fh.read()
        out.append([part, text])
    return out


def shipped_text(mod: Any) -> str | list[list[str]] | None:
    """What a fresh interpreter needs to install `mod` again: a package's parts, else the
    module's text (None when it has none)."""
    if hasattr(mod, "PARTS"):
        return package_sources(mod)
    return getattr(mod, "_SOURCE", None)


def variables(ns: dict[str, Any]) -> list[dict[str, Any]]:
    """The user's data-like globals: name, qualified type, shape (for validating --data) and, for
    tables, column names (the form's target picker)."""
    import types

    skip = (type, types.ModuleType, types.FunctionType, types.BuiltinFunctionType, types.MethodType)
    out = []
    for name, value in list(ns.items()):
        if name.startswith("_") or name in IPYTHON_NAMES or isinstance(value, skip):
            continue
        cls = type(value)
        shape = getattr(value, "shape", None)
        if isinstance(shape, tuple):
            shape = [int(x) if isinstance(x, int) else str(x) for x in shape]
        elif isinstance(value, (list, dict, tuple, set, str)):
            shape = [len(value)]
        else:
            shape = None
        item = {"name": name, "type": f"{cls.__module__}.{cls.__qualname__}", "shape": shape}
        columns = frame_columns(value)
        if columns is not None:
            item["columns"] = columns
        out.append(item)
    return out


def frame_columns(value: Any, limit: int = 500) -> list[str] | None:
    """A table's column names (pandas, polars, pyarrow...: a `columns` of names) for the target
    picker, at most `limit`; None for anything else. Reads names only, never the data."""
    columns = getattr(value, "columns", None)
    if columns is None or isinstance(value, type) or not hasattr(value, "shape"):
        return None
    try:
        names = [str(c) for c in itertools.islice(columns, limit)]
    except Exception:  # an object whose `columns` is not a sequence of names
        return None
    return names
