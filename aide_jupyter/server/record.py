"""One search as the server holds it: engine state, journal writer, kernel and task."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from pathlib import Path

from aide_jupyter.journal import JournalWriter
from aide_jupyter.search.config import SearchConfig
from aide_jupyter.search.journal import Journal, SearchInfo
from aide_jupyter.search.loop import SearchLoop

ACTIVE = ("queued", "running", "stopping")


@dataclass
class SearchRecord:
    """`loop` and `writer` are None for a search found on disk until it is resumed."""

    info: SearchInfo
    journal: Journal
    config: SearchConfig
    run_dir: Path
    root: Path
    loop: SearchLoop | None = None
    writer: JournalWriter | None = None
    task: asyncio.Task[None] | None = None
    preparing: bool = False
    prepared: bool = False
    halt: tuple[str, str, str | None] | None = None  # status, reason, pause cause of stop/pause
    return_to: tuple[str, str, str | None] | None = None  # a forks-only run ends in this state
    endpoint: str | None = None  # the LLM's base URL, for summaries (None: builtin or not loaded)
    _run_started: float | None = field(default=None, repr=False)
    _run_base: float = field(default=0.0, repr=False)

    @property
    def id(self) -> str:
        return self.info.id

    @property
    def kernel_id(self) -> str | None:
        """Kept in the journal's search metadata, so a restarted server still knows it."""
        return self.info.kernel_id

    @kernel_id.setter
    def kernel_id(self, value: str | None) -> None:
        self.info.kernel_id = value

    @property
    def notebook_path(self) -> str | None:
        return self.info.notebook_path

    @property
    def active(self) -> bool:
        return self.task is not None and not self.task.done()

    def elapsed_s(self) -> float:
        """Accumulated wall time; the loop only updates info.elapsed_s between nodes."""
        if self._run_started is not None and self.info.status in ("running", "stopping"):
            return max(self.info.elapsed_s, self._run_base + time.monotonic() - self._run_started)
        return self.info.elapsed_s

    def mark_running(self) -> None:
        self._run_base = self.info.elapsed_s
        self._run_started = time.monotonic()

    def mark_idle(self) -> None:
        self._run_started = None
