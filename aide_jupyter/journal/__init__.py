"""The search tree on disk: journal.ipynb (resumable), best_solution.py and tree.html."""

from __future__ import annotations

from aide_jupyter.journal.errors import (
    JournalCorrupt,
    JournalError,
    JournalInvalidJSON,
    JournalSchemaTooNew,
    JournalTruncated,
    NotAnAideJournal,
)
from aide_jupyter.journal.export import write_best_solution, write_tree_html
from aide_jupyter.journal.notebook import JOURNAL_NAME, load_journal, write_journal
from aide_jupyter.journal.writer import JournalWriter

__all__ = [
    "JOURNAL_NAME",
    "JournalCorrupt",
    "JournalError",
    "JournalInvalidJSON",
    "JournalSchemaTooNew",
    "JournalTruncated",
    "JournalWriter",
    "NotAnAideJournal",
    "load_journal",
    "write_best_solution",
    "write_journal",
    "write_tree_html",
]
