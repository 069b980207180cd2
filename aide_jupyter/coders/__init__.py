"""Coders write and review solutions: any OpenAI-compatible LLM, or the offline builtin baseline."""

from __future__ import annotations

from typing import Any

from aide_jupyter.search.coder import Coder, CodeReply, CoderError, ReviewReply, Usage

__all__ = ["CodeReply", "Coder", "CoderError", "ReviewReply", "Usage", "make_coder"]


def make_coder(model: str, **settings: Any) -> Coder:
    """`"builtin"` gives the offline baseline coder; any other name an OpenAI-compatible coder."""
    if model == "builtin":
        from .builtin import BuiltinCoder

        return BuiltinCoder(**settings)
    from .openai import OpenAICoder

    return OpenAICoder(model=model, **settings)
