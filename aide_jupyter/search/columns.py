"""The one-line answer to a target that is not a column: the closest names first, then all."""

from __future__ import annotations

import difflib

MAX_LISTED = 60


def missing_column(target: str, columns: list[str], where: str) -> str:
    """`'pric' is not a column of df; closest: price; columns (14): ...` with every column (or
    the first MAX_LISTED, the count saying how many there are)."""
    lowered = {c.lower(): c for c in columns}
    close = difflib.get_close_matches(target.lower(), list(lowered), n=3, cutoff=0.5)
    exact_case = lowered.get(target.lower())
    hints = [lowered[c] for c in close]
    if exact_case is not None and exact_case not in hints:
        hints.insert(0, exact_case)
    listed = columns[:MAX_LISTED]
    shown = ", ".join(listed) + (
        f", ... ({len(columns) - len(listed)} more)" if len(columns) > len(listed) else ""
    )
    closest = f"; closest: {', '.join(hints)}" if hints else ""
    return f"{target!r} is not a column of {where}{closest}; columns ({len(columns)}): {shown}"
