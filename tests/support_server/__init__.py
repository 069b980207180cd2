"""Helpers for the server tests: kernels through /api/sessions, code in them, polling, events."""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.session import Session

from aide_jupyter.server.events import SCHEMA_ID
from aide_jupyter.server.routes import AideHandler

SERVER_CONFIG = {"ServerApp": {"jpserver_extensions": {"aide_jupyter": True}}}

FRAME_CODE = """
import numpy as np, pandas as pd
_rng = np.random.default_rng(0)
df = pd.DataFrame(_rng.normal(size=(160, 4)), columns=["a", "b", "c", "d"])
df["label"] = (df["a"] + 0.5 * df["b"] - df["c"] > 0).astype(int)
"""


# The search most server tests ask for: the test frame's label, scored by accuracy.
FRAME_SEARCH = {"goal": "predict label; metric accuracy", "data": ["df"], "target": "label"}

Execute = Callable[[str, str], Awaitable[Any]]  # (kernel_id, code): run code in that kernel


async def start_kernel(jp_fetch: Any, path: str = "nb.ipynb") -> str:
    """A real python3 kernel, the way JupyterLab starts one for a notebook."""
    body = {"path": path, "type": "notebook", "name": path, "kernel": {"name": "python3"}}
    response = await jp_fetch("api", "sessions", method="POST", body=json.dumps(body))
    return json.loads(response.body)["kernel"]["id"]


def tab_client(info: dict[str, Any], username: str = "test") -> AsyncKernelClient:
    """A client of the kernel the way a second notebook tab has one: its own Session, channels
    started without stdin and without a heartbeat (a client without its kernel manager judges
    liveness by a 1-s heartbeat, which a loaded machine misses: "Kernel died before replying to
    kernel_info" from a live kernel; a kernel that really died still fails, by the timeout)."""
    key = info.get("key", b"")
    session = Session(key=key.encode() if isinstance(key, str) else key, username=username)
    client = AsyncKernelClient(session=session)
    client.load_connection_info(info)
    client.start_channels(stdin=False, hb=False)
    return client


async def run_code(serverapp: Any, kernel_id: str, code: str, timeout: float = 60.0) -> dict:
    """Execute code in the kernel with an own client (fresh session) and wait for the reply."""
    client = tab_client(serverapp.kernel_manager.get_kernel(kernel_id).get_connection_info())
    try:
        await _wait_for_ready(client, serverapp.kernel_manager.get_kernel(kernel_id), timeout)
        reply = await client.execute_interactive(code, timeout=timeout, output_hook=lambda m: None)
    finally:
        client.stop_channels()
    assert reply["content"]["status"] == "ok", reply["content"]
    return reply


def frame_kernels(jp_fetch: Any, execute: Execute) -> Callable[..., Awaitable[str]]:
    """`await start(path)`: a notebook's kernel holding the test frame `df` (FRAME_CODE, or
    `code`), put there by `execute` (run_code on a local kernel, a gateway's execute)."""

    async def start(path: str = "nb.ipynb", code: str = FRAME_CODE) -> str:
        kernel_id = await start_kernel(jp_fetch, path)
        await execute(kernel_id, code)
        return kernel_id

    return start


async def create_search(jp_fetch: Any, kernel_id: str, **fields: Any) -> dict[str, Any]:
    """POST /aide/searches for FRAME_SEARCH on the kernel (`fields` over it); asserts the 201."""
    body = {"kernel_id": kernel_id, **FRAME_SEARCH, **fields}
    code, summary = await api(jp_fetch, "searches", method="POST", body=body)
    assert code == 201, summary
    return summary


async def fork_node(jp_fetch: Any, search_id: str, node_id: str, **body: Any) -> dict[str, Any]:
    """POST .../nodes/{node_id}/fork with `body` (code, instruction); asserts it was taken."""
    parts = ("searches", search_id, "nodes", node_id, "fork")
    code, node = await api(jp_fetch, *parts, method="POST", body=body)
    assert code in (200, 201), node
    return node


def ended_and_workers_gone(detail: dict[str, Any]) -> bool:
    """A wait_search predicate: the search failed, or it is done and its workers are shut down."""
    return detail["status"] == "failed" or (
        detail["status"] == "done" and not any(w["running"] for w in detail["workers"])
    )


async def _wait_for_ready(client: AsyncKernelClient, km: Any, timeout: float) -> None:
    """`wait_for_ready`, but a heartbeat missed while a loaded machine starts the kernel is not
    taken for a dead kernel as long as its process lives (the client's check uses a 1 s heartbeat
    and fails spuriously under heavy load)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            await client.wait_for_ready(timeout=max(1.0, deadline - time.monotonic()))
            return
        except RuntimeError:
            if time.monotonic() > deadline or not await km.is_alive():
                raise
            await asyncio.sleep(0.5)


async def api(jp_fetch: Any, *parts: str, method: str = "GET", body: Any = None) -> tuple[int, Any]:
    """Call an aide route; answer (status, parsed JSON or None)."""
    payload = None if body is None else (body if isinstance(body, bytes) else json.dumps(body))
    if method in ("POST", "PUT") and payload is None:
        payload = b"{}"
    response = await jp_fetch(
        "aide", *parts, method=method, body=payload, raise_error=False, request_timeout=60
    )
    data = json.loads(response.body) if response.body else None
    return response.code, data


async def wait_search(
    jp_fetch: Any,
    search_id: str,
    predicate: Callable[[dict[str, Any]], bool],
    timeout: float = 90.0,
) -> dict[str, Any]:
    """Poll GET /aide/searches/{id} until `predicate(detail)`; fail with the last state."""
    deadline = time.monotonic() + timeout
    detail: dict[str, Any] = {}
    while time.monotonic() < deadline:
        code, detail = await api(jp_fetch, "searches", search_id)
        assert code == 200, detail
        if predicate(detail):
            return detail
        await asyncio.sleep(0.2)
    raise AssertionError(f"timed out; last state {detail.get('status')}: {detail}")


class EventCollector:
    """Reads `/api/events/subscribe` and keeps the aide events, as a JupyterLab tab would."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.events: list[dict[str, Any]] = []
        self.arrivals: list[float] = []
        self._task = asyncio.create_task(self._read())

    async def _read(self) -> None:
        while True:
            message = await self.ws.read_message()
            if message is None:
                return
            event = json.loads(message)
            if event.get("schema_id") == SCHEMA_ID:
                self.events.append(event)
                self.arrivals.append(time.monotonic())

    def of(self, search_id: str, kind: str | None = None) -> list[dict[str, Any]]:
        return [
            e
            for e in self.events
            if e["search_id"] == search_id and (kind is None or e["kind"] == kind)
        ]

    async def close(self) -> None:
        self._task.cancel()
        self.ws.close()
        await asyncio.gather(self._task, return_exceptions=True)


def aide_routes(serverapp: Any) -> list[tuple[str, type[AideHandler]]]:
    """Every route the running server maps to an aide_jupyter handler, read from its routers (so
    a handler added later is covered by the tests that walk them)."""
    found: list[tuple[str, type[AideHandler]]] = []

    def walk(router: Any) -> None:
        for rule in getattr(router, "rules", []):
            target = rule.target
            if isinstance(target, type) and issubclass(target, AideHandler):
                found.append((rule.matcher.regex.pattern, target))
            elif hasattr(target, "rules"):
                walk(target)

    walk(serverapp.web_app.default_router)
    return found


def aide_requests(serverapp: Any, base_url: str) -> Iterator[tuple[str, str, bytes | None]]:
    """(method, path relative to `base_url`, body) for every verb every aide handler implements;
    each id in a route becomes a plausible one."""
    routes = aide_routes(serverapp)
    assert routes, "no aide_jupyter handlers registered"
    for pattern, handler in routes:
        path = re.sub(r"\(\?P<\w+>[^)]*\)|\([^)]*\)", "x1", pattern).rstrip("$")
        assert path.startswith(base_url), path
        for method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
            if getattr(handler, method.lower()) is getattr(AideHandler, method.lower()):
                continue  # the handler does not implement this verb
            body = b"{}" if method in ("POST", "PUT", "PATCH") else None
            yield method, path[len(base_url) :], body
