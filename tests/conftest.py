"""Shared pytest set-up: pytest-jupyter's server fixtures (which also run `async def` tests)."""

from __future__ import annotations

pytest_plugins = ("pytest_jupyter.jupyter_server",)
