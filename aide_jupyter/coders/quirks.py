"""What one model on one endpoint cannot take, learned from its 400 errors and remembered.

OpenAI-compatible servers differ: reasoning models (o1, o3, gpt-5) refuse `temperature`, `max_tokens`
(they want `max_completion_tokens`) and sometimes the system role; Ollama and llama.cpp models may
refuse tools or a named `tool_choice`; vLLM refuses a `max_tokens` beyond the context window. Each
quirk is learned from the error that names it, then kept for the (endpoint, model) pair for the
life of the server process, so later searches do not pay for the rejected call again.
"""

from __future__ import annotations

import threading
from typing import Any

# (endpoint, model) -> quirks learned; shared by every coder of the process.
_LEARNED: dict[tuple[str, str], set[str]] = {}
_LOCK = threading.Lock()

NO_TEMPERATURE = "no_temperature"
MAX_COMPLETION_TOKENS = "max_completion_tokens"
NO_MAX_TOKENS = "no_max_tokens"
NO_SYSTEM = "no_system"
NO_TOOL_CHOICE = "no_tool_choice"
NO_TOOLS = "no_tools"


def known(endpoint: str, model: str) -> set[str]:
    with _LOCK:
        return set(_LEARNED.get((endpoint, model), ()))


def remember(endpoint: str, model: str, quirk: str) -> None:
    with _LOCK:
        _LEARNED.setdefault((endpoint, model), set()).add(quirk)


def request(
    model: str,
    messages: list[dict[str, Any]],
    quirks: set[str],
    *,
    temperature: float | None,
    max_output_tokens: int | None,
    tools: list[dict[str, Any]] | None = None,
    tool_choice: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The keyword arguments of one chat.completions call, shaped by the model's quirks."""
    if NO_SYSTEM in quirks and messages and messages[0]["role"] == "system":
        first, rest = messages[0], messages[1:]
        if rest and rest[0]["role"] == "user":
            rest = [
                {**rest[0], "content": f"{first['content']}\n\n{rest[0]['content']}"},
                *rest[1:],
            ]
        messages = rest or [{"role": "user", "content": first["content"]}]
    kwargs: dict[str, Any] = {"model": model, "messages": messages}
    if temperature is not None and NO_TEMPERATURE not in quirks:
        kwargs["temperature"] = temperature
    if tools and NO_TOOLS not in quirks:
        kwargs["tools"] = tools
        if tool_choice is not None and NO_TOOL_CHOICE not in quirks:
            kwargs["tool_choice"] = tool_choice
    if max_output_tokens and NO_MAX_TOKENS not in quirks:
        key = "max_completion_tokens" if MAX_COMPLETION_TOKENS in quirks else "max_tokens"
        kwargs[key] = max_output_tokens
    return kwargs


def learn(error: str, param: str, sent: dict[str, Any]) -> str | None:
    """The quirk a 400 error reveals about a request that `sent` these arguments, if any.

    `error` and `param` are the lower-cased message and `param` of the error body. Tool refusals
    other than `tool_choice` return NO_TOOLS: the caller then reviews with JSON replies."""

    def says(*words: str) -> bool:
        return any(w in param or w in error for w in words)

    if "max_tokens" in sent and says("max_completion_tokens"):
        return MAX_COMPLETION_TOKENS
    if ("max_tokens" in sent or "max_completion_tokens" in sent) and says(
        "maximum context length", "max_tokens", "context window"
    ):
        return NO_MAX_TOKENS
    if "temperature" in sent and says("temperature"):
        return NO_TEMPERATURE
    if sent.get("messages", [{}])[0].get("role") == "system" and (
        "system" in error and ("role" in error or "messages" in param)
    ):
        return NO_SYSTEM
    if "tool_choice" in sent and says("tool_choice", "tool choice"):
        return NO_TOOL_CHOICE
    if "tools" in sent and says("tool", "function"):
        return NO_TOOLS
    return None
