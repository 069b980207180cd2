"""A capped digest of the user's notebook for the prompts: what they already did, above their cell.

Improvements fit the user's work when the coder sees the imports and feature engineering of the
notebook. The server reads the saved notebook (the path was confined to the root when the search
was created); the kernel cannot. The digest lists the import lines first (cheap and the most
telling), then the code cells above the seed's cell, the nearest ones kept when the cap bites.
`%aide` cells and the seed's own code are left out.
"""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)
_IMPORT = re.compile(r"^\s*(import\s+\S|from\s+\S+\s+import\s)")
_MAX_FILE_BYTES = 20_000_000


def _source(cell: dict[str, Any]) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source or "")


def code_cells_above(
    notebook: dict[str, Any], cell_id: str | None, skip: str | None = None
) -> list[str]:
    """Sources of the code cells above `cell_id` (all of them when it is None or not found)."""
    cells = [c for c in notebook.get("cells") or [] if isinstance(c, dict)]
    ids = [c.get("id") for c in cells]
    if cell_id is not None and cell_id in ids:
        cells = cells[: ids.index(cell_id)]
    out = []
    for cell in cells:
        text = _source(cell)
        if cell.get("cell_type") != "code" or not text.strip():
            continue
        if text.lstrip().startswith(("%aide", "%%aide", "%load_ext aide_jupyter")):
            continue
        if skip is not None and text.strip() == skip.strip():
            continue
        out.append(text.rstrip())
    return out


def digest(sources: list[str], max_chars: int) -> str:
    """Imports, then the cells nearest the seed (oldest first in the text), within `max_chars`."""
    if max_chars <= 0 or not sources:
        return ""
    imports = list(
        dict.fromkeys(
            line.strip() for text in sources for line in text.splitlines() if _IMPORT.match(line)
        )
    )
    parts: list[str] = []
    budget = max_chars
    if imports:
        head = "Imports in the notebook:\n" + "\n".join(imports)
        head = head[:budget]
        parts.append(head)
        budget -= len(head) + 2
    budget -= 80  # the line that introduces the cells
    kept: list[str] = []
    for number, text in reversed(list(enumerate(sources, 1))):
        body = "\n".join(line for line in text.splitlines() if not _IMPORT.match(line)).strip()
        if not body:
            continue
        block = f"# --- code cell {number} of {len(sources)} above ---\n{body}"
        if len(block) > budget:
            if not kept and budget > 200:  # the nearest cell matters most: keep its tail
                kept.append(f"# --- code cell {number} (cut) ---\n...{body[-(budget - 60) :]}")
            break
        kept.append(block)
        budget -= len(block) + 2
    if kept:
        skipped = len(sources) - len(kept)
        intro = "Code cells above the user's cell" + (
            f" (the {skipped} earliest left out to fit):" if skipped else ":"
        )
        parts.append(intro + "\n" + "\n\n".join(reversed(kept)))
    return "\n\n".join(parts)


def notebook_digest(
    path: Path, cell_id: str | None, max_chars: int, skip: str | None = None
) -> str:
    """The digest of the saved notebook at `path`, or '' when it is missing or unreadable."""
    try:
        if not path.is_file() or path.stat().st_size > _MAX_FILE_BYTES:
            return ""
        notebook = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        log.info("aide: no notebook context from %s (%s)", path, exc)
        return ""
    if not isinstance(notebook, dict):
        return ""
    return digest(code_cells_above(notebook, cell_id, skip), max_chars)
