"""Shared pytest set-up: pytest-jupyter's server fixtures (which also run `async def` tests), and
the set-ups most server tests share (a test file that needs another one defines its own)."""

from __future__ import annotations

import functools
from typing import Any

import pytest

from tests.support_server import SERVER_CONFIG, frame_kernels, run_code

pytest_plugins = ("pytest_jupyter.jupyter_server",)


@pytest.fixture
def jp_server_config() -> dict[str, Any]:
    """A Jupyter server with the aide_jupyter extension on."""
    return SERVER_CONFIG


@pytest.fixture
def no_llm(monkeypatch: pytest.MonkeyPatch) -> None:
    """No LLM configured: the server's default model is the builtin coder."""
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "AIDE_MODEL"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def frame_kernel(jp_fetch: Any, jp_serverapp: Any) -> Any:
    """`await frame_kernel(path)`: a local notebook kernel holding the test frame `df`."""
    return frame_kernels(jp_fetch, functools.partial(run_code, jp_serverapp))
