"""%aide end to end: a real kernel of a real Jupyter server with the aide_jupyter extension.

The magic posts the search and returns while the server runs the nodes in that same kernel; a
user cell completes promptly meanwhile; the progress display updates; `best` inserts the
solution, which then runs in the notebook and prints its metric.

The kernel talks HTTP to the test server, which is served by this test's event loop: every wait
here is an `await`, never a blocking call, or the server could not answer.
"""

from __future__ import annotations

import asyncio
import json
import queue
import time
from typing import Any

import pytest

from tests.support_server import tab_client

pytestmark = pytest.mark.timeout(150)

SETUP = """
%load_ext aide_jupyter
from sklearn.datasets import load_breast_cancer
df = load_breast_cancer(as_frame=True).frame
"""


class Cells:
    """A notebook tab's client: its own Session, visible executions, iopub kept in order."""

    def __init__(self, info: dict[str, Any]) -> None:
        self.client = tab_client(info, username="user")
        self.iopub: list[dict[str, Any]] = []

    async def next_iopub(self, timeout: float) -> dict[str, Any] | None:
        try:
            msg = await self.client.get_iopub_msg(timeout=timeout)
        except (asyncio.TimeoutError, queue.Empty):  # jupyter_client raises queue.Empty
            return None
        self.iopub.append(msg)
        return msg

    async def run(self, code: str, timeout: float = 60) -> tuple[dict, list[dict], float]:
        """(reply content, this cell's iopub messages, seconds until the reply)."""
        start = time.monotonic()
        msg_id = self.client.execute(code)
        reply = await self.client.get_shell_msg(timeout=timeout)
        while reply["parent_header"].get("msg_id") != msg_id:
            reply = await self.client.get_shell_msg(timeout=timeout)
        took = time.monotonic() - start
        mine: list[dict] = []
        while True:
            msg = await self.next_iopub(timeout)
            assert msg is not None, f"no idle after {code!r}"
            if msg["parent_header"].get("msg_id") == msg_id:
                mine.append(msg)
                if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                    return reply["content"], mine, took

    def close(self) -> None:
        self.client.stop_channels()


def stream(messages: list[dict]) -> str:
    return "".join(m["content"].get("text", "") for m in messages if m["msg_type"] == "stream")


async def test_magic_drives_a_server_search_in_its_own_kernel(
    jp_fetch, jp_serverapp, jp_http_port, jp_base_url, monkeypatch
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    monkeypatch.setenv("AIDE_SERVER_URL", f"http://127.0.0.1:{jp_http_port}{jp_base_url}")
    monkeypatch.setenv("AIDE_SERVER_TOKEN", jp_serverapp.identity_provider.token)
    reply = await jp_fetch(
        "api",
        "sessions",
        method="POST",
        body=json.dumps(
            {"path": "analysis.ipynb", "type": "notebook", "kernel": {"name": "python3"}}
        ),
    )
    kid = json.loads(reply.body)["kernel"]["id"]
    info = jp_serverapp.kernel_manager.get_kernel(kid).get_connection_info()
    cells = Cells(info)
    try:
        await cells.client.wait_for_ready(timeout=60)
        content, _, _ = await cells.run(SETUP)
        assert content["status"] == "ok", content

        content, messages, took = await cells.run(
            "%aide optimize --data df --target target --steps 4 --model builtin "
            '"predict the diagnosis; metric accuracy"'
        )
        assert content["status"] == "ok" and took < 5.0, (content, took)
        assert "inside this kernel" not in stream(messages), stream(messages)
        shown = [m for m in messages if m["msg_type"] == "display_data"]
        assert len(shown) == 1, [m["msg_type"] for m in messages]
        display_id = shown[0]["content"]["transient"]["display_id"]
        first = shown[0]["content"]["data"]["text/plain"]
        searches = json.loads((await jp_fetch("aide", "searches")).body)["searches"]
        assert len(searches) == 1 and searches[0]["kernel_id"] == kid
        sid = searches[0]["id"]
        assert f"AIDE search {sid}" in first
        assert searches[0]["notebook_path"] == "analysis.ipynb"

        content, _, took = await cells.run("user_value = sum(range(1000))")
        assert content["status"] == "ok" and took < 3.0, took

        updates: list[str] = []
        deadline = time.monotonic() + 100
        while time.monotonic() < deadline:
            msg = await cells.next_iopub(1.0)
            if msg is None or msg["msg_type"] != "update_display_data":
                continue
            assert msg["content"]["transient"]["display_id"] == display_id
            updates.append(msg["content"]["data"]["text/plain"])
            if " · done" in updates[-1].splitlines()[0]:
                break
        assert updates and " · done" in updates[-1], updates[-3:]
        assert "steps 4/4" in updates[-1]
        summary = json.loads((await jp_fetch("aide", "searches", sid)).body)
        assert summary["status"] == "done" and summary["best"] is not None
        best_id = summary["best"]["node_id"]

        content, messages, _ = await cells.run("%aide best")
        inserted = [p for p in content["payload"] if p["source"] == "set_next_input"]
        assert len(inserted) == 1 and inserted[0]["replace"] is False, content
        code = inserted[0]["text"]
        assert code.startswith(f"# AIDE search {sid}, node {best_id}")
        assert f"node {best_id}" in stream(messages)

        content, messages, _ = await cells.run(code)
        assert content["status"] == "ok", content
        assert "validation_metric:" in stream(messages)
    finally:
        cells.close()
