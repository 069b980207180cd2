"""Find run folders under the server root at start-up, so searches survive a server restart."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path

from aide_jupyter.journal import JOURNAL_NAME, JournalError, load_journal
from aide_jupyter.search.config import ConfigError, SearchConfig
from aide_jupyter.search.journal import Journal, SearchInfo

from .record import ACTIVE, SearchRecord

log = logging.getLogger(__name__)
SKIP_DIRS = frozenset({"node_modules", ".venv", "venv", "__pycache__", "site-packages"})


def find_journals(root: Path, runs_dir_name: str, max_depth: int = 4) -> Iterator[Path]:
    """`<dir>/<runs_dir_name>/<id>/journal.ipynb` for dirs at most `max_depth` below the root.

    Hidden folders, virtual environments and node_modules are skipped; so is everything inside a
    run folder (node working directories can be large)."""
    root = root.resolve()
    for current, dirs, _files in os.walk(root):
        depth = len(Path(current).relative_to(root).parts)
        if runs_dir_name in dirs:
            runs = Path(current) / runs_dir_name
            for run in sorted(runs.iterdir()) if runs.is_dir() else ():
                journal = run / JOURNAL_NAME
                if journal.is_file() and not run.is_symlink():
                    yield journal
        dirs[:] = (
            []
            if depth >= max_depth
            else sorted(
                d
                for d in dirs
                if not d.startswith(".") and d not in SKIP_DIRS and d != runs_dir_name
            )
        )


def load_all(root: Path, runs_dir_name: str) -> Iterator[tuple[Path, SearchInfo, Journal]]:
    """Load each journal found; bad ones are skipped with a warning (never fatal, never rewritten)."""
    for path in find_journals(root, runs_dir_name):
        try:
            info, journal = load_journal(path)
        except JournalError as exc:
            log.warning("aide: skipping a journal that does not load: %s", exc)
            continue
        except OSError as exc:
            log.warning("aide: cannot read %s: %s", path, exc)
            continue
        yield path.parent, info, journal


def records(root: Path, runs_dir_name: str) -> Iterator[SearchRecord]:
    """The searches found under the root, as records; one that was running when the server
    stopped is paused (it resumes on a kernel the user names)."""
    for run_dir, info, journal in load_all(root, runs_dir_name):
        if info.status in ACTIVE:
            info.status = "paused"
            info.stop_reason = "the server stopped while this search ran; resume it"
            info.pause_cause = "server_restart"
        try:
            config = SearchConfig.from_dict(info.config, strict=False)
        except ConfigError as exc:
            log.warning("aide: skipping %s: bad config in journal (%s)", run_dir, exc)
            continue
        yield SearchRecord(info, journal, config, run_dir, root)
