"""Up-front checks of `jupyter aide run`'s inputs (the data folder, the target, the seed file):
fail in one line before the search starts, not in every node.

The builtin coder and the holdout harness read the tables at the top of the data folder; an LLM
coder reads whatever the overview shows it, subfolders included. So a folder whose tables all sit
one level down is fine for an LLM but a dead end for the builtin coder or a holdout, and is caught
here with the folder to pass instead.
"""

from __future__ import annotations

import logging
from collections import Counter
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


def _folder_hint(data_dir: Path, tables: list[Path], why: str) -> str:
    """`... : pass --data-dir <the subfolder most of the tables are in>`."""
    folder = Counter(p.parent for p in tables).most_common(1)[0][0]
    if any(p.stem.lower().startswith("train") for p in tables):
        folder = next(p.parent for p in tables if p.stem.lower().startswith("train"))
    rel = folder.relative_to(data_dir).as_posix()
    return f"{why}; the tables are in {rel}/: pass --data-dir {folder}"


def check_data_dir(data_dir: Path, target: str | None, *, top_level_only: bool) -> str:
    """'' when a search can read its data from `data_dir`, else the one-line reason (with the
    option to fix first). `top_level_only`: the builtin coder or a holdout will read it."""
    top, deeper = find_tables(data_dir)
    where = "the builtin coder and --holdout read only the top of --data-dir"
    if not top and deeper and top_level_only:
        return "--data-dir: " + _folder_hint(data_dir, deeper, f"no table at its top ({where})")
    if not target:
        return ""
    readable = [(p, cols) for p in top + deeper if (cols := _columns(p)) is not None]
    if not readable:
        return ""  # no table to check (images, text, ...): the coder reads the files itself
    holding = [p for p, cols in readable if target in cols]
    if any(p.parent == data_dir for p in holding):
        return ""
    if holding and not top_level_only:
        return ""  # an LLM coder reads subfolders too
    if holding:
        return "--target: " + _folder_hint(
            data_dir, holding, f"{target!r} is a column only of tables in a subfolder ({where})"
        )
    from aide_jupyter.search.columns import missing_column

    path, columns = readable[0]
    return "--target: " + missing_column(target, columns, path.relative_to(data_dir).as_posix())


def read_seed_file(given: str) -> str:
    """The code of `--seed FILE`; ValueError with the one-line reason when it cannot be used."""
    from aide_jupyter.search.seeding import MAX_SEED_CHARS

    path = Path(given).expanduser()
    if path.suffix.lower() == ".ipynb":
        raise ValueError(
            f"--seed: {given} is a notebook; give a .py script (jupyter nbconvert --to script "
            "makes one), or use %%aide improve on the cell in the notebook"
        )
    try:
        code = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ValueError(f"--seed: {given}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"--seed: cannot read {given} as UTF-8 text ({exc})") from None
    if not code.strip():
        raise ValueError(f"--seed: {given} is empty; give the script to start from")
    if len(code) > MAX_SEED_CHARS:
        raise ValueError(
            f"--seed: {given} has {len(code):,} characters, more than {MAX_SEED_CHARS:,}"
        )
    return code


def relative_data_paths(code: str, bases: list[Path]) -> list[str]:
    """Files the seed opens by a relative path that exists from one of `bases`, as the first
    argument of a call (`pd.read_csv("train.csv")`, not `DATA / "train.csv"`): they will not be
    found, since every node runs in its own folder."""
    import ast

    try:
        tree = ast.parse(code)
    except SyntaxError:
        return []  # the seed runs as written; the debug step will see the error
    found: list[str] = []
    for call in ast.walk(tree):
        if not isinstance(call, ast.Call) or not call.args:
            continue
        first = call.args[0]
        if not isinstance(first, ast.Constant) or not isinstance(first.value, str):
            continue
        text = first.value
        if not text or "\n" in text or len(text) > 300 or Path(text).is_absolute():
            continue
        if any((base / text).is_file() for base in bases) and text not in found:
            found.append(text)
    return found
