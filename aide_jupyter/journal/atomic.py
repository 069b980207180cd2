"""Atomic file replacement: readers (and crashes) only ever see the old file or the new one."""

from __future__ import annotations

import contextlib
import logging
import os
import re
from collections.abc import Iterable
from pathlib import Path

log = logging.getLogger(__name__)

_TMP_RE = re.compile(r"^\.(?P<name>.+)\.(?P<pid>\d+)\.[0-9a-f]{8}\.tmp$")


def _tmp_name(path: Path) -> Path:
    return path.with_name(f".{path.name}.{os.getpid()}.{os.urandom(4).hex()}.tmp")


def atomic_write(path: str | os.PathLike[str], chunks: Iterable[str] | str | bytes) -> None:
    """Write `chunks` to a temp file beside `path`, fsync it, rename it over `path`, fsync the dir.

    The temp file lives in the same directory so the rename cannot cross filesystems.
    """
    target = Path(path)
    tmp = _tmp_name(target)
    if isinstance(chunks, (str, bytes)):
        chunks = [chunks]  # type: ignore[list-item]
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        with os.fdopen(fd, "wb", buffering=1 << 20) as fh:
            for chunk in chunks:
                fh.write(chunk if isinstance(chunk, bytes) else chunk.encode("utf-8"))
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    _fsync_dir(target.parent)


def _fsync_dir(directory: Path) -> None:
    try:
        dfd = os.open(directory, os.O_RDONLY)
    except OSError:  # e.g. platforms that cannot open directories; the rename already happened
        log.debug("cannot open %s to fsync it", directory)
        return
    try:
        os.fsync(dfd)
    finally:
        os.close(dfd)


def remove_stale_temps(directory: str | os.PathLike[str]) -> list[Path]:
    """Delete temp files left by writers that were killed mid-write (their pid is gone)."""
    removed: list[Path] = []
    for entry in Path(directory).glob(".*.tmp"):
        match = _TMP_RE.match(entry.name)
        if not match:
            continue
        pid = int(match["pid"])
        if pid == os.getpid() or _alive(pid):
            continue
        with contextlib.suppress(FileNotFoundError):
            entry.unlink()
            removed.append(entry)
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
