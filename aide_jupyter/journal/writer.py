"""JournalWriter: keeps a run folder's journal.ipynb, best_solution.py and tree.html current.

Why it keeps state: rewriting the notebook from scratch after each node costs O(all nodes) of
serialization, so a search's total write cost grows quadratically. The writer caches each node's
JSON fragments and re-serializes only nodes that changed; a write then joins cached text.

The durable write itself (temp file, fsync, rename) still costs O(file size): ~0.4 ms at 10 nodes,
~7 ms at 1000 nodes of 8 KB here. So writes are rate-limited to a share of wall time
(`max_io_share`): when updates arrive faster than that, the newest state is written at most
`cost * (1/share - 1)` seconds later by a timer (0.06 s at 1000 nodes). Search-level events
(`kind == "search"`: stop, done), `flush()` and `close()` always write at once.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from pathlib import Path
from typing import Any

from aide_jupyter.journal.atomic import atomic_write, remove_stale_temps
from aide_jupyter.journal.errors import JournalError
from aide_jupyter.journal.export import BEST_SOLUTION, TREE_HTML, node_json, render_tree_html
from aide_jupyter.journal.export import best_solution_text as _best_text
from aide_jupyter.journal.notebook import (
    JOURNAL_NAME,
    check_overwritable,
    load_journal,
    node_fragment,
    notebook_chunks,
    notebook_footer,
    notebook_metadata,
)
from aide_jupyter.journal.treeview import NodeView, best_index
from aide_jupyter.search.journal import Journal, Node, SearchInfo

log = logging.getLogger(__name__)


def _stamp(path: Path) -> tuple[int, int, int] | None:
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns)


class JournalWriter:
    """Incremental, atomic writer for one run folder; also a SearchLoop listener.

    Use as `writer.update(info, journal, changed_node_ids)` or, after `bind(info, journal)`, as
    `listener(kind, payload)`. An existing journal is loaded first (see `loaded`, for resuming);
    if it cannot be loaded the constructor raises JournalError and nothing is ever written over it.
    """

    def __init__(
        self,
        run_dir: str | os.PathLike[str],
        *,
        exports: bool = True,
        max_io_share: float = 0.1,
        small_write_s: float = 0.003,
    ) -> None:
        self.run_dir = Path(run_dir)
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.path = self.run_dir / JOURNAL_NAME
        self.exports = exports
        self.max_io_share = max_io_share
        self.small_write_s = small_write_s
        remove_stale_temps(self.run_dir)
        self.loaded: tuple[SearchInfo, Journal] | None = (
            load_journal(self.path) if self.path.exists() else None
        )
        self._stamp = _stamp(self.path)
        self.info: SearchInfo | None = None
        self.journal: Journal | None = None
        self._lock = threading.RLock()
        self._journal_seen: Journal | None = None
        self._order: list[str] = []
        self._fp: dict[str, tuple[Any, ...]] = {}
        self._nb: dict[str, str] = {}
        self._html: dict[str, str] = {}
        self._views: dict[str, NodeView] = {}
        self._footer = ""
        self._snapshot: tuple[SearchInfo, bool | None] | None = None
        self._dirty = False
        self._abandoned = False  # the run folder and its parent were removed: stop writing
        self._timer: threading.Timer | None = None
        self._last_end = 0.0
        self._last_cost = 0.0
        self._best_sig: tuple[Any, ...] | None = None
        self.error: BaseException | None = None
        self.writes = 0

    # ---- listener API --------------------------------------------------------------------------

    def bind(self, info: SearchInfo, journal: Journal) -> JournalWriter:
        self.info, self.journal = info, journal
        return self

    def __call__(self, kind: str, payload: Any = None) -> None:
        """SearchLoop listener: `("node", node)` after a node changed, `("search", ...)` after
        the search's state changed (written at once)."""
        if self.info is None or self.journal is None:
            raise RuntimeError("JournalWriter used as a listener before bind(info, journal)")
        if kind == "search":
            if isinstance(payload, SearchInfo):
                self.info = payload
            self.update(self.info, self.journal, None, force=True)
        elif kind == "node":
            node_id = payload.id if isinstance(payload, Node) else None
            if isinstance(payload, dict):
                node_id = payload.get("id")
            self.update(self.info, self.journal, None if node_id is None else [node_id])
        else:
            log.debug("journal writer ignores event %r", kind)

    # ---- core ----------------------------------------------------------------------------------

    def update(
        self,
        info: SearchInfo,
        journal: Journal,
        changed_node_ids: list[str] | set[str] | None = None,
        *,
        force: bool = False,
    ) -> bool:
        """Record the current state; returns True if it was written to disk now.

        `changed_node_ids` names nodes changed since the last call (new nodes are found on their
        own); None means "anything may have changed" and compares every node's fields.
        """
        with self._lock:
            if self.error is not None:
                error, self.error = self.error, None
                raise error
            self.info, self.journal = info, journal
            self._refresh(journal, changed_node_ids)
            self._footer = notebook_footer(
                notebook_metadata(info, journal.lower_is_better, len(self._order))
            )
            self._snapshot = (SearchInfo.from_dict(info.to_dict()), journal.lower_is_better)
            self._dirty = True
            wait = self._last_cost * (1 / self.max_io_share - 1)
            since = time.monotonic() - self._last_end
            if force or self._last_cost < self.small_write_s or since >= wait:
                self._write()
                return True
            self._schedule(wait - since)
            return False

    def flush(self) -> bool:
        """Write now if anything is pending."""
        with self._lock:
            if self._dirty:
                self._write()
                return True
            return False

    def close(self) -> None:
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            self.flush()

    def _refresh(self, journal: Journal, changed: list[str] | set[str] | None) -> None:
        nodes = journal.nodes
        known = len(self._order)
        consistent = (
            journal is self._journal_seen
            and len(nodes) >= known
            and (known == 0 or nodes[known - 1].id == self._order[-1])
        )
        if not consistent:  # another Journal object, or nodes removed: start over
            self._order, self._fp = [], {}
            self._nb, self._html, self._views = {}, {}, {}
            known, changed = 0, None
            self._journal_seen = journal
        for node in nodes[known:]:
            self._order.append(node.id)
            self._encode(node)
        ids = self._order[:known] if changed is None else [i for i in changed if i in self._fp]
        for node_id in ids:
            node = journal.get(node_id)
            if tuple(vars(node).values()) != self._fp[node_id]:
                self._encode(node)

    def _encode(self, node: Node) -> None:
        self._fp[node.id] = tuple(vars(node).values())
        self._nb[node.id] = node_fragment(node)
        view = NodeView.of(node)
        self._views[node.id] = view
        if self.exports:
            self._html[node.id] = node_json(node, view)

    def _schedule(self, delay: float) -> None:
        if self._timer is not None:
            return
        self._timer = threading.Timer(max(delay, 0.0), self._on_timer)
        self._timer.daemon = True
        self._timer.start()

    def _on_timer(self) -> None:
        with self._lock:
            self._timer = None
            try:
                self.flush()
            except Exception as exc:  # kept and raised by the next update(): the search decides
                log.exception("deferred journal write to %s failed", self.path)
                self.error = exc

    def _write(self) -> None:
        assert self._snapshot is not None
        start = time.monotonic()
        if _stamp(self.path) != self._stamp and self.path.exists():
            # someone else wrote the file since we did: only replace it if it is a journal of ours
            check_overwritable(self.path, self._snapshot[0].id)
            log.warning("%s changed on disk; replacing it with the search's state", self.path)
        elif (
            self.loaded is not None
            and self.writes == 0
            and self.loaded[0].id != self._snapshot[0].id
        ):
            raise JournalError(
                self.path,
                f"holds search {self.loaded[0].id!r}, not "
                f"{self._snapshot[0].id!r}; not overwriting it",
            )
        if not self._run_dir_ready():
            self._dirty = False
            return
        fragments = [self._nb[i] for i in self._order]
        atomic_write(self.path, notebook_chunks(fragments, self._footer))
        self._stamp = _stamp(self.path)
        if self.exports:
            self._write_exports()
        self.writes += 1
        self._dirty = False
        self._last_end = time.monotonic()
        self._last_cost = self._last_end - start

    def _run_dir_ready(self) -> bool:
        """Is there a run folder to write to? Deleted under a running search, it is made again
        (the state is all in memory); when its parent is gone too, the folder it lived in was
        removed on purpose: the writer stops writing (said once) rather than resurrect it."""
        folder = self.path.parent
        if folder.is_dir():
            return True
        if self._abandoned:
            return False
        if folder.parent.is_dir():
            log.warning("run folder %s was removed; writing the journal again", folder)
            folder.mkdir()
            return True
        log.warning("%s and its parent were removed; the journal is no longer written", folder)
        self._abandoned = True
        return False

    def _write_exports(self) -> None:
        info, lower = self._snapshot  # type: ignore[misc]
        views = [self._views[i] for i in self._order]
        best = best_index(views, lower)
        if best is not None:
            node = self.journal.get(views[best].id) if self.journal is not None else None
            sig = (views[best].id, views[best].metric, views[best].code, lower)
            if node is not None and sig != self._best_sig:
                atomic_write(self.run_dir / BEST_SOLUTION, _best_text(info, node, lower))
                self._best_sig = sig
        html = render_tree_html(info, views, [self._html[i] for i in self._order], lower)
        atomic_write(self.run_dir / TREE_HTML, html)
