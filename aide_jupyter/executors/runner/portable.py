"""The portable path: each node in a fresh interpreter, fed a snapshot of the named data.

Works where the kernel's Python has no `os.fork`, `os.waitid` or `resource` (Windows; macOS by
default, where forking a threaded process is unsafe). The snapshot (pickle protocol 5, through
cloudpickle when importable) is made once per set of data objects and reused by every node of a
search. Supervision goes through psutil: the node's whole process tree, its resident memory
against the limit, the wall-clock timeout and the kill; no /proc scans, no waitid.
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import json
import os
import pickle
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from typing import Any

from . import child
from .common import FILENAME, READY_FILE, THREAD_VARS, node_env, shipped_text

SPEC_FILE = ".aide_spawn.json"
KEEP_SNAPSHOTS = 8

# Installs a shipped package (the runner, the holdout harness) from its parts' text (the same in
# the kernel and a fresh child):
# a package module `NAME` whose parts are `NAME.<part>`, so relative imports resolve.
PACKAGE_INSTALLER = """\
import sys, types
def _install(name, parts, filename):
    if name in sys.modules:
        return sys.modules[name]
    pkg = types.ModuleType(name)
    pkg.__path__ = []
    pkg.__package__ = name
    sys.modules[name] = pkg
    try:
        for part, src in parts:
            if part == "__init__":
                mod = pkg
            else:
                mod = types.ModuleType(name + "." + part)
                mod.__package__ = name
                sys.modules[mod.__name__] = mod
                setattr(pkg, part, mod)
            mod._SOURCE = src
            exec(compile(src, filename, "exec"), mod.__dict__)
    except BaseException:
        for key in [k for k in sys.modules if k == name or k.startswith(name + ".")]:
            del sys.modules[key]
        raise
    return pkg
"""

_BOOT = (
    "import json, sys\n"
    "exec(INSTALLER)\n"
    "with open(sys.argv[1], encoding='utf-8') as fh:\n"
    "    d = json.load(fh)\n"
    "_install(d['name'], d['parts'], d['filename']).portable.portable_main(sys.argv[2])\n"
)

_LOCK = threading.Lock()
_SNAPSHOTS: dict[str, str] = {}  # key -> path, oldest first
_DIR: list[str] = []


def work_dir() -> str:
    """This kernel's folder for snapshots and the runner's text (removed at kernel exit)."""
    if not _DIR:
        _DIR.append(tempfile.mkdtemp(prefix="aide-runner-"))
        atexit.register(shutil.rmtree, _DIR[0], True)
    return _DIR[0]


def _pickler() -> Any:
    try:
        import cloudpickle  # type: ignore[import-not-found]

        return cloudpickle
    except ImportError:
        return pickle


def snapshot(spec: dict[str, Any], user_ns: dict[str, Any]) -> str:
    """The snapshot file of the spec's named data (and harness extra); made once, then reused.

    Keyed by the names and the identity of the objects bound to them, so a new frame bound to
    the same name gets a new snapshot, while every node of a search shares one."""
    names = [n for n in spec.get("data_names", []) if n in user_ns]
    harness = spec.get("harness") or {}
    ident = [spec.get("snapshot_key", ""), harness.get("module", ""), harness.get("key", "")]
    ident += [f"{n}:{id(user_ns[n])}" for n in names]
    key = hashlib.sha256("\n".join(ident).encode()).hexdigest()[:16]
    with _LOCK:
        path = _SNAPSHOTS.get(key)
        if path is not None and os.path.exists(path):
            return path
        payload: dict[str, Any] = {"data": {n: user_ns[n] for n in names}, "harness": None}
        if harness:
            mod = sys.modules[harness["module"]]
            extra = mod.snapshot_extra(harness.get("key", ""))
            payload["harness"] = {
                "module": harness["module"],
                "key": harness.get("key", ""),
                "source": shipped_text(mod),
                "extra": extra,
            }
            if hasattr(mod, "snapshot_data"):  # e.g. frames become their training rows only
                payload["data"] = mod.snapshot_data(harness.get("key", ""), payload["data"])
        path = os.path.join(work_dir(), f"snapshot-{key}.pkl")
        tmp = path + ".tmp"
        with open(tmp, "wb") as fh:
            _pickler().dump(payload, fh, protocol=5)
        os.replace(tmp, path)
        _SNAPSHOTS[key] = path
        while len(_SNAPSHOTS) > KEEP_SNAPSHOTS:
            old = _SNAPSHOTS.pop(next(iter(_SNAPSHOTS)))
            with contextlib.suppress(OSError):
                os.unlink(old)
        return path


def _sources_file(package: Any) -> str:
    """The runner's own text as a file for fresh interpreters (written once per kernel)."""
    parts = package.sources()
    digest = hashlib.sha256(json.dumps(parts).encode()).hexdigest()[:12]
    path = os.path.join(work_dir(), f"runner-{digest}.json")
    if not os.path.exists(path):
        tmp = path + ".tmp"
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump(
                {"name": f"_aide_runner_child_{digest}", "parts": parts, "filename": FILENAME}, fh
            )
        os.replace(tmp, path)
    return path


def _import_psutil() -> Any:
    try:
        import psutil

        return psutil
    except ImportError:
        return None


class PortableProc:
    """A node in a fresh interpreter, supervised through psutil (whole process tree)."""

    mode = "spawn"
    needs_polling = True

    def __init__(self, spec: dict[str, Any], user_ns: dict[str, Any], package: Any) -> None:
        snap = snapshot(spec, user_ns)
        spec_path = os.path.join(spec["workdir"], SPEC_FILE)
        extra: dict[str, Any] = {"snapshot_path": snap, "parent_pid": os.getpid()}
        if spec.get("invoke"):  # the fresh interpreter re-installs the invoked module's text
            mod = sys.modules[spec["invoke"]["module"]]
            extra["invoke"] = dict(spec["invoke"], source=shipped_text(mod))
        with open(spec_path, "w", encoding="utf-8") as fh:
            json.dump(dict(spec, **extra), fh)
        env = node_env(os.environ, spec.get("env_allow", ()), spec.get("env_drop", ()))
        env.update({var: str(spec["threads"]) for var in THREAD_VARS})
        env["PYTHONUNBUFFERED"] = "1"
        kwargs: dict[str, Any] = {}
        if os.name == "posix":
            kwargs["start_new_session"] = True  # own group: a kernel interrupt misses it
        else:
            kwargs["creationflags"] = getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0)
        with open(spec["output_path"], "wb") as out:
            self.popen = subprocess.Popen(
                [
                    sys.executable,
                    "-c",
                    f"INSTALLER = {PACKAGE_INSTALLER!r}\n" + _BOOT,
                    _sources_file(package),
                    spec_path,
                ],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=spec["workdir"],
                env=env,
                close_fds=True,
                **kwargs,
            )
        self.pid = self.popen.pid
        self.ready_path = os.path.join(spec["workdir"], READY_FILE)
        self.base_rss_kb = 0
        self._based = False
        self.peak_kb = 0
        self._psutil = _import_psutil()
        self._known: dict[int, Any] = {}
        if self._psutil is not None:
            with contextlib.suppress(Exception):
                self._known[self.pid] = self._psutil.Process(self.pid)

    def wait_fds(self) -> list[int]:
        return []

    def result_ready(self) -> bool:
        return False  # the result is read once the interpreter has exited

    def _tree(self) -> list[Any]:
        """The node's live processes (root first); remembers them so orphans are killed too."""
        root = self._known.get(self.pid)
        if root is None:
            return []
        found = [root]
        with contextlib.suppress(Exception):
            found += root.children(recursive=True)
        for proc in found:
            self._known.setdefault(proc.pid, proc)
        return found

    def reap(self) -> tuple[int | None, int | None, int] | None:
        code = self.popen.poll()
        if code is None:
            return None
        self.kill()  # leftovers the node started
        sig = -code if code < 0 else None
        return sig, (None if sig else code), self.peak_kb

    def _signal_all(self, kill: bool) -> None:
        procs = list(self._known.values()) if self._psutil is not None else []
        with contextlib.suppress(Exception):
            procs = self._tree() + [p for p in procs if p.pid != self.pid]
        for proc in procs:
            with contextlib.suppress(Exception):
                proc.kill() if kill else proc.terminate()
        if os.name == "posix" and hasattr(os, "killpg"):
            with contextlib.suppress(OSError):
                os.killpg(self.pid, signal.SIGKILL if kill else signal.SIGTERM)
        if not procs and self.popen.poll() is None:
            with contextlib.suppress(OSError):
                self.popen.kill() if kill else self.popen.terminate()

    def terminate(self) -> None:
        self._signal_all(kill=False)

    def kill(self) -> None:
        self._signal_all(kill=True)

    def over_limits(self, max_procs: int, memory_limit_mb: int | None) -> str | None:
        """'procs' past max_procs, 'memory' when the tree's RSS grew past the limit."""
        if self._psutil is None:
            return None
        tree = self._tree()
        rss = 0
        for proc in tree:
            with contextlib.suppress(Exception):
                rss += proc.memory_info().rss // 1024
        self.peak_kb = max(self.peak_kb, rss)
        if not self._based and os.path.exists(self.ready_path):
            self._based = True  # the data is loaded: the limit is on what the node adds
            with contextlib.suppress(OSError, ValueError), open(self.ready_path) as fh:
                self.base_rss_kb = int(fh.read() or 0)
            self.base_rss_kb = self.base_rss_kb or rss
        if len(tree) > max_procs:
            return "procs"
        if memory_limit_mb and self._based and rss - self.base_rss_kb > memory_limit_mb * 1024:
            return "memory"
        return None

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.popen.wait(0)


def portable_main(spec_path: str) -> None:
    """Entry point of the fresh interpreter: load the snapshot, run the node, report."""
    with open(spec_path, encoding="utf-8") as fh:
        spec = json.load(fh)
    res: dict[str, Any] = {"exit_cause": "error"}
    _watch_parent(int(spec.get("parent_pid") or 0))
    try:
        with contextlib.suppress(ValueError, AttributeError):
            signal.signal(signal.SIGINT, signal.SIG_IGN)
        child.new_std_streams()
        os.chdir(spec["workdir"])
        with open(spec["snapshot_path"], "rb") as fh:
            payload = pickle.load(fh)
        harness = payload.get("harness")
        if harness:
            _restore_harness(harness)
        if spec.get("invoke"):
            _install_text(spec["invoke"]["module"], spec["invoke"].get("source"))
        ns: dict[str, Any] = {"__name__": "__main__", "__builtins__": __builtins__}
        ns["__file__"] = os.path.join(spec["workdir"], "node.py")
        ns.update(payload["data"])
        with open(os.path.join(spec["workdir"], READY_FILE), "w") as fh:
            fh.write(str(child.rss_kb()))
        res = child.execute(spec, ns)
    except BaseException as exc:
        res = {"exit_cause": "error", "detail": f"runner failed in the fresh interpreter: {exc!r}"}
    child.finish_child(spec, res)


def _watch_parent(parent_pid: int) -> None:
    """End this node when the kernel that started it is gone (no PR_SET_PDEATHSIG here: the
    node runs in its own session, and the kernel may be on a platform without it)."""
    if parent_pid <= 0:
        return

    def watch() -> None:
        import time

        psutil = _import_psutil()
        while True:
            time.sleep(1.0)
            if os.name == "posix":
                gone = os.getppid() != parent_pid
            else:
                gone = psutil is not None and not psutil.pid_exists(parent_pid)
            if gone:
                os._exit(70)

    threading.Thread(target=watch, name="aide-parent-watch", daemon=True).start()


def _restore_harness(harness: dict[str, Any]) -> None:
    """Install the harness module from its text under the same name, then restore its state."""
    _install_text(harness["module"], harness.get("source"))
    sys.modules[harness["module"]].restore_child(harness["key"], harness["extra"])


def _install_text(name: str, source: str | list[list[str]] | None) -> None:
    """A shipped module, from its text (a package: its parts), under its name in the kernel."""
    import types

    if name in sys.modules:
        return
    if not source:
        raise RuntimeError(f"module {name} has no _SOURCE to ship to a fresh interpreter")
    if isinstance(source, list):
        env: dict[str, Any] = {}
        exec(PACKAGE_INSTALLER, env)
        env["_install"](name, source, f"<{name}>")
        return
    mod = types.ModuleType(name)
    mod._SOURCE = source  # type: ignore[attr-defined]
    sys.modules[name] = mod
    exec(compile(source, f"<{name}>", "exec"), mod.__dict__)
