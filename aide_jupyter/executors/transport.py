"""How the executor talks to a kernel: a small port, and its ZMQ implementation.

`KernelExecutor` needs only this from a kernel connection: send a request on the shell or the
control channel (optionally into a subshell) and get its reply, hear every iopub message, and
ask whether the kernel is still alive. Keeping that behind a protocol lets another transport
(a websocket through jupyter_server's gateway client, for kernels on another host) drive the
same executor. The protocol is stable: implementations elsewhere rely on it.

`ZmqTransport` is the local one: its own client from the kernel's connection info with a fresh
`Session` (never `km.client()`, which shares the frontend's session id and steals its replies).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
from collections.abc import Callable
from typing import Any, Literal, Protocol, runtime_checkable

import zmq
from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.session import Session

log = logging.getLogger(__name__)

Channel = Literal["shell", "control"]
IopubCallback = Callable[[dict[str, Any]], None]

# The readers re-check their socket at least this often even without a wake-up from the loop
# (a backstop for lost ZMQ_FD edges; see `ZmqTransport._send`).
READ_RECHECK_S = 2.0


class TransportClosed(ConnectionError):
    """The transport was closed (or never started) while a request waited for its reply."""


@runtime_checkable
class KernelTransport(Protocol):
    """A connection to one kernel, as the executor uses it.

    - `start()` connects; calling it again is a no-op. It does not send any request itself.
    - `request(channel, msg_type, content, timeout, subshell_id)` sends one message and returns
      the whole reply message (`header`, `parent_header`, `content`, ...) matched by msg_id;
      raises `asyncio.TimeoutError` after `timeout` s and `TransportClosed` when closed. With
      `subshell_id` the request header carries it (kernel protocol 5.5 subshells).
    - `on_iopub(callback)` registers a callback called (in the event loop) with every iopub
      message, from every session on the kernel, in arrival order. iopub is lossy.
    - `is_alive()` is a cheap liveness check of the kernel process or its connection
      (heartbeat channel for ZMQ); False means dead or unreachable.
    - `close()` stops listening and fails pending requests with `TransportClosed`.
    - `session_id`: the Session id this transport sends with (never the frontend's).
    """

    session_id: str

    async def start(self) -> None: ...

    async def request(
        self,
        channel: Channel,
        msg_type: str,
        content: dict[str, Any],
        timeout: float,
        subshell_id: str | None = None,
    ) -> dict[str, Any]: ...

    def on_iopub(self, callback: IopubCallback) -> None: ...

    async def is_alive(self) -> bool: ...

    async def close(self) -> None: ...


class ReplyRouting:
    """What every transport shares: build a request (into a subshell when asked), match replies
    to their waiters by msg_id, hand iopub messages to the callbacks, fail waiters on close."""

    session: Session

    def __init__(self) -> None:
        self._replies: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._callbacks: list[IopubCallback] = []

    def on_iopub(self, callback: IopubCallback) -> None:
        self._callbacks.append(callback)

    def _new_request(
        self, msg_type: str, content: dict[str, Any], subshell_id: str | None
    ) -> tuple[dict[str, Any], asyncio.Future[dict[str, Any]]]:
        """The message to send and the future its reply will resolve."""
        header = self.session.msg_header(msg_type)
        if subshell_id is not None:
            header["subshell_id"] = subshell_id
        msg = self.session.msg(msg_type, content, header=header)
        fut: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._replies[msg["header"]["msg_id"]] = fut
        return msg, fut

    def _forget_request(self, msg: dict[str, Any]) -> None:
        self._replies.pop(msg["header"]["msg_id"], None)

    def _deliver_iopub(self, msg: dict[str, Any]) -> None:
        for callback in list(self._callbacks):
            try:
                callback(msg)
            except Exception:  # one broken listener must not stop the reader
                log.exception("iopub callback failed")

    def _deliver_reply(self, msg: dict[str, Any]) -> None:
        fut = self._replies.pop(msg.get("parent_header", {}).get("msg_id", ""), None)
        if fut is not None and not fut.done():
            fut.set_result(msg)

    def _fail_pending(self, why: str) -> None:
        for fut in self._replies.values():
            if not fut.done():
                fut.set_exception(TransportClosed(why))
        self._replies.clear()


class ZmqTransport(ReplyRouting):
    """KernelTransport over the kernel's ZMQ sockets, from its connection info.

    One reader task per channel matches replies to waiters by msg_id, so many callers can share
    one transport (a server shares one executor per kernel between its searches)."""

    def __init__(self, connection_info: dict[str, Any], *, username: str = "aide-executor") -> None:
        super().__init__()
        self.connection_info = dict(connection_info)
        key = self.connection_info.get("key", b"")
        self.session = Session(
            key=key.encode() if isinstance(key, str) else key,
            signature_scheme=self.connection_info.get("signature_scheme", "hmac-sha256"),
            username=username,
        )
        self.session_id = self.session.session
        self._client: AsyncKernelClient | None = None
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        if self._client is not None:
            return
        client = AsyncKernelClient(session=self.session)
        client.load_connection_info(self.connection_info)
        client.start_channels(stdin=False)
        self._client = client
        self._tasks = [asyncio.create_task(self._read(ch)) for ch in ("shell", "control", "iopub")]

    async def request(
        self,
        channel: Channel,
        msg_type: str,
        content: dict[str, Any],
        timeout: float,
        subshell_id: str | None = None,
    ) -> dict[str, Any]:
        if self._client is None:
            raise TransportClosed("the transport is not started")
        msg, fut = self._new_request(msg_type, content, subshell_id)
        try:
            self._send(channel, msg)
            return await asyncio.wait_for(fut, timeout)
        finally:
            self._forget_request(msg)

    async def is_alive(self) -> bool:
        return self._client is not None and bool(self._client.hb_channel.is_beating())

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks = []
        self._fail_pending("the transport was closed")
        if self._client is not None:
            self._client.stop_channels()
            self._client = None

    def _send(self, channel: str, msg: dict[str, Any]) -> None:
        """Send, then re-arm the channel's reader in case the send swallowed its wake-up.

        `Session.send` writes through a plain (non-asyncio) shadow of the channel's socket. That
        zmq_send also processes the socket's pending commands, which consumes the edge of its
        ZMQ_FD: a reply that arrived for another task in the same moment then sits in the socket
        while the reader's poll never wakes (two searches sharing one executor hung for good).
        The asyncio socket's `get(EVENTS)` reschedules the reader if a message is waiting.
        """
        assert self._client is not None
        chan = getattr(self._client, f"{channel}_channel")
        chan.send(msg)
        chan.socket.get(zmq.EVENTS)

    async def _read(self, channel: str) -> None:
        assert self._client is not None
        getter = getattr(self._client, f"get_{channel}_msg")
        while True:
            try:
                msg = await getter(timeout=READ_RECHECK_S)
            except queue.Empty:
                continue  # nothing arrived; the timed-out poll re-checked the socket itself
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("bad message on %s channel", channel)
                continue
            if channel == "iopub":
                self._deliver_iopub(msg)
            else:
                self._deliver_reply(msg)
