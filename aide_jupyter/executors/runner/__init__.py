"""Kernel-side runner: runs one isolated child per node from the user's live kernel.

Standard library only: the server ships these files' text into kernels that lack the package
(`protocol.install_runner_code`), installed as one package module named after a hash of the text, its
parts in `PARTS` order (each imports only earlier ones). See docs/executor.md.
"""

from __future__ import annotations

from .common import (
    FILENAME,
    capabilities,
    choose_mode,
    default_mode,
    package_sources,
    read_capped,
    variables,
)
from .core import Runner
from .entry import Reply, call

PARTS = ("common", "remote", "child", "forked", "portable", "core", "entry", "__init__")

__all__ = [
    "FILENAME",
    "PARTS",
    "Reply",
    "Runner",
    "call",
    "capabilities",
    "choose_mode",
    "default_mode",
    "read_capped",
    "sources",
    "variables",
]


def sources() -> list[list[str]]:
    """[[part, text], ...] in install order: the shipped text, or the files when imported."""
    import sys

    return package_sources(sys.modules[__name__])


# kept for callers of the single-file runner
_read_capped = read_capped
