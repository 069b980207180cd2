"""The progress line of `jupyter aide run` on stderr."""

from __future__ import annotations

from typing import Any, TextIO

from aide_jupyter.search.journal import Journal, SearchInfo


class Progress:
    """A one-line progress bar on stderr, redrawn on every loop event."""

    def __init__(self, info: SearchInfo, journal: Journal, steps: int, stream: TextIO) -> None:
        self.info, self.journal, self.steps, self.stream = info, journal, steps, stream
        self.tty = stream.isatty()

    def __call__(self, kind: str, payload: Any = None) -> None:
        done = sum(1 for n in self.journal.nodes if n.is_finished)
        width = 24
        filled = min(width, int(width * done / max(self.steps, 1)))
        best = self.journal.best_node()
        best_text = f"best {best.metric:.5g}" if best and best.metric is not None else "no best yet"
        running = [n for n in self.journal.nodes if n.status == "running"]
        now = f" · running {running[-1].stage} {running[-1].id}" if running else ""
        line = (
            f"[{'#' * filled}{'.' * (width - filled)}] {done}/{self.steps} · "
            f"{best_text} · {self.info.status}{now}"
        )
        if self.tty:
            self.stream.write("\r\x1b[2K" + line)
        elif kind == "search" or (
            isinstance(payload, dict) and payload.get("status") in ("done", "failed")
        ):
            self.stream.write(line + "\n")
        self.stream.flush()

    def end(self) -> None:
        if self.tty:
            self.stream.write("\n")
            self.stream.flush()
