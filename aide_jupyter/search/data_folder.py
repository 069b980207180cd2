"""Can a search read its data from this folder? Checked before it starts, by the CLI and the server.

The builtin coder and the holdout harness read the tables at the top of the data folder; an LLM
coder reads whatever the overview shows it, subfolders included. So a folder whose tables all sit
one level down is fine for an LLM but a dead end for the builtin coder or a holdout: the problem
names the subfolder to give instead. A target that is no table's column is named with the closest.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

TABLE_SUFFIXES = (".csv", ".parquet", ".tsv")
MAX_SCANNED = 20_000  # paths looked at below the top: an image folder must not stall the start


def _is_table(path: Path) -> bool:
    return path.suffix.lower() in TABLE_SUFFIXES and not path.name.startswith(".")


def _ordered(tables: list[Path]) -> list[Path]:
    """train.* first, then shallower, then by name: where a target is most likely."""
    return sorted(tables, key=lambda p: (not p.stem.lower().startswith("train"), len(p.parts), p))


def find_tables(data_dir: Path) -> tuple[list[Path], list[Path]]:
    """The tables at the top of `data_dir` and those below it (hidden folders skipped)."""
    top = _ordered([p for p in data_dir.iterdir() if p.is_file() and _is_table(p)])
    deeper: list[Path] = []
    for i, path in enumerate(data_dir.rglob("*")):
        if i >= MAX_SCANNED:
            break
        rel = path.relative_to(data_dir)
        hidden = any(part.startswith(".") for part in rel.parts)
        if len(rel.parts) > 1 and not hidden and _is_table(path) and path.is_file():
            deeper.append(path)
    return top, _ordered(deeper)


def _columns(path: Path) -> list[str] | None:
    """The header of a table, or None when it cannot be read (the search will say more)."""
    import pandas as pd

    try:
        if path.suffix.lower() == ".parquet":
            return [str(c) for c in pd.read_parquet(path).columns]
        sep = "\t" if path.suffix.lower() == ".tsv" else ","
        return [str(c) for c in pd.read_csv(path, nrows=0, sep=sep).columns]
    except Exception as exc:  # an unreadable table is only skipped here
        log.info("cannot read the header of %s: %s", path, exc)
        return None


@dataclass(frozen=True)
class FolderProblem:
    """Why a search cannot read its data: the request field to change, the reason, and the
    subfolder to give as the data folder instead, when that is the fix."""

    field: str  # "data_dir" or "target"
    reason: str
    subfolder: Path | None = None

    def fix(self, data_dir: Path) -> str:
        """`; the tables are in data/` when a subfolder is the fix, else ''."""
        if self.subfolder is None:
            return ""
        return f"; the tables are in {self.subfolder.relative_to(data_dir).as_posix()}/"


def _subfolder(tables: list[Path]) -> Path:
    """The folder of the training table, else the one most of the tables are in."""
    trains = [p.parent for p in tables if p.stem.lower().startswith("train")]
    return trains[0] if trains else Counter(p.parent for p in tables).most_common(1)[0][0]


def folder_problem(
    data_dir: Path, target: str | None, *, top_level_only: bool
) -> FolderProblem | None:
    """None when a search can read its data from `data_dir`, else why not.
    `top_level_only`: the builtin coder or a holdout will read it."""
    top, deeper = find_tables(data_dir)
    where = "the builtin coder and a holdout read only the top of the data folder"
    if not top and deeper and top_level_only:
        return FolderProblem("data_dir", f"no table at its top ({where})", _subfolder(deeper))
    if not target:
        return None
    readable: list[tuple[Path, list[str]]] = []
    for path in top + deeper:  # headers read until one that settles it (train.* comes first)
        cols = _columns(path)
        if cols is None:
            continue
        if target in cols and (path.parent == data_dir or not top_level_only):
            return None  # at the top, or below it for an LLM coder, which reads subfolders too
        readable.append((path, cols))
    if not readable:
        return None  # no table to check (images, text, ...): the coder reads the files itself
    holding = [p for p, cols in readable if target in cols]  # only below the top, here
    if holding:
        reason = f"{target!r} is a column only of tables in a subfolder ({where})"
        return FolderProblem("target", reason, _subfolder(holding))
    from .columns import missing_column

    path, columns = readable[0]
    where_found = path.relative_to(data_dir).as_posix()
    return FolderProblem("target", missing_column(target, columns, where_found))
