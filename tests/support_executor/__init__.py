"""Helpers for the executor tests: a user's kernel with data, and a "frontend" client."""

from __future__ import annotations

import contextlib
import json
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.manager import KernelManager
from jupyter_client.session import Session

from aide_jupyter.executors.runner import default_mode

# What a kernel of this very Python picks for mode="auto" (fork on Linux, spawn on macOS/Windows)
AUTO_MODE = default_mode()
needs_fork = pytest.mark.skipif(not hasattr(os, "fork"), reason="the fork path needs os.fork")
fork_is_auto = pytest.mark.skipif(
    AUTO_MODE != "fork", reason="checks the forked child, and mode=auto does not fork here"
)

USER_SETUP = """
import pandas as pd
df = pd.DataFrame({"a": range(1000), "b": [float(i) for i in range(1000)]})
"""


@contextlib.contextmanager
def user_kernel_running() -> Iterator[dict[str, Any]]:
    """A user's kernel holding the DataFrame `df` of USER_SETUP; yields its connection info."""
    km = KernelManager(kernel_name="python3")
    km.start_kernel()
    try:
        client = km.blocking_client()
        client.start_channels()
        client.wait_for_ready(timeout=60)
        reply = client.execute_interactive(USER_SETUP, store_history=False, timeout=60)
        assert reply["content"]["status"] == "ok"
        client.stop_channels()
        yield km.get_connection_info(session=False)
    finally:
        km.shutdown_kernel(now=True)


class Frontend:
    """Stands in for the user's notebook tab: its own client and session, like JupyterLab."""

    def __init__(self, connection_info: dict[str, Any]) -> None:
        key = connection_info["key"]
        self.client = AsyncKernelClient(
            session=Session(key=key.encode() if isinstance(key, str) else key, username="user")
        )
        self.client.load_connection_info(connection_info)
        self.client.start_channels(stdin=False, hb=False)

    async def execute(self, code: str, timeout: float = 60.0) -> tuple[dict[str, Any], float]:
        """Run a visible cell (history on); returns the reply content and its round trip."""
        start = time.perf_counter()
        msg_id = self.client.execute(code, store_history=True)
        while True:
            reply = await self.client.get_shell_msg(timeout=timeout)
            if reply["parent_header"].get("msg_id") == msg_id:
                return reply["content"], time.perf_counter() - start

    async def evaluate(self, expr: str) -> str:
        """text/plain of an expression evaluated in the user's namespace."""
        msg_id = self.client.execute(
            "", silent=True, store_history=False, user_expressions={"v": expr}
        )
        while True:
            reply = await self.client.get_shell_msg(timeout=30)
            if reply["parent_header"].get("msg_id") == msg_id:
                value = reply["content"]["user_expressions"]["v"]
                assert value["status"] == "ok", value
                return str(value["data"]["text/plain"])

    async def drain_iopub(self) -> list[dict[str, Any]]:
        """Every iopub message that arrived so far."""
        msgs = []
        while True:
            try:
                msgs.append(await self.client.get_iopub_msg(timeout=0.2))
            except Exception:  # queue.Empty / TimeoutError: nothing more to read
                return msgs

    def close(self) -> None:
        self.client.stop_channels()


# A kernel whose Python looks like Windows to the runner: no os.fork, no os.waitid, and
# `import resource` fails. The launcher removes them *before* ipykernel starts. psutil is imported
# first: on Linux psutil itself needs `resource` (on Windows it does not), and the runner's
# supervision there relies on psutil, as it does on Windows.
NOFORK_LAUNCHER = """
import os, sys
import psutil
for _name in ("fork", "forkpty", "waitid"):
    if hasattr(os, _name):
        delattr(os, _name)
sys.modules.pop("resource", None)
class _NoResource:
    def find_spec(self, name, path=None, target=None):
        if name == "resource":
            raise ImportError("resource is blocked in this test kernel")
        return None
sys.meta_path.insert(0, _NoResource())
from ipykernel import kernelapp
kernelapp.launch_new_instance()
"""
NOFORK_KERNEL = "aide-test-nofork"


def write_nofork_kernelspec(folder: Path) -> Path:
    """A kernelspec dir `<folder>/kernels/aide-test-nofork`; put `folder` on JUPYTER_PATH."""
    spec_dir = folder / "kernels" / NOFORK_KERNEL
    spec_dir.mkdir(parents=True, exist_ok=True)
    spec = {
        "argv": [sys.executable, "-c", NOFORK_LAUNCHER, "-f", "{connection_file}"],
        "display_name": "Python without fork (aide tests)",
        "language": "python",
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec))
    return spec_dir


@contextlib.contextmanager
def kernel_running(
    kernel_name: str = "python3", setup: str = USER_SETUP
) -> Iterator[dict[str, Any]]:
    """A kernel of any kernelspec, holding what `setup` defines; yields its connection info."""
    km = KernelManager(kernel_name=kernel_name)
    if kernel_name == NOFORK_KERNEL:
        folder = Path(tempfile.mkdtemp(prefix="aide-kspec-"))
        write_nofork_kernelspec(folder)
        km.kernel_spec_manager.kernel_dirs.insert(0, str(folder / "kernels"))
    km.start_kernel()
    try:
        client = km.blocking_client()
        client.start_channels()
        client.wait_for_ready(timeout=60)
        reply = client.execute_interactive(setup, store_history=False, timeout=60)
        assert reply["content"]["status"] == "ok", reply["content"]
        client.stop_channels()
        yield km.get_connection_info(session=False)
    finally:
        km.shutdown_kernel(now=True)
