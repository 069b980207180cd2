"""What a search's task does in the kernel before its loop runs: the holdout split, the data and
environment overview for the prompts, and the digest of the notebook above the seed's cell.

These requests queue behind the user's running cell (the %aide magic's, for one), which is why
they run in the search's task and never in a request handler.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .notebook_context import notebook_digest
from .record import SearchRecord


async def prepare(
    rec: SearchRecord, executor: Any, *, remote: bool, root: Path, context_chars: int | None
) -> None:
    """Describe the data and the environment in the kernel (waits behind a running cell).

    `remote`: the kernel is on another host (a gateway), so `data_dir` is checked there;
    `context_chars`: the cap of the notebook digest, None when that is off."""
    assert rec.loop is not None
    cap = rec.config.overview_max_chars
    if remote and rec.info.data_dir:  # a path on the kernel's host: check it there
        rec.info.data_dir = await executor.resolve_dir(rec.info.data_dir)
    split = await rec.loop.prepare_holdout()  # first: nodes and prompts see training rows only
    if rec.info.data:
        rec.loop.data_overview = await executor.describe_data(rec.info.data, cap)
    elif rec.info.data_dir:
        folder = (split or {}).get("data_dir") or rec.info.data_dir
        rec.loop.data_overview = await executor.describe_dir(folder, cap)
    rec.loop.packages = await executor.environment()
    rec.loop.notebook_context = notebook_context(rec, root, context_chars)


def notebook_context(rec: SearchRecord, root: Path, max_chars: int | None) -> str:
    """The digest of the search's saved notebook above the seed's cell ('' when off)."""
    if max_chars is None or not rec.notebook_path:
        return ""
    path = (root / rec.notebook_path).resolve()
    if root not in path.parents:  # recorded paths come from journals on disk too
        return ""
    seed = rec.info.seed or {}
    seed_node = rec.journal.seed_node
    return notebook_digest(
        path,
        seed.get("cell_id"),
        max_chars,
        skip=seed_node.code if seed_node is not None else None,
    )
