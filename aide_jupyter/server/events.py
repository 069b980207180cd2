"""Live updates through jupyter_server's event bus (`/api/events/subscribe`).

Payloads are summaries only (no code, output or secrets); clients fetch the rest with GET.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from jupyter_events import EventLogger

SCHEMA_ID = "https://events.aide-jupyter.org/search"
SCHEMA_PATH = Path(__file__).parent / "events" / "search.json"
KERNEL_ACTIONS_ID = "https://events.jupyter.org/jupyter_server/kernel_actions/v1"

log = logging.getLogger(__name__)


class EventSink:
    """Emits `search`/`node`/`removed` events; a missing event logger makes it a no-op."""

    def __init__(self, event_logger: EventLogger | None) -> None:
        self.event_logger = event_logger
        if event_logger is not None and SCHEMA_ID not in event_logger.schemas.schema_ids:
            event_logger.register_event_schema(SCHEMA_PATH)

    def search(self, search_id: str, summary: dict[str, Any]) -> None:
        self._emit({"kind": "search", "search_id": search_id, "search": summary})

    def node(self, search_id: str, node: dict[str, Any]) -> None:
        self._emit({"kind": "node", "search_id": search_id, "node": node})

    def removed(self, search_id: str) -> None:
        self._emit({"kind": "removed", "search_id": search_id})

    def _emit(self, data: dict[str, Any]) -> None:
        if self.event_logger is None:
            return
        try:
            self.event_logger.emit(schema_id=SCHEMA_ID, data=data)
        except Exception:  # an event that fails validation must not break a search
            log.exception("could not emit %s event for search %s", data["kind"], data["search_id"])
