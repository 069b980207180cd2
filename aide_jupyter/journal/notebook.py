"""Journal <-> journal.ipynb (schema 1): write a whole search atomically, load it back exactly.

The notebook text is assembled from per-node JSON fragments (`node_fragment`) between a fixed
header and a metadata footer, so `JournalWriter` can cache fragments and re-serialize only the
nodes that changed. Loading parses the JSON itself to tell truncated files from hand-edit mistakes.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from aide_jupyter.journal.atomic import atomic_write
from aide_jupyter.journal.errors import (
    JournalCorrupt,
    JournalError,
    JournalInvalidJSON,
    JournalSchemaTooNew,
    JournalTruncated,
    NotAnAideJournal,
)
from aide_jupyter.journal.schema import (
    SCHEMA_VERSION,
    NodeRecord,
    node_cells,
    search_from_meta,
    search_meta,
)
from aide_jupyter.search.journal import Journal, Node, SearchInfo

log = logging.getLogger(__name__)

JOURNAL_NAME = "journal.ipynb"
_HEADER = '{\n "cells": [\n'
_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)


def node_fragment(node: Node) -> str:
    """The node's cells as JSON text, ready to sit in the notebook's `cells` array."""
    return ",\n".join(
        json.dumps(cell, ensure_ascii=False, indent=1, sort_keys=True, allow_nan=False)
        for cell in node_cells(node)
    )


def notebook_metadata(
    info: SearchInfo, lower_is_better: bool | None, n_nodes: int
) -> dict[str, Any]:
    return {
        "aide": {
            "schema": SCHEMA_VERSION,
            "search": search_meta(info),
            "journal": {"lower_is_better": lower_is_better, "nodes": n_nodes},
        },
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    }


def notebook_footer(metadata: dict[str, Any]) -> str:
    meta = json.dumps(metadata, ensure_ascii=False, indent=1, sort_keys=True, allow_nan=False)
    return f'\n ],\n "metadata": {meta},\n "nbformat": 4,\n "nbformat_minor": 5\n}}\n'


def notebook_chunks(fragments: Iterable[str], footer: str) -> Iterator[str]:
    yield _HEADER
    for i, fragment in enumerate(fragments):
        yield fragment if i == 0 else ",\n" + fragment
    yield footer


def notebook_text(info: SearchInfo, journal: Journal) -> str:
    meta = notebook_metadata(info, journal.lower_is_better, len(journal))
    fragments = (node_fragment(n) for n in journal.nodes)
    return "".join(notebook_chunks(fragments, notebook_footer(meta)))


def write_journal(
    path: str | os.PathLike[str],
    info: SearchInfo,
    journal: Journal,
    *,
    overwrite_invalid: bool = False,
) -> Path:
    """Write the whole journal atomically. An existing file that does not load as a journal of
    this search is left alone (JournalError) unless `overwrite_invalid`."""
    target = Path(path)
    if target.exists() and not overwrite_invalid:
        check_overwritable(target, info.id)
    target.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(target, notebook_text(info, journal))
    return target


def check_overwritable(path: Path, search_id: str) -> None:
    """Raise unless `path` holds a loadable journal of the same search."""
    other, _ = load_journal(path)
    if other.id != search_id:
        raise JournalError(
            path, f"holds search {other.id!r}, not {search_id!r}; not overwriting it"
        )


# ---- loading -----------------------------------------------------------------------------------


def load_journal(path: str | os.PathLike[str]) -> tuple[SearchInfo, Journal]:
    """Rebuild the search's info and its whole tree from a journal notebook."""
    target = Path(path)
    try:
        raw = target.read_bytes()
    except FileNotFoundError:
        raise JournalError(target, "no such file") from None
    except OSError as exc:
        raise JournalError(target, f"cannot read it ({exc.strerror or exc})") from exc
    return journal_from_dict(target, parse_json(target, raw))


def parse_json(path: Path, raw: bytes) -> Any:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise JournalInvalidJSON(path, f"not UTF-8 text (bad byte at offset {exc.start})") from None
    if not text.strip():
        raise JournalTruncated(path, f"the file is empty ({len(raw)} bytes): nothing to load")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        if _unfinished(text):
            raise JournalTruncated(
                path, f"the JSON stops early at {len(raw)} bytes (truncated file?): {exc.msg}"
            ) from None
        raise JournalInvalidJSON(
            path, f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
        ) from None


def _unfinished(text: str) -> bool:
    """True when the text ends inside a string or with brackets still open: a cut-off file."""
    body = _STRINGS.sub("", text)
    if '"' in body:
        return True
    depth = 0
    for ch in body:
        if ch in "[{":
            depth += 1
        elif ch in "]}":
            depth -= 1
    return depth > 0


def journal_from_dict(path: Path, nb: Any) -> tuple[SearchInfo, Journal]:
    if not isinstance(nb, dict) or nb.get("nbformat") != 4 or not isinstance(nb.get("cells"), list):
        raise NotAnAideJournal(path, "not an nbformat 4 notebook, so not an AIDE journal")
    meta = nb.get("metadata")
    aide = meta.get("aide") if isinstance(meta, dict) else None
    if not isinstance(aide, dict):
        raise NotAnAideJournal(path, "a notebook without 'aide' metadata: not an AIDE journal")
    schema = aide.get("schema")
    if not isinstance(schema, int) or isinstance(schema, bool) or schema < 1:
        raise JournalCorrupt(path, f"metadata aide.schema is {schema!r}, expected an integer >= 1")
    if schema > SCHEMA_VERSION:
        raise JournalSchemaTooNew(
            path,
            f"journal schema {schema} is newer than this aide-jupyter reads ({SCHEMA_VERSION}); "
            "upgrade aide-jupyter to open it",
        )
    search = aide.get("search")
    if not isinstance(search, dict) or not isinstance(search.get("id"), str):
        raise JournalCorrupt(path, "metadata aide.search is missing or has no id")
    try:
        info = search_from_meta(search)
    except TypeError as exc:
        raise JournalCorrupt(path, f"metadata aide.search is incomplete: {exc}") from None
    journal_meta = aide.get("journal") if isinstance(aide.get("journal"), dict) else {}
    journal = Journal(lower_is_better=journal_meta.get("lower_is_better"))
    for node in _nodes(path, nb["cells"]):
        try:
            journal.add(node)
        except ValueError as exc:
            raise JournalCorrupt(path, str(exc)) from None
    return info, journal


def _nodes(path: Path, cells: list[Any]) -> list[Node]:
    records: dict[str, NodeRecord] = {}
    for i, cell in enumerate(cells):
        aide = cell.get("metadata", {}).get("aide") if isinstance(cell, dict) else None
        if not isinstance(aide, dict):
            continue  # a cell the user added: not part of the tree
        node_id = aide.get("node_id")
        try:
            if cell.get("cell_type") == "markdown" and aide.get("kind") == "node":
                if not isinstance(node_id, str) or not isinstance(aide.get("node"), dict):
                    raise ValueError("node cell without node_id or node fields")
                if node_id in records:
                    raise ValueError(f"node {node_id!r} appears twice")
                records[node_id] = NodeRecord(aide)
            elif cell.get("cell_type") == "code" and aide.get("kind", "code") == "code":
                if node_id not in records:
                    raise ValueError(f"code cell of node {node_id!r} comes before its node cell")
                records[node_id].add_code_cell(cell)
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            raise JournalCorrupt(path, f"cell {i}: {exc}") from None
    nodes: list[Node] = []
    for node_id, record in records.items():
        try:
            node = record.build()
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            raise JournalCorrupt(path, f"node {node_id!r}: {exc}") from None
        if node.id != node_id or not isinstance(node.step, int):
            raise JournalCorrupt(path, f"node {node_id!r}: inconsistent id or step in its metadata")
        nodes.append(node)
    return nodes
