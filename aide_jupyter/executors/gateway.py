"""KernelTransport for a kernel behind a Jupyter Kernel Gateway or Enterprise Gateway.

When jupyter_server runs with `--GatewayClient.url`, its kernels live on another host and the
server has no connection files, only the gateway's HTTP and websocket API. This transport opens
its own websocket to `<gateway>/api/kernels/<id>/channels` with the connection arguments of
jupyter_server's `GatewayClient` (URL, auth header and token renewal, TLS options, timeouts), and
speaks the JSON websocket protocol: every message carries its `channel`.

Why not `GatewayKernelClient` (what `GatewayKernelManager.client()` returns): its channel queues
send without a `channel` key (the gateway then routes control requests to shell), its reads poll
with `asyncio.sleep(0)` (a busy loop per channel), and its websocket carries no auth headers. It
would also share the frontend's session id, which steals the frontend's replies.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import Any

from jupyter_client.jsonutil import json_default
from jupyter_client.session import Session
from jupyter_server.gateway.gateway_client import GatewayClient, gateway_request
from jupyter_server.services.kernels.connection.base import deserialize_binary_message
from jupyter_server.utils import url_escape, url_path_join
from tornado.httpclient import HTTPClientError, HTTPRequest
from tornado.websocket import WebSocketClientConnection, WebSocketClosedError, websocket_connect

from .transport import Channel, ReplyRouting, TransportClosed

log = logging.getLogger(__name__)


def gateway_host() -> str | None:
    """host[:port] of the configured gateway (the kernels' host as this server sees it)."""
    url = GatewayClient.instance().url
    if not url:
        return None
    return url.split("://", 1)[-1].split("/", 1)[0]


class GatewayTransport(ReplyRouting):
    """KernelTransport over one websocket to the gateway, with its own Session id."""

    def __init__(self, kernel_id: str, *, username: str = "aide-executor") -> None:
        super().__init__()
        self.kernel_id = kernel_id
        self.session = Session(key=b"", username=username)  # the gateway signs for the kernel
        self.session_id = self.session.session
        self._ws: WebSocketClientConnection | None = None
        self._reader: asyncio.Task[None] | None = None
        self._connect_lock = asyncio.Lock()
        self._closed = False

    # ----- connection -----

    def _ws_request(self) -> HTTPRequest:
        gc = GatewayClient.instance()
        url = url_path_join(
            gc.ws_url or "", gc.kernels_endpoint, url_escape(self.kernel_id), "channels"
        )
        return HTTPRequest(url, **gc.load_connection_args())

    async def start(self) -> None:
        """Connect (again, if the websocket dropped since)."""
        async with self._connect_lock:
            if self._ws is not None:
                return
            if self._closed:
                raise TransportClosed("the transport was closed")
            self._ws = await websocket_connect(self._ws_request())
            self._reader = asyncio.create_task(self._read(self._ws))

    async def request(
        self,
        channel: Channel,
        msg_type: str,
        content: dict[str, Any],
        timeout: float,
        subshell_id: str | None = None,
    ) -> dict[str, Any]:
        if self._ws is None and not self._closed and self._reader is not None:
            await self.start()  # the websocket dropped (gateway restarted?): dial once more
        ws = self._ws
        if ws is None:
            raise TransportClosed("the transport is not connected")
        msg, fut = self._new_request(msg_type, content, subshell_id)
        wire = {
            "header": msg["header"],
            "parent_header": {},
            "metadata": msg["metadata"],
            "content": msg["content"],
            "buffers": [],
            "channel": channel,
        }
        try:
            await ws.write_message(json.dumps(wire, default=json_default))
            return await asyncio.wait_for(fut, timeout)
        except WebSocketClosedError as exc:
            raise TransportClosed(f"the gateway websocket closed: {exc}") from None
        finally:
            self._forget_request(msg)

    async def is_alive(self) -> bool:
        """The gateway still lists the kernel, and our websocket is open."""
        if self._ws is None:
            return False
        gc = GatewayClient.instance()
        url = url_path_join(gc.url or "", gc.kernels_endpoint, url_escape(self.kernel_id))
        try:
            response = await gateway_request(url, method="GET", request_timeout=5.0)
        except HTTPClientError:
            return False
        except Exception as exc:  # unreachable gateway: treat as dead, say why
            log.warning("gateway kernel %s: liveness check failed: %s", self.kernel_id, exc)
            return False
        model = json.loads(response.body or b"{}")
        return model.get("execution_state") not in ("dead",)

    async def close(self) -> None:
        self._closed = True
        if self._ws is not None:
            self._ws.close()
            self._ws = None
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._reader
        self._fail_pending("the transport was closed")

    # ----- reading -----

    async def _read(self, ws: WebSocketClientConnection) -> None:
        while True:
            raw = await ws.read_message()
            if raw is None:
                break
            try:
                msg = deserialize_binary_message(raw) if isinstance(raw, bytes) else json.loads(raw)
            except Exception:
                log.exception("bad message from the gateway for kernel %s", self.kernel_id)
                continue
            self._dispatch(msg)
        if self._ws is ws:
            self._ws = None
            log.warning("gateway websocket of kernel %s closed", self.kernel_id)
        self._fail_pending("the gateway websocket closed")

    def _dispatch(self, msg: dict[str, Any]) -> None:
        channel = msg.pop("channel", None)
        if channel == "iopub":
            self._deliver_iopub(msg)
        elif channel in ("shell", "control"):
            self._deliver_reply(msg)
