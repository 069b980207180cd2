"""Thin authenticated REST handlers: parse, call the core, answer JSON."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import tornado
from jupyter_server.base.handlers import APIHandler
from jupyter_server.extension.handler import ExtensionHandlerMixin

from .. import __version__

if TYPE_CHECKING:
    from .app import AideExtension


class AideHandler(ExtensionHandlerMixin, APIHandler):
    """Base handler: errors are JSON `{error, message}`."""

    @property
    def aide(self) -> AideExtension:
        return self.settings["aide"]

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        self.set_header("Content-Type", "application/json")
        reason = self._reason or "error"
        message = reason
        exc_info = kwargs.get("exc_info")
        if exc_info and isinstance(exc_info[1], tornado.web.HTTPError) and exc_info[1].log_message:
            message = exc_info[1].log_message
        self.finish(json.dumps({"error": reason.lower().replace(" ", "_"), "message": message}))


class HealthHandler(AideHandler):
    """Is the server part here, which version, which coders can run."""

    @tornado.web.authenticated
    def get(self) -> None:
        self.finish(
            json.dumps(
                {
                    "name": "aide_jupyter",
                    "version": __version__,
                    "coders": self.aide.enabled_coders(),
                }
            )
        )


HANDLERS: list[tuple[str, type[AideHandler]]] = [
    (r"/aide/health", HealthHandler),
]
