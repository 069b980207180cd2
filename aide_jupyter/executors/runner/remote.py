"""Node folders on a kernel's own host, and the small files that travel back with a result.

A kernel behind a gateway runs on another machine: the server's run folder does not exist there.
Such nodes (spec `remote`) run in a temporary folder on the kernel's host; when the node ends,
the files it wrote that fit under the size cap (submission.csv first, then smaller files first)
come back base64-encoded in the result, the rest are listed by name and size, and the folder is
removed. Standard library only (shipped as text like the rest of the runner).
"""

from __future__ import annotations

import base64
import contextlib
import os
import shutil
import tempfile
from typing import Any

from .common import CODE_FILE

FIRST = ("submission.csv",)


def make_workdir(node_id: str) -> str:
    """A fresh folder in the kernel host's temp directory for one node."""
    safe = "".join(c for c in str(node_id) if c.isalnum() or c in "-_")[:32] or "node"
    return tempfile.mkdtemp(prefix=f"aide-{safe}-")


def _files(workdir: str) -> list[tuple[str, str, int]]:
    out = []
    for top, dirs, names in os.walk(workdir):
        dirs[:] = [d for d in dirs if not d.startswith(".") and d != "__pycache__"]
        for name in names:
            path = os.path.join(top, name)
            rel = os.path.relpath(path, workdir).replace(os.sep, "/")
            # the runner's own files (node.py, .aide_*) are not the node's artifacts
            if rel == CODE_FILE or name.startswith(".aide") or os.path.islink(path):
                continue
            with contextlib.suppress(OSError):
                out.append((rel, path, os.path.getsize(path)))
    return out


def collect(workdir: str, max_bytes: int) -> dict[str, Any]:
    """{artifacts: {relpath: base64}, artifacts_left: [{path, bytes}], remote_workdir}."""
    files = sorted(_files(workdir), key=lambda f: (f[0] not in FIRST, f[2], f[0]))
    taken: dict[str, str] = {}
    left: list[dict[str, Any]] = []
    used = 0
    for rel, path, size in files:
        if used + size > max_bytes:
            left.append({"path": rel, "bytes": size})
            continue
        try:
            with open(path, "rb") as fh:
                data = fh.read(max_bytes - used + 1)
        except OSError:
            continue
        if len(data) > max_bytes - used:  # grew while we read: leave it
            left.append({"path": rel, "bytes": len(data)})
            continue
        used += len(data)
        taken[rel] = base64.b64encode(data).decode("ascii")
    return {"artifacts": taken, "artifacts_left": left, "remote_workdir": workdir}


def finish(spec: dict[str, Any], res: dict[str, Any]) -> None:
    """For a remote node: add its small files to the result, then remove its folder."""
    remote = spec.get("remote")
    if not remote:
        return
    workdir = spec["workdir"]
    res.update(collect(workdir, int(remote.get("max_bytes", 0))))
    if not remote.get("keep"):
        shutil.rmtree(workdir, ignore_errors=True)
