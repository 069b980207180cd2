"""The fork path: one copy-on-write child of the kernel per node, and its supervision.

The child sees the user's namespace for free and cannot change it. It is only used where
`os.fork` exists; `waitid` (peek at an exit without reaping, so leftovers are killed while the
zombie leader still holds the process group) and pidfds are used where present.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import time
from typing import Any

from . import child
from .common import scrub_environ


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


def _fork_child(
    spec: dict[str, Any], user_ns: dict[str, Any], parent_pid: int, ctl: Any, done_fd: int
) -> None:
    """Runs in the forked child; never returns."""
    res: dict[str, Any] = {"exit_cause": "error"}
    t_child = time.time()
    try:
        os.setpgid(0, 0)
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a kernel interrupt signals its group
        for sig in (signal.SIGTERM, signal.SIGCHLD, signal.SIGPIPE):
            signal.signal(sig, signal.SIG_DFL)
        if _LIBC:
            with contextlib.suppress(Exception):
                _LIBC[0].prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        if os.getppid() != parent_pid:
            os._exit(70)
        _close_inherited_sockets(keep={done_fd})
        child.redirect_std(spec["output_path"])
        scrub_environ(spec.get("env_allow", ()), spec.get("env_drop", ()))
        child.limit_threads(spec["threads"], openmp_one=True, ctl=ctl)
        child.limit_memory(spec.get("memory_limit_mb"))
        os.chdir(spec["workdir"])
        t_setup = time.time()
        res = child.execute(spec, child.user_namespace(user_ns, spec["workdir"]))
        res["timing"] = {"child": t_child, "setup": t_setup}
    except BaseException as exc:
        res = {"exit_cause": "error", "detail": f"runner failed in child: {exc!r}"}
    child.finish_child(spec, res, done_fd)


_LIBC: list[Any] = []  # libc through ctypes, loaded once in the kernel, not in every child


def _libc() -> None:
    if not _LIBC and sys.platform.startswith("linux"):
        with contextlib.suppress(Exception):
            import ctypes

            _LIBC.append(ctypes.CDLL(None, use_errno=True))


def _killpg(pgid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError, OSError):
        os.killpg(pgid, sig)


def _group_size(pgid: int) -> int:
    """Processes in a process group (to spot fork bombs; RLIMIT_NPROC does not bind root)."""
    count = 0
    try:
        names = os.listdir("/proc")
    except OSError:
        return 0
    for name in names:
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


class ForkProc:
    """A forked node as the runner thread supervises it (own process group, pid = pgid)."""

    mode = "fork"

    def __init__(self, spec: dict[str, Any], user_ns: dict[str, Any]) -> None:
        ctl = child.controller()
        _libc()
        self.base_rss_kb = child.rss_kb()
        parent = os.getpid()
        done_r, done_w = os.pipe()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - child
            os.close(done_r)
            _fork_child(spec, user_ns, parent, ctl, done_w)
        os.close(done_w)
        os.set_blocking(done_r, False)
        with contextlib.suppress(OSError):
            os.setpgid(pid, pid)  # both sides set it, so a kill never misses the group
        self.pid = pid
        self.done_fd = done_r
        self.pidfd = -1
        with contextlib.suppress(AttributeError, OSError):
            self.pidfd = os.pidfd_open(pid)
        self.peak_kb = 0

    def wait_fds(self) -> list[int]:
        return [fd for fd in (self.pidfd, self.done_fd) if fd >= 0]

    @property
    def needs_polling(self) -> bool:
        return self.pidfd < 0

    def result_ready(self) -> bool:
        """The child wrote its result and is busy exiting (a big process exits slowly)."""
        if self.done_fd < 0:
            return False
        with contextlib.suppress(BlockingIOError, OSError):
            return bool(os.read(self.done_fd, 1))
        return False

    def reap(self) -> tuple[int | None, int | None, int] | None:
        """(signal, exit code, peak RSS kB) once the child ended, else None. Kills leftovers."""
        if hasattr(os, "waitid"):
            info = os.waitid(os.P_PID, self.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
            if info is None or info.si_pid != self.pid:
                return None
            _killpg(self.pid, signal.SIGKILL)  # the zombie leader still holds the pgid
            _, status, usage = os.wait4(self.pid, 0)
        else:
            pid, status, usage = os.wait4(self.pid, os.WNOHANG)
            if pid == 0:
                return None
            _killpg(self.pid, signal.SIGKILL)  # leftovers keep the group alive
        self.close()
        peak = int(getattr(usage, "ru_maxrss", 0) or 0)
        if os.WIFSIGNALED(status):
            return os.WTERMSIG(status), None, peak
        return None, (os.WEXITSTATUS(status) if os.WIFEXITED(status) else None), peak

    def terminate(self) -> None:
        _killpg(self.pid, signal.SIGTERM)

    def kill(self) -> None:
        _killpg(self.pid, signal.SIGKILL)

    def over_limits(self, max_procs: int, memory_limit_mb: int | None) -> str | None:
        """'procs' when the group grew past max_procs (memory is bound by RLIMIT_AS)."""
        if os.path.isdir("/proc") and _group_size(self.pid) > max_procs:
            return "procs"
        return None

    def close(self) -> None:
        for name in ("pidfd", "done_fd"):
            fd = getattr(self, name)
            if fd >= 0:
                with contextlib.suppress(OSError):
                    os.close(fd)
                setattr(self, name, -1)
