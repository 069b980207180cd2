"""The runner's entry point: `call(op, args_json, namespace)`, JSON in and out, and the one
`Runner` per kernel it drives."""

from __future__ import annotations

import json
import threading
from typing import Any

from .core import Runner

_RUNNER: list[Runner] = []
_RUNNER_LOCK = threading.Lock()


class Reply:
    """JSON whose repr is the JSON itself, so a user_expression's text/plain needs no parsing."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text


def call(op: str, args_json: str, namespace: dict[str, Any]) -> Reply:
    """The one entry point the server uses (as a user_expression), JSON in and out."""
    with _RUNNER_LOCK:
        if not _RUNNER:
            _RUNNER.append(Runner())
        runner = _RUNNER[0]
    out = getattr(runner, "op_" + op)(namespace, **json.loads(args_json))
    out["instance"] = runner.instance
    return Reply(json.dumps(out, default=str))
