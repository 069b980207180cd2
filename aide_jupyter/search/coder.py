"""The engine's port to a coder: code for draft/improve/debug, a review of a run, usage.

It lives in search/ because the search owns what it needs; coders/ implements it (the LLM coder,
the builtin baseline), and search/ never imports coders/.

Code replies are raw text in the LLM format (a plan, then one fenced python block); the search
parses them the same way whatever wrote them, so the builtin coder exercises the whole pipeline.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from .prompts import Prompt


class CoderError(RuntimeError):
    """The coder could not answer this request (unusable replies, a request the model refused)."""


class LLMUnavailable(CoderError):
    """The endpoint cannot serve the search at all: unreachable, auth or model refused, or still
    failing after the bounded retries. The search pauses rather than burn steps on it."""

    def __init__(self, endpoint: str, model: str, error: str) -> None:
        super().__init__(f"LLM endpoint {endpoint} (model {model}): {error}")
        self.endpoint, self.model, self.error = endpoint, model, error


@dataclass
class Usage:
    """Tokens and cost, per reply and summed per coder. `cost_usd` None: unknown (a model
    without a price was used), never a silent 0."""

    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: float | None = 0.0
    calls: int = 0

    def add(self, other: Usage) -> None:
        self.tokens_in += other.tokens_in
        self.tokens_out += other.tokens_out
        self.cost_usd = add_cost(self.cost_usd, other.cost_usd)
        self.calls += other.calls


def add_cost(a: float | None, b: float | None) -> float | None:
    """Sum of two costs; unknown if either is."""
    return None if a is None or b is None else a + b


@dataclass
class CodeReply:
    """A reply to draft/improve/debug: raw text plus what it cost."""

    text: str
    usage: Usage
    model: str = ""
    truncated: bool = False


@dataclass
class ReviewReply:
    """The reviewer's verdict on one run (as submitted, before the search's cross-checks)."""

    is_bug: bool
    summary: str
    metric: float | None
    lower_is_better: bool | None
    usage: Usage
    model: str = ""


@runtime_checkable
class Coder(Protocol):
    """Writes and reviews solutions. Implementations must be safe to call concurrently."""

    name: str
    usage: Usage

    async def draft(self, prompt: Prompt) -> CodeReply: ...

    async def improve(self, prompt: Prompt) -> CodeReply: ...

    async def debug(self, prompt: Prompt) -> CodeReply: ...

    async def review(self, prompt: Prompt) -> ReviewReply: ...

    async def close(self) -> None: ...
