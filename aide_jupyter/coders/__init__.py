"""Coders write and review solutions: any OpenAI-compatible LLM, or the offline builtin baseline."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from aide_jupyter.search.coder import (
    Coder,
    CodeReply,
    CoderError,
    LLMUnavailable,
    ReviewReply,
    Usage,
)

__all__ = [
    "DEFAULT_LLM_MODEL",
    "CodeReply",
    "Coder",
    "CoderError",
    "LLMUnavailable",
    "ReviewReply",
    "Usage",
    "coder_kind",
    "default_model",
    "llm_configured",
    "llm_key_hint",
    "make_coder",
]

# The model a search uses when a key or endpoint is set and nobody named one (AIDE_MODEL overrides).
DEFAULT_LLM_MODEL = "gpt-4o-mini"


def llm_configured(environ: Mapping[str, str] | None = None) -> bool:
    """A key or an endpoint in the environment: the user wants the LLM."""
    env = os.environ if environ is None else environ
    return bool(env.get("OPENAI_API_KEY") or env.get("OPENAI_BASE_URL"))


def llm_key_hint(model: str) -> str:
    """The line for an LLM model without a key or an endpoint to use it with."""
    return (
        f"--model {model}: no LLM key: set OPENAI_API_KEY (and OPENAI_BASE_URL for another "
        "OpenAI-compatible endpoint) where the search runs, or use --model builtin (offline)"
    )


def default_model(
    environ: Mapping[str, str] | None = None,
    *,
    llm_model: str = DEFAULT_LLM_MODEL,
    llm: bool | None = None,
) -> str:
    """The model of a search that names none: AIDE_MODEL or `llm_model` when an LLM is
    configured (`llm`, else judged from the environment), else the offline builtin coder."""
    env = os.environ if environ is None else environ
    if not (llm_configured(env) if llm is None else llm):
        return "builtin"
    return env.get("AIDE_MODEL") or llm_model or DEFAULT_LLM_MODEL


def coder_kind(model: str) -> str:
    """`builtin` or `openai`: what the summaries call the coder of `model`."""
    return "builtin" if model == "builtin" else "openai"


def make_coder(model: str, **settings: Any) -> Coder:
    """`"builtin"` gives the offline baseline coder; any other name an OpenAI-compatible coder."""
    if model == "builtin":
        from .builtin import BuiltinCoder

        return BuiltinCoder(**settings)
    from .openai import OpenAICoder

    return OpenAICoder(model=model, **settings)
