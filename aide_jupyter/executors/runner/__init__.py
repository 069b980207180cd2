"""Kernel-side runner: runs one isolated child per node from the user's live kernel.

Standard library only: the server ships these files' text into kernels that lack the package
(`protocol.install_code`), installed as one package module named after a hash of the text, its
parts in `PARTS` order (each imports only earlier ones). See docs/executor.md.
"""

from __future__ import annotations

import os

from .common import FILENAME, capabilities, choose_mode, default_mode, read_capped, variables
from .core import Runner
from .entry import Reply, call

PARTS = ("common", "child", "forked", "portable", "core", "entry", "__init__")

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

    pkg = sys.modules[__name__]
    out = []
    for part in PARTS:
        mod = pkg if part == "__init__" else getattr(pkg, part)
        text = getattr(mod, "_SOURCE", None)
        if text is None:
            path = os.path.join(os.path.dirname(__file__), f"{part}.py")
            with open(path, encoding="utf-8") as fh:
                text = fh.read()
        out.append([part, text])
    return out


# kept for callers of the single-file runner
_read_capped = read_capped
