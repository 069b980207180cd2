"""A real Jupyter Kernel Gateway on 127.0.0.1 standing in for a remote kernel host.

The gateway runs in its own process with its own runtime folder (the Jupyter server cannot read
its kernels' connection files), its own working directory and its own TMPDIR (the "remote" host's
temp folder), so a test can tell what ran where. Its kernels use this venv's python3 kernelspec,
which the issue allows; what matters is that the server reaches them only over the gateway's
HTTP and websocket API.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any

from tornado.websocket import websocket_connect


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class KernelGateway:
    """`jupyter kernelgateway` as a subprocess; `url` once started."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.host_dir = base / "host"  # the gateway's (and its kernels') working directory
        self.tmp_dir = base / "host-tmp"  # TMPDIR on the "remote" host
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = base / "gateway.log"

    def start(self, timeout: float = 60.0) -> None:
        for d in (self.host_dir, self.tmp_dir, self.base / "runtime"):
            d.mkdir(parents=True, exist_ok=True)
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("JUPYTER_", "JPY_")) and k != "TMPDIR"
        }
        env.update(
            JUPYTER_RUNTIME_DIR=str(self.base / "runtime"),
            TMPDIR=str(self.tmp_dir),
            KG_ENV_PROCESS_WHITELIST="TMPDIR",  # kernels get PATH and this, not our secrets
            PYTHONUNBUFFERED="1",
        )
        cmd = [
            sys.executable,
            "-m",
            "kernel_gateway",
            "--KernelGatewayApp.ip=127.0.0.1",
            f"--KernelGatewayApp.port={self.port}",
            "--KernelGatewayApp.port_retries=0",
            "--JupyterWebsocketPersonality.list_kernels=True",
            "--KernelGatewayApp.default_kernel_name=python3",
        ]
        log = self.log_path.open("wb")
        self.proc = subprocess.Popen(cmd, cwd=self.host_dir, env=env, stdout=log, stderr=log)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"kernel gateway exited: {self.log_path.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(f"{self.url}/api", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.3)
        raise RuntimeError(f"kernel gateway did not answer: {self.log_path.read_text()[-2000:]}")

    def kernels(self) -> list[dict[str, Any]]:
        with urllib.request.urlopen(f"{self.url}/api/kernels", timeout=10) as r:
            return list(json.loads(r.read()))

    def stop(self) -> None:
        if self.proc is None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
        self.proc = None


async def gateway_execute(url: str, kernel_id: str, code: str, timeout: float = 60.0) -> Any:
    """Run `code` in a gateway kernel over its websocket (as a second frontend would).

    Returns the text/plain of the last expression, or None; fails on an error reply.
    """
    ws_url = url.replace("http://", "ws://") + f"/api/kernels/{kernel_id}/channels"
    ws = await websocket_connect(ws_url)
    msg_id = uuid.uuid4().hex
    header = {
        "msg_id": msg_id,
        "msg_type": "execute_request",
        "username": "test",
        "session": uuid.uuid4().hex,
        "version": "5.3",
        "date": "",
    }
    content = {"code": code, "silent": False, "store_history": False, "allow_stdin": False}
    msg = {"header": header, "parent_header": {}, "metadata": {}, "content": content}
    await ws.write_message(json.dumps({**msg, "channel": "shell"}))
    value, status, idle = None, None, False
    deadline = time.monotonic() + timeout
    try:
        while status is None or not idle:
            raw = await asyncio.wait_for(ws.read_message(), max(0.1, deadline - time.monotonic()))
            if raw is None:
                raise RuntimeError("gateway websocket closed")
            reply = json.loads(raw)
            if reply.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            mtype = reply["header"]["msg_type"]
            if mtype == "execute_result":
                value = reply["content"]["data"].get("text/plain")
            elif mtype == "status" and reply["content"]["execution_state"] == "idle":
                idle = True
            elif mtype == "execute_reply":
                status = reply["content"]["status"]
                assert status == "ok", reply["content"]
    finally:
        ws.close()
    return value
