"""Helpers for the executor tests: a user's kernel with data, and a "frontend" client."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from typing import Any

from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.manager import KernelManager
from jupyter_client.session import Session

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
