"""Bad journal files give named errors and are never overwritten."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support_journal import make_info, make_journal

from aide_jupyter.journal import (
    JournalCorrupt,
    JournalError,
    JournalInvalidJSON,
    JournalSchemaTooNew,
    JournalTruncated,
    JournalWriter,
    NotAnAideJournal,
    load_journal,
    write_journal,
)


@pytest.fixture
def good(tmp_path: Path) -> Path:
    return write_journal(tmp_path / "journal.ipynb", make_info(), make_journal(6))


def _edit(path: Path, change) -> None:  # type: ignore[no-untyped-def]
    nb = json.loads(path.read_text())
    change(nb)
    path.write_text(json.dumps(nb))


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _stray_comma(path: Path) -> None:
    path.write_text(path.read_text().replace('"nbformat": 4', '"nbformat": 4,,', 1))


def _newer(path: Path) -> None:
    _edit(path, lambda nb: nb["metadata"]["aide"].update(schema=2))


def _plain(path: Path) -> None:
    _edit(path, lambda nb: nb["metadata"].pop("aide"))


def _bad_parent(path: Path) -> None:
    def change(nb: dict) -> None:  # type: ignore[type-arg]
        nb["cells"][0]["metadata"]["aide"]["node"]["parent_id"] = "nowhere"

    _edit(path, change)


CASES = [
    (_truncate, JournalTruncated, "truncated"),
    (lambda p: p.write_bytes(b""), JournalTruncated, "empty"),
    (_stray_comma, JournalInvalidJSON, "invalid JSON at line"),
    (lambda p: p.write_bytes(b"\xff\xfe{}"), JournalInvalidJSON, "UTF-8"),
    (_newer, JournalSchemaTooNew, "schema 2 is newer"),
    (_plain, NotAnAideJournal, "not an AIDE journal"),
    (lambda p: p.write_text('{"cells": []}'), NotAnAideJournal, "nbformat 4"),
    (lambda p: p.write_text("[1, 2]"), NotAnAideJournal, "nbformat 4"),
    (_bad_parent, JournalCorrupt, "unknown parent"),
]


@pytest.mark.parametrize(("damage", "error", "words"), CASES)
def test_bad_file_named_error_and_never_overwritten(
    good: Path,
    damage,
    error: type[JournalError],
    words: str,  # type: ignore[no-untyped-def]
) -> None:
    damage(good)
    before = good.read_bytes()
    with pytest.raises(error) as info:
        load_journal(good)
    assert str(good) in str(info.value) and words in info.value.problem
    assert info.value.path == str(good)
    with pytest.raises(error):
        JournalWriter(good.parent)
    with pytest.raises(error):
        write_journal(good, make_info(), make_journal(2))
    assert good.read_bytes() == before


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(JournalError, match="no such file"):
        load_journal(tmp_path / "nope.ipynb")


def test_other_search_is_not_overwritten(good: Path) -> None:
    before = good.read_bytes()
    with pytest.raises(JournalError, match="holds search 's-test'"):
        write_journal(good, make_info("other"), make_journal(1))
    writer = JournalWriter(good.parent)
    with pytest.raises(JournalError, match="not overwriting"):
        writer.update(make_info("other"), make_journal(1), force=True)
    assert good.read_bytes() == before


def test_file_damaged_while_writer_runs_is_not_overwritten(tmp_path: Path) -> None:
    info, journal = make_info(), make_journal(3)
    writer = JournalWriter(tmp_path)
    writer.update(info, journal, force=True)
    path = tmp_path / "journal.ipynb"
    path.write_text(path.read_text()[:100])  # e.g. a failed hand edit
    with pytest.raises(JournalTruncated):
        writer.update(info, journal, force=True)
    assert len(path.read_text()) == 100
