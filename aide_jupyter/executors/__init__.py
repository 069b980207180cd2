"""Executors that run node scripts in a Jupyter kernel's host (see docs/executor.md)."""

from __future__ import annotations

from aide_jupyter.executors.kernel import KernelExecutor
from aide_jupyter.executors.standalone import StandaloneExecutor

__all__ = ["KernelExecutor", "StandaloneExecutor"]
