"""Helpers for the %aide tests: an IPython shell with the magic, and a fake `/aide` REST server.

The fake server follows docs/rest-api.md: each GET of a search advances it one step, so the
progress display has something to show without a real engine.
"""

from __future__ import annotations

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

NODE_CODE = "# %% Load\nx = 1\n\n# %% Score\nprint('validation_metric: 0.9 (accuracy)')\n"


class FakeAide:
    """A threaded HTTP server answering the aide routes the magic uses; records every request."""

    def __init__(self, token: str = "secret", coders: tuple[str, ...] = ("builtin",)) -> None:
        self.token = token
        self.coders = list(coders)
        self.requests: list[tuple[str, str, Any]] = []
        self.searches: dict[str, dict[str, Any]] = {}
        self.kernels: list[str] = []
        self.sessions: list[dict[str, Any]] = []
        self.health = True
        self.html_errors = False  # answer unknown paths with Jupyter's HTML 404 page (with token)
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # keep test output clean
                pass

            def _answer(self, status: int, body: Any) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _handle(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length)) if length else None
                fake.requests.append((method, self.path, body))
                if self.headers.get("Authorization") != f"token {fake.token}":
                    self._answer(403, {"error": "forbidden", "message": "bad token"})
                    return
                status, answer = fake.route(method, self.path, body)
                if status == 404 and fake.html_errors:
                    page = (
                        "<!DOCTYPE HTML><html><head><title>Jupyter Server</title></head><body>"
                        f"<script>var token = '{fake.token}';</script><h1>404 : Not Found</h1>"
                        "</body></html>"
                    ).encode()
                    self.send_response(404)
                    self.send_header("Content-Type", "text/html")
                    self.send_header("Content-Length", str(len(page)))
                    self.end_headers()
                    self.wfile.write(page)
                    return
                self._answer(status, answer)

            def do_GET(self) -> None:
                self._handle("GET")

            def do_POST(self) -> None:
                self._handle("POST")

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def route(self, method: str, path: str, body: Any) -> tuple[int, Any]:
        if path == "/api/kernels":
            return 200, [{"id": k} for k in self.kernels]
        if path == "/api/sessions":
            return 200, self.sessions
        if path == "/aide/health":
            if not self.health:
                return 404, {"error": "not_found", "message": "no such route"}
            return 200, {"name": "aide_jupyter", "version": "0", "coders": self.coders}
        if path == "/aide/searches" and method == "POST":
            if not body.get("goal"):
                return 400, {"error": "bad_request", "message": "goal: required"}
            sid = f"s{len(self.searches) + 1}"
            self.searches[sid] = {
                "id": sid,
                "status": "running",
                "stop_reason": None,
                "goal": body["goal"],
                "kernel_id": body["kernel_id"],
                "steps_done": 0,
                "steps": body.get("steps", 20),
                "counts": {"queued": 0, "running": 1, "good": 0, "buggy": 0},
                "best": None,
                "nodes": [],
                "lower_is_better": None,
                "cost_usd": 0.0,
                "elapsed_s": 0.0,
                "journal_path": f"aide-runs/{sid}/journal.ipynb",
            }
            return 201, self.searches[sid]
        if path == "/aide/searches" and method == "GET":
            return 200, {"searches": list(reversed(self.searches.values()))}
        match = re.fullmatch(r"/aide/searches/(\w+)(?:/(\w+))?(?:/(\w+))?", path)
        if match is None or match.group(1) not in self.searches:
            return 404, {"error": "not_found", "message": f"no search at {path}"}
        search = self.searches[match.group(1)]
        if match.group(2) == "nodes":
            node_id = match.group(3)
            if search["best"] is None or node_id != search["best"]["node_id"]:
                return 404, {"error": "not_found", "message": f"no node {node_id}"}
            cells = NODE_CODE.split("\n\n")
            return 200, {
                "id": node_id,
                "step": 0,
                "stage": "draft",
                "status": "done",
                "metric": 0.9,
                "lower_is_better": False,
                "code": NODE_CODE,
                "cells": cells,
            }
        if match.group(2) in ("stop", "pause") and method == "POST":
            search["status"] = "stopped" if match.group(2) == "stop" else "paused"
            return 200, search
        if method == "GET":
            self._advance(search)
            return 200, search
        return 404, {"error": "not_found", "message": path}

    def _advance(self, search: dict[str, Any]) -> None:
        if search["status"] != "running":
            return
        search["steps_done"] += 1
        search["elapsed_s"] += 1.0
        search["best"] = {"node_id": "n1", "metric": 0.9}
        search["nodes"] = [{"id": "n1", "step": 0, "stage": "draft", "metric": 0.9}]
        search["lower_is_better"] = False
        search["counts"] = {"queued": 0, "running": 1, "good": search["steps_done"], "buggy": 0}
        if search["steps_done"] >= search["steps"]:
            search["status"] = "done"
            search["stop_reason"] = "step budget used"
            search["counts"]["running"] = 0
