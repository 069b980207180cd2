"""A coder on any OpenAI-compatible chat endpoint (OpenAI, Azure, vLLM, Ollama, LiteLLM, ...).

Every call is bounded: a timeout, then at most `max_retries` retries with exponential backoff that
honours Retry-After, on 429, 5xx, timeouts and dropped connections. The SDK's own retries are
off, so this policy is the only one.
What a model cannot take (tools, temperature, max_tokens, ...) is learned from the API's error and
remembered per endpoint and model (quirks.py). An endpoint that cannot serve at all (unreachable,
401/403/404, retries exhausted) raises LLMUnavailable: the search pauses instead of failing nodes.
The API key comes from the settings or OPENAI_API_KEY and is never logged, returned or stored.
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import logging
import os
import re
import time
from dataclasses import replace
from typing import Any

import openai
from openai import AsyncOpenAI

from aide_jupyter.search.coder import CodeReply, CoderError, LLMUnavailable, ReviewReply, Usage
from aide_jupyter.search.prompts import REVIEW_JSON_FORMAT, Prompt

from . import quirks

logger = logging.getLogger(__name__)

# USD per million tokens (input, output). Override or extend with `prices=`; unknown: cost unknown.
DEFAULT_PRICES: dict[str, tuple[float, float]] = {
    "gpt-4o": (2.5, 10.0),
    "gpt-4o-mini": (0.15, 0.6),
    "gpt-4.1": (2.0, 8.0),
    "gpt-4.1-mini": (0.4, 1.6),
    "gpt-4.1-nano": (0.1, 0.4),
    "o3-mini": (1.1, 4.4),
    "o4-mini": (1.1, 4.4),
    "o3": (2.0, 8.0),
}
REVIEW_TOOL: dict[str, Any] = {
    "type": "function",
    "function": {
        "name": "submit_review",
        "description": "Submit the review of one run of a machine learning script.",
        "parameters": {
            "type": "object",
            "properties": {
                "is_bug": {"type": "boolean", "description": "the run failed or has no metric"},
                "summary": {"type": "string", "description": "2-4 sentences on the run"},
                "metric": {"type": ["number", "null"], "description": "validation metric"},
                "lower_is_better": {"type": "boolean", "description": "true for losses/errors"},
            },
            "required": ["is_bug", "summary", "metric", "lower_is_better"],
        },
    },
}
# An endpoint answering these cannot serve the search (key, permission, model): pause, no retry.
_UNSERVABLE = (401, 403, 404)
_TRANSIENT = (408, 409, 429)


class _ToolsRejected(Exception):
    """The endpoint refused function calling for this model."""


def parse_review_args(data: Any) -> tuple[bool, str, float | None, bool | None]:
    """Validate submit_review arguments; ValueError says what is wrong."""
    if not isinstance(data, dict):
        raise ValueError("review arguments must be a JSON object")
    is_bug = data.get("is_bug")
    if not isinstance(is_bug, bool):
        raise ValueError("is_bug must be true or false")
    metric = data.get("metric")
    if isinstance(metric, str):
        metric = float(metric) if metric.strip() else None
    if metric is not None and (isinstance(metric, bool) or not isinstance(metric, (int, float))):
        raise ValueError("metric must be a number or null")
    lower = data.get("lower_is_better")
    if lower is not None and not isinstance(lower, bool):
        raise ValueError("lower_is_better must be true or false")
    return is_bug, str(data.get("summary", "")), None if metric is None else float(metric), lower


def json_object(text: str) -> Any:
    """The first JSON object in a reply (fences and prose around it are ignored)."""
    start, end = text.find("{"), text.rfind("}")
    if start < 0 or end <= start:
        raise ValueError("no JSON object in the reply")
    return json.loads(text[start : end + 1])


def retry_after_s(exc: Exception) -> float | None:
    """Seconds from a Retry-After (or retry-after-ms) header, if the error response has one."""
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None)
    if not headers:
        return None
    if headers.get("retry-after-ms"):
        try:
            return float(headers["retry-after-ms"]) / 1000.0
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        when = email.utils.parsedate_to_datetime(value)
        return None if when is None else max(0.0, when.timestamp() - time.time())


def price_of(
    model: str, prices: dict[str, tuple[float, float]] | None = None
) -> tuple[float, float] | None:
    """USD per million tokens (input, output) of `model`, or None when unknown; dated names like
    gpt-4o-2024-08-06 take the longest known prefix."""
    table = {**DEFAULT_PRICES, **(prices or {})}
    if model in table:
        return table[model]
    known = sorted((k for k in table if model.startswith(k)), key=len)
    return table[known[-1]] if known else None


def _unreachable(exc: Exception) -> bool:
    """Connection refused or unknown host: no point retrying (a timeout or a reset is transient)."""
    if isinstance(exc, openai.APITimeoutError) or not isinstance(exc, openai.APIConnectionError):
        return False
    # By name: the SDK may bring its own copy of httpx (httpx2), whose classes differ from httpx's.
    return any(k.__name__ == "ConnectError" for k in type(exc.__cause__).__mro__)


def _server_message(exc: Exception) -> str:
    """The endpoint's own error message (from its JSON body), without the SDK's prefix."""
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        inner = body.get("error", body)
        text = inner.get("message") if isinstance(inner, dict) else inner
        if isinstance(text, str) and text.strip():
            return text.strip()[:300]
    text = str(getattr(exc, "message", "") or "").strip()
    return re.sub(r"^Error code: \d+ - ", "", text)[:300]


def _describe(exc: Exception) -> str:
    """One line for users: the status or the connection problem, with the server's message."""
    status = getattr(exc, "status_code", None)
    if status is not None:
        message = _server_message(exc)
        return redact(f"HTTP {status}: {message}" if message else f"HTTP {status}")
    cause = exc.__cause__
    if _unreachable(exc):
        return redact(f"unreachable: {cause}" if str(cause) else "unreachable")
    if isinstance(exc, openai.APITimeoutError):
        return "timed out"
    return redact(f"{type(exc).__name__}: {cause or exc}")


class OpenAICoder:
    """LLM coder through the `openai` SDK; safe to call concurrently."""

    def __init__(
        self,
        model: str,
        *,
        feedback_model: str | None = None,
        base_url: str | None = None,
        api_key: str | None = None,
        timeout_s: float = 120.0,
        max_retries: int = 4,
        backoff_s: float = 1.0,
        max_backoff_s: float = 60.0,
        temperature: float | None = 0.5,
        prices: dict[str, tuple[float, float]] | None = None,
        reply_retries: int = 2,
        max_output_tokens: int | None = None,
        **_ignored: Any,
    ) -> None:
        self.name = model
        self.model = model
        self.feedback_model = feedback_model or model
        self.base_url = base_url or os.environ.get("OPENAI_BASE_URL") or None
        key = api_key or os.environ.get("OPENAI_API_KEY")
        if not key and self.base_url is None:
            raise CoderError("no API key: set OPENAI_API_KEY (or use model 'builtin')")
        self.timeout_s = timeout_s
        self.max_retries = max_retries
        self.backoff_s = backoff_s
        self.max_backoff_s = max_backoff_s
        self.temperature = temperature
        self.prices = {**DEFAULT_PRICES, **(prices or {})}
        self.reply_retries = reply_retries
        self.max_output_tokens = max_output_tokens
        self.usage = Usage()
        self._unpriced: set[str] = set()
        self._client = AsyncOpenAI(
            api_key=key or "not-needed", base_url=self.base_url, timeout=timeout_s, max_retries=0
        )

    @property
    def endpoint(self) -> str:
        """The base URL requests go to (never the key)."""
        return str(self._client.base_url).rstrip("/")

    def __repr__(self) -> str:
        return f"OpenAICoder(model={self.model!r}, base_url={self.base_url!r})"

    def settings(self) -> dict[str, Any]:
        """Settings safe to show or store (never the key)."""
        return {
            "model": self.model,
            "feedback_model": self.feedback_model,
            "base_url": self.base_url,
            "timeout_s": self.timeout_s,
            "max_retries": self.max_retries,
            "temperature": self.temperature,
        }

    # ----- Coder protocol -----

    async def draft(self, prompt: Prompt) -> CodeReply:
        return await self._code(prompt)

    async def improve(self, prompt: Prompt) -> CodeReply:
        return await self._code(prompt)

    async def debug(self, prompt: Prompt) -> CodeReply:
        return await self._code(prompt)

    async def review(self, prompt: Prompt) -> ReviewReply:
        model = self.feedback_model
        usage = Usage()
        if quirks.NO_TOOLS not in quirks.known(self.endpoint, model):
            try:
                return await self._review_tools(prompt, usage)
            except _ToolsRejected:
                logger.info("model %s rejects tools; reviewing with JSON replies", model)
        json_prompt = replace(
            prompt, sections={**prompt.sections, "response_format": REVIEW_JSON_FORMAT}
        )
        messages = self._messages(json_prompt)
        problem = ""
        for _ in range(self.reply_retries + 1):
            message, _finish, used = await self._chat(model, messages)
            usage.add(used)
            try:
                is_bug, summary, metric, lower = parse_review_args(
                    json_object(message.content or "")
                )
                return ReviewReply(is_bug, summary, metric, lower, usage, model)
            except ValueError as exc:
                problem = str(exc)
                messages = [
                    *messages[:2],
                    {
                        "role": "user",
                        "content": f"{messages[1]['content']}\n\nYour previous reply was not usable "
                        f"({problem}). Reply with only the JSON object.",
                    },
                ]
        raise CoderError(f"no usable review after {self.reply_retries + 1} attempts: {problem}")

    async def close(self) -> None:
        await self._client.close()

    # ----- internals -----

    async def _review_tools(self, prompt: Prompt, usage: Usage) -> ReviewReply:
        model = self.feedback_model
        messages = self._messages(prompt)
        choice = {"type": "function", "function": {"name": "submit_review"}}
        problem = ""
        for _ in range(self.reply_retries + 1):
            message, _finish, used = await self._chat(
                model, messages, tools=[REVIEW_TOOL], tool_choice=choice
            )
            usage.add(used)
            calls = message.tool_calls or []
            raw = calls[0].function.arguments if calls else (message.content or "")
            try:
                data = json.loads(raw) if calls else json_object(raw)
                is_bug, summary, metric, lower = parse_review_args(data)
                return ReviewReply(is_bug, summary, metric, lower, usage, model)
            except ValueError as exc:  # includes json.JSONDecodeError
                problem = f"invalid submit_review arguments: {exc}"
                logger.info("review by %s unusable: %s", model, problem)
        raise CoderError(f"no usable review after {self.reply_retries + 1} attempts: {problem}")

    async def _code(self, prompt: Prompt) -> CodeReply:
        message, finish, usage = await self._chat(self.model, self._messages(prompt))
        return CodeReply(message.content or "", usage, self.model, truncated=finish == "length")

    @staticmethod
    def _messages(prompt: Prompt) -> list[dict[str, Any]]:
        return [
            {"role": "system", "content": prompt.system},
            {"role": "user", "content": prompt.render()},
        ]

    def _cost(self, model: str, tokens_in: int, tokens_out: int) -> float | None:
        price = price_of(model, self.prices)
        if price is None:
            if model not in self._unpriced:
                self._unpriced.add(model)
                logger.warning(
                    "no price for model %s: cost unknown (set c.AideExtension.price_table)", model
                )
            return None
        return (tokens_in * price[0] + tokens_out * price[1]) / 1e6

    async def _chat(
        self,
        model: str,
        messages: list[dict[str, Any]],
        *,
        tools: list[dict[str, Any]] | None = None,
        tool_choice: dict[str, Any] | None = None,
    ) -> tuple[Any, str, Usage]:
        """One chat completion with bounded retries; returns (message, finish_reason, usage)."""
        attempt = 0
        while True:
            learned = quirks.known(self.endpoint, model)
            kwargs = quirks.request(
                model,
                messages,
                learned,
                temperature=self.temperature,
                max_output_tokens=self.max_output_tokens,
                tools=tools,
                tool_choice=tool_choice,
            )
            if tools and "tools" not in kwargs:
                raise _ToolsRejected("learned earlier")
            try:
                response = await self._client.chat.completions.create(**kwargs)
            except openai.BadRequestError as exc:
                quirk = quirks.learn(
                    str(getattr(exc, "message", "") or exc).lower(),
                    str(getattr(exc, "param", "") or "").lower(),
                    kwargs,
                )
                if quirk is not None and quirk not in learned:
                    logger.info("model %s at %s: learned %s", model, self.endpoint, quirk)
                    quirks.remember(self.endpoint, model, quirk)
                    if quirk == quirks.NO_TOOLS:
                        raise _ToolsRejected(str(exc.message)) from exc
                    continue
                raise CoderError(redact(f"request rejected by {model}: {exc.message}")) from exc
            except (openai.APIConnectionError, openai.APIStatusError) as exc:
                status = getattr(exc, "status_code", None)
                what = _describe(exc)
                if status in _UNSERVABLE or _unreachable(exc):
                    raise LLMUnavailable(self.endpoint, model, what) from exc
                retryable = isinstance(exc, openai.APIConnectionError) or status in _TRANSIENT
                retryable = retryable or (status is not None and status >= 500)
                if not retryable:
                    raise CoderError(redact(f"{model} call failed ({what})")) from exc
                attempt += 1
                if attempt > self.max_retries:
                    raise LLMUnavailable(
                        self.endpoint, model, f"still failing after {attempt} attempts ({what})"
                    ) from exc
                delay = retry_after_s(exc)
                if delay is None:
                    delay = self.backoff_s * 2 ** (attempt - 1)
                delay = min(delay, self.max_backoff_s)
                logger.info("%s call failed (%s); retry %d in %.2f s", model, what, attempt, delay)
                await asyncio.sleep(delay)
                continue
            if not response.choices:
                raise CoderError(f"{model} returned no choices")
            usage = self._usage(model, response)
            choice = response.choices[0]
            return choice.message, choice.finish_reason or "", usage

    def _usage(self, model: str, response: Any) -> Usage:
        u = getattr(response, "usage", None)
        tokens_in = int(getattr(u, "prompt_tokens", 0) or 0)
        tokens_out = int(getattr(u, "completion_tokens", 0) or 0)
        used = Usage(tokens_in, tokens_out, self._cost(model, tokens_in, tokens_out), calls=1)
        self.usage.add(used)
        return used


def redact(text: str) -> str:
    """Hide anything that looks like an API key (for error messages shown to users)."""
    return re.sub(r"sk-[A-Za-z0-9_-]{8,}", "sk-***", text)
