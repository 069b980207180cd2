"""Server API figures: GET /aide/searches/{id} on a 1,000-node journal, and event delivery time.

Starts a real `jupyter server` on a temporary root holding a synthetic 1,000-node journal (found by
the start-up scan), times GET of that search (latency, payload size), then runs a small real
search on a live kernel and times each node event from the node finishing (its `finished` stamp)
to its arrival on an `/api/events/subscribe` websocket client.

    python benchmarks/server_api.py [--nodes 1000] [--gets 50]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

import websocket

from aide_jupyter.journal import JournalWriter
from aide_jupyter.search.journal import Journal, Node, SearchInfo

TOKEN = "bench-token"
CODE = "# %%\nimport numpy as np\n# %%\nprint('validation_metric: %s' % 0.5)\n" * 8


def synthetic(root: Path, n: int) -> str:
    info = SearchInfo(id="bench-1000", goal="synthetic", config={"steps": n, "model": "builtin"})
    info.status = "done"
    journal = Journal(lower_is_better=False)
    for i in range(n):
        parent = None if i < 5 else f"n{(i - 5) // 3}"
        journal.add(
            Node(
                id=f"n{i}",
                step=i,
                stage="draft" if parent is None else "improve",
                parent_id=parent,
                status="done",
                code=CODE,
                output="x" * 2000,
                plan="p" * 300,
                metric=i / n,
                is_buggy=False,
                lower_is_better=False,
            )
        )
    writer = JournalWriter(root / "aide-runs" / info.id)
    writer.update(info, journal, None, force=True)
    writer.close()
    return info.id


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(base: str, path: str, method: str = "GET", body: object = None) -> tuple[bytes, float]:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(base + path, data=data, method=method)
    req.add_header("Authorization", f"token {TOKEN}")
    started = time.perf_counter()
    with urllib.request.urlopen(req, timeout=60) as response:
        payload = response.read()
    return payload, time.perf_counter() - started


def main() -> int:
    args = argparse.ArgumentParser()
    args.add_argument("--nodes", type=int, default=1000)
    args.add_argument("--gets", type=int, default=50)
    opts = args.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        search_id = synthetic(root, opts.nodes)
        port = free_port()
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "jupyter_server",
                "--no-browser",
                "--allow-root",
                f"--port={port}",
                f"--ServerApp.root_dir={root}",
                f"--IdentityProvider.token={TOKEN}",
                "--ServerApp.jpserver_extensions={'aide_jupyter': True}",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=dict(os.environ),
        )
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(100):
                try:
                    call(base, "/aide/health")
                    break
                except OSError:
                    time.sleep(0.2)
            times, size = [], 0
            for _ in range(opts.gets):
                payload, took = call(base, f"/aide/searches/{search_id}")
                times.append(took * 1000)
                size = len(payload)
            assert len(json.loads(payload)["nodes"]) == opts.nodes
            times.sort()
            print(f"GET /aide/searches/{{id}}, {opts.nodes} nodes, {opts.gets} requests")
            print(
                f"  p50 {statistics.median(times):.1f} ms · p95 {times[int(0.95 * len(times)) - 1]:.1f} ms"
                f" · max {times[-1]:.1f} ms · payload {size / 1024:.0f} KB  (target < 100 ms)"
            )
            print(f"  event latency: {event_latency(base, port):s}  (target < 200 ms)")
        finally:
            server.terminate()
            server.wait(timeout=30)
    return 0


def event_latency(base: str, port: int) -> str:
    payload, _ = call(base, "/api/kernels", "POST", {"name": "python3"})
    kernel_id = json.loads(payload)["id"]
    ws_kernel = websocket.create_connection(
        f"ws://127.0.0.1:{port}/api/kernels/{kernel_id}/channels?token={TOKEN}"
    )
    code = (
        "import numpy as np, pandas as pd\nr = np.random.default_rng(0)\n"
        "df = pd.DataFrame(r.normal(size=(200, 3)), columns=list('abc'))\n"
        "df['y'] = (df.a > 0).astype(int)\n"
    )
    msg = {
        "header": {
            "msg_id": "bench1",
            "msg_type": "execute_request",
            "username": "b",
            "session": "bench",
            "version": "5.3",
        },
        "parent_header": {},
        "metadata": {},
        "content": {"code": code, "silent": False},
        "channel": "shell",
    }
    ws_kernel.send(json.dumps(msg))
    while True:
        reply = json.loads(ws_kernel.recv())
        if reply.get("msg_type") == "execute_reply":
            break
    ws_kernel.close()
    events = websocket.create_connection(
        f"ws://127.0.0.1:{port}/api/events/subscribe?token={TOKEN}"
    )
    arrivals: list[tuple[float, dict]] = []

    def read() -> None:
        while True:
            try:
                event = json.loads(events.recv())
            except Exception:
                return
            arrivals.append((time.time(), event))

    threading.Thread(target=read, daemon=True).start()
    payload, _ = call(
        base,
        "/aide/searches",
        "POST",
        {
            "kernel_id": kernel_id,
            "goal": "predict y; accuracy",
            "data": ["df"],
            "target": "y",
            "steps": 6,
        },
    )
    search_id = json.loads(payload)["id"]
    for _ in range(600):
        detail = json.loads(call(base, f"/aide/searches/{search_id}")[0])
        if detail["status"] not in ("queued", "running", "stopping"):
            break
        time.sleep(0.2)
    time.sleep(0.5)
    events.close()
    lags = sorted(
        (at - e["node"]["finished"]) * 1000
        for at, e in arrivals
        if e.get("kind") == "node" and e["node"].get("status") in ("done", "failed")
    )
    if not lags:
        return "no node events received"
    return (
        f"{len(lags)} node events, node finished -> websocket client: "
        f"p50 {statistics.median(lags):.1f} ms, max {lags[-1]:.1f} ms"
    )


if __name__ == "__main__":
    sys.exit(main())
