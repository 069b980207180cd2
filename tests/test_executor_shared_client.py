"""One KernelExecutor shared by concurrent callers (two searches on one kernel) against a real
kernel: a reply that lands while another caller sends on the same channel must still arrive."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from typing import Any

import pytest

from aide_jupyter.executors import KernelExecutor
from aide_jupyter.executors import transport as transport_module
from aide_jupyter.executors.transport import ZmqTransport
from tests.support_executor import user_kernel_running

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
def user_kernel() -> Iterator[dict]:
    with user_kernel_running() as info:
        yield info


def _expression_request(ex: KernelExecutor, expr: str) -> tuple[dict[str, Any], asyncio.Future]:
    """An execute_request registered for its reply, as `request` does, but not yet sent."""
    transport = ex.transport
    assert isinstance(transport, ZmqTransport) and transport._client is not None
    content = {"code": "", "silent": True, "store_history": False, "user_expressions": {"r": expr}}
    msg = transport.session.msg("execute_request", content)
    fut: asyncio.Future = asyncio.get_running_loop().create_future()
    transport._replies[msg["header"]["msg_id"]] = fut
    return msg, fut


@pytest.mark.parametrize("send", ["executor", "raw"])
async def test_reply_arriving_during_another_send_is_not_lost(
    user_kernel: dict, monkeypatch: pytest.MonkeyPatch, send: str
) -> None:
    """Caller A waits for a reply; it lands while the loop is busy; caller B then sends on the
    same shell socket before the loop looks at it. That send eats the socket's wake-up edge:
    `_send` must re-arm the reader ("executor"), and the reader's periodic re-check must catch
    a send that bypasses it ("raw", e.g. a future code path)."""
    monkeypatch.setattr(transport_module, "READ_RECHECK_S", 60.0 if send == "executor" else 0.5)
    ex = KernelExecutor(user_kernel)
    try:
        await ex.start()
        await asyncio.sleep(0.3)  # the readers are idle in their polls (with the patched re-check)
        first = asyncio.ensure_future(ex._execute("", {"r": "6 * 7"}, timeout=60))
        await asyncio.sleep(0)  # A's request is on the wire
        time.sleep(1.0)  # the loop is busy (a journal fsync, say) while A's reply lands
        msg, second = _expression_request(ex, "len(df)")
        if send == "executor":
            ex.transport._send("shell", msg)  # type: ignore[attr-defined]
        else:
            ex.transport._client.shell_channel.send(msg)  # type: ignore[attr-defined]
        reply = await asyncio.wait_for(first, 10)  # before the fix: never (the search hung)
        assert reply["content"]["user_expressions"]["r"]["data"]["text/plain"] == "42"
        other = await asyncio.wait_for(second, 10)
        assert other["content"]["user_expressions"]["r"]["data"]["text/plain"] == "1000"
    finally:
        await ex.close()


async def test_two_callers_share_one_executor(
    user_kernel: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two searches' worth of interleaved requests on one executor all get their replies."""
    monkeypatch.setattr(transport_module, "READ_RECHECK_S", 60.0)  # no backstop: no lost reply
    ex = KernelExecutor(user_kernel)

    async def caller() -> None:
        for _ in range(25):
            names = [v["name"] for v in await ex.list_variables()]
            assert "df" in names

    try:
        await asyncio.wait_for(asyncio.gather(caller(), caller(), caller()), 60)
    finally:
        await ex.close()
