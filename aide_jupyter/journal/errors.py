"""Errors for journal files that cannot be read, each naming the file and what is wrong with it.

Callers (server, CLI) show the message as is; the writer raises them rather than overwrite a file
that a user may still want to repair by hand.
"""

from __future__ import annotations

import os


class JournalError(Exception):
    """A journal notebook that cannot be loaded (or must not be overwritten)."""

    def __init__(self, path: str | os.PathLike[str], problem: str) -> None:
        self.path = os.fspath(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")


class JournalTruncated(JournalError):
    """The file ends early (an interrupted copy, a full disk): the JSON is cut off."""


class JournalInvalidJSON(JournalError):
    """The file is not JSON (e.g. hand-edited with a stray comma)."""


class JournalSchemaTooNew(JournalError):
    """Written by a newer aide-jupyter with a schema this version does not know."""


class NotAnAideJournal(JournalError):
    """Valid JSON, but not an nbformat 4 notebook with AIDE metadata."""


class JournalCorrupt(JournalError):
    """An AIDE journal whose cells do not describe a consistent tree."""
