"""A local OpenAI-compatible chat server for tests: real sockets, scripted replies, faults.

Start it, point the real `openai` client at `server.base_url`, queue replies with `push(...)`.
When the queue is empty, `default` (a function of the request body) answers.
"""

from __future__ import annotations

import json
import threading
from collections import deque
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Reply = dict[str, Any]

TEMPERATURE_ERROR = {
    "error": {
        "message": "Unsupported value: 'temperature' does not support 0.5 with this model. "
        "Only the default (1) value is supported.",
        "type": "invalid_request_error",
        "param": "temperature",
        "code": "unsupported_value",
    }
}
TOOLS_ERROR = {
    "error": {
        "message": "tools is not supported in this model. For a list of supported models, refer to "
        "the documentation.",
        "type": "invalid_request_error",
        "param": "tools",
        "code": "unsupported_parameter",
    }
}


def _invalid(message: str, param: str | None = None, code: str | None = None) -> Reply:
    return error(
        400,
        body={
            "error": {
                "message": message,
                "type": "invalid_request_error",
                "param": param,
                "code": code,
            }
        },
    )


def reasoning_model(body: dict[str, Any]) -> Reply | None:
    """An OpenAI reasoning model (o1-like): no temperature, no max_tokens, no system role."""
    if "temperature" in body:
        return error(400, body=TEMPERATURE_ERROR)
    if "max_tokens" in body:
        return _invalid(
            "Unsupported parameter: 'max_tokens' is not supported with this model. "
            "Use 'max_completion_tokens' instead.",
            "max_tokens",
            "unsupported_parameter",
        )
    if body["messages"][0]["role"] == "system":
        return _invalid(
            "Unsupported value: 'messages[0].role' does not support 'system' with this model.",
            "messages[0].role",
            "unsupported_value",
        )
    return None


def ollama(body: dict[str, Any]) -> Reply | None:
    """Ollama's OpenAI layer with a model that cannot call tools (its error wording)."""
    if body.get("model") == "missing":
        return error(
            404,
            body={
                "error": {
                    "message": 'model "missing" not found, try pulling it first',
                    "type": "api_error",
                    "param": None,
                    "code": None,
                }
            },
        )
    if "tools" in body:
        return _invalid(f"registry.ollama.ai/library/{body.get('model')} does not support tools")
    return None


def vllm(body: dict[str, Any]) -> Reply | None:
    """vLLM without --enable-auto-tool-choice, and with a small context window."""
    if "tool_choice" in body:
        return _invalid(
            '"auto" tool choice requires --enable-auto-tool-choice and --tool-call-parser to be '
            "set; named tool_choice is not supported by this server"
        )
    if (body.get("max_tokens") or 0) > 4096:
        return _invalid(
            "This model's maximum context length is 4096 tokens. However, you requested "
            f"{body['max_tokens']} tokens in the completion. Please reduce the length."
        )
    return None


BEHAVIOURS: dict[str, Callable[[dict[str, Any]], Reply | None]] = {
    "reasoning": reasoning_model,
    "ollama": ollama,
    "vllm": vllm,
}


def completion(
    content: str | None = None,
    *,
    tool_args: str | None = None,
    finish_reason: str = "stop",
    tokens_in: int = 100,
    tokens_out: int = 50,
) -> Reply:
    """A 200 chat.completion reply with text content or a submit_review tool call."""
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if tool_args is not None:
        message["tool_calls"] = [
            {
                "id": "call_1",
                "type": "function",
                "function": {"name": "submit_review", "arguments": tool_args},
            }
        ]
        finish_reason = "tool_calls"
    body = {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": 0,
        "model": "fake",
        "choices": [{"index": 0, "message": message, "finish_reason": finish_reason}],
        "usage": {
            "prompt_tokens": tokens_in,
            "completion_tokens": tokens_out,
            "total_tokens": tokens_in + tokens_out,
        },
    }
    return {"status": 200, "body": body}


def error(
    status: int,
    message: str = "server error",
    *,
    headers: dict[str, str] | None = None,
    body: dict[str, Any] | None = None,
) -> Reply:
    return {
        "status": status,
        "headers": headers or {},
        "body": body
        or {"error": {"message": message, "type": "server_error", "param": None, "code": None}},
    }


def code_reply(code: str, plan: str = "A plan.") -> Reply:
    return completion(f"{plan}\n\n```python\n{code}\n```\n")


class FakeOpenAI:
    """The server; `requests` holds every request body received, in order."""

    def __init__(self, default: Callable[[dict[str, Any]], Reply] | None = None) -> None:
        self.replies: deque[Reply] = deque()
        self.requests: list[dict[str, Any]] = []
        self.default = default or (lambda body: completion("no script for this request"))
        self.reject_tools = False
        self.reject_temperature = False
        self.behaviour: str | None = None  # a key of BEHAVIOURS: that server's refusals
        self._closing = threading.Event()
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), daemon=True
        )

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def start(self) -> FakeOpenAI:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._closing.set()
        self._server.shutdown()
        self._server.server_close()

    def push(self, *replies: Reply) -> None:
        with self._lock:
            self.replies.extend(replies)

    def _answer(self, body: dict[str, Any]) -> Reply:
        with self._lock:
            self.requests.append(body)
            if self.reject_temperature and "temperature" in body:
                return error(400, body=TEMPERATURE_ERROR)
            if self.reject_tools and "tools" in body:
                return error(400, body=TOOLS_ERROR)
            if self.behaviour is not None:
                refusal = BEHAVIOURS[self.behaviour](body)
                if refusal is not None:
                    return refusal
            if self.replies:
                return self.replies.popleft()
        return self.default(body)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return None

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", 0))
                body = json.loads(self.rfile.read(length) or b"{}")
                reply = fake._answer(body)
                if reply.get("delay"):
                    fake._closing.wait(reply["delay"])
                data = json.dumps(reply["body"]).encode()
                try:
                    self.send_response(reply["status"])
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(data)))
                    for key, value in reply.get("headers", {}).items():
                        self.send_header(key, value)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    return  # the client gave up (timeout test): nothing to answer

        return Handler
