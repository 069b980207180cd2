"""Thin authenticated REST handlers: parse, call the manager, answer JSON (docs/rest-api.md)."""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING, Any, Protocol

import tornado
from jupyter_server.base.handlers import APIHandler
from jupyter_server.extension.handler import ExtensionHandlerMixin

from .. import __version__
from .errors import AideError, BadRequest, KernelBusy, NotFound
from .summaries import node_summary, search_summary
from .validation import CREATE_FIELDS, MAX_CODE_CHARS, parse_body, parse_create

if TYPE_CHECKING:
    from .manager import SearchManager

_ID = r"(?P<{}>[\w.-]+)"


class AideSettings(Protocol):
    """What the handlers read from the extension (AideExtension, which registers them: a
    protocol here keeps routes.py from importing app.py, which imports the routes)."""

    max_steps: int
    max_parallel: int
    variables_timeout_s: float

    def enabled_coders(self) -> list[str]: ...

    def check_model(self, model: str) -> str: ...


class AideHandler(ExtensionHandlerMixin, APIHandler):
    """Base handler: errors are JSON `{error, message}` (plus `field` for bad input)."""

    @property
    def aide(self) -> AideSettings:
        return self.settings["aide"]

    @property
    def manager(self) -> SearchManager:
        return self.settings["aide_manager"]

    def body(self, *allowed: str) -> dict[str, Any]:
        return parse_body(self.request.body or b"", allowed=allowed)

    def answer(self, data: Any, status: int = 200) -> None:
        self.set_status(status)
        self.finish(json.dumps(data))

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        self.set_header("Content-Type", "application/json")
        exc = (kwargs.get("exc_info") or (None, None, None))[1]
        if isinstance(exc, AideError):
            out: dict[str, Any] = {"error": exc.code, "message": exc.message}
            if exc.field:
                out["field"] = exc.field
            self.finish(json.dumps(out))
            return
        reason = self._reason or "error"
        message = reason
        if isinstance(exc, tornado.web.HTTPError) and exc.log_message:
            message = exc.log_message
        self.finish(json.dumps({"error": reason.lower().replace(" ", "_"), "message": message}))


class HealthHandler(AideHandler):
    """Is the server part here, which version, which coders can run."""

    @tornado.web.authenticated
    def get(self) -> None:
        self.answer(
            {
                "name": "aide_jupyter",
                "version": __version__,
                "coders": self.aide.enabled_coders(),
                "default_model": self.aide.resolve_model(),
            }
        )


class SearchesHandler(AideHandler):
    @tornado.web.authenticated
    def get(self) -> None:
        """All searches, newest first."""
        self.answer({"searches": self.manager.summaries()})

    @tornado.web.authenticated
    def post(self) -> None:
        """Start a search; answers at once (the kernel may be busy running the caller's cell)."""
        req = parse_create(
            self.body(*CREATE_FIELDS),
            root=self.manager.root,
            max_steps=self.aide.max_steps,
            max_parallel=self.aide.max_parallel,
            models=self.aide.check_model,
        )
        rec = self.manager.create(req)
        self.answer(self.manager.detail(rec.id) | {"nodes": []}, 201)


class SearchHandler(AideHandler):
    @tornado.web.authenticated
    def get(self, search_id: str) -> None:
        """Summary plus every node's summary (no code, no output)."""
        self.answer(self.manager.detail(search_id))

    @tornado.web.authenticated
    async def delete(self, search_id: str) -> None:
        """Stop and forget the search; its run folder stays on disk."""
        await self.manager.delete(search_id)
        self.set_status(204)
        self.finish()


class NodeHandler(AideHandler):
    @tornado.web.authenticated
    def get(self, search_id: str, node_id: str) -> None:
        """The whole node: code, cells, output, analysis and the parent's code."""
        self.answer(self.manager.node(search_id, node_id))


class StopHandler(AideHandler):
    @tornado.web.authenticated
    def post(self, search_id: str) -> None:
        """No new nodes start; running ones end at once (`{"finish_running": true}`: they
        finish), then the search is `stopped`."""
        finish = _finish_running(self.body("finish_running"))
        self.answer(_summary(self.manager, self.manager.stop(search_id, finish).id))


class PauseHandler(AideHandler):
    @tornado.web.authenticated
    def post(self, search_id: str) -> None:
        """Like stop, but `paused` (resume continues it)."""
        finish = _finish_running(self.body("finish_running"))
        self.answer(_summary(self.manager, self.manager.pause(search_id, finish).id))


class ResumeHandler(AideHandler):
    @tornado.web.authenticated
    def post(self, search_id: str) -> None:
        """Continue from the journal, on the search's kernel or on `kernel_id`."""
        kernel_id = self.body("kernel_id").get("kernel_id")
        if kernel_id is not None and (not isinstance(kernel_id, str) or not kernel_id):
            raise BadRequest("kernel_id", "must be a kernel id")
        self.answer(_summary(self.manager, self.manager.resume(search_id, kernel_id).id))


class ForkHandler(AideHandler):
    @tornado.web.authenticated
    def post(self, search_id: str, node_id: str) -> None:
        """Queue a child of the node: the user's `code` as is, or the coder with `instruction`."""
        data = self.body("instruction", "code")
        instruction, code = data.get("instruction"), data.get("code")
        for name, value, limit in (("instruction", instruction, 10_000), ("code", code, None)):
            if value is not None and not isinstance(value, str):
                raise BadRequest(name, "must be a string")
            if isinstance(value, str) and len(value) > (limit or MAX_CODE_CHARS):
                raise BadRequest(name, "is too long")
        if not (instruction or "").strip() and not (code or "").strip():
            raise BadRequest("instruction", "give an instruction or code for the fork")
        node = self.manager.fork(
            search_id, node_id, instruction=(instruction or "").strip() or None, code=code or None
        )
        self.answer(node_summary(node), 201)


class VariablesHandler(AideHandler):
    @tornado.web.authenticated
    async def get(self, kernel_id: str) -> None:
        """Data-like variables of the kernel, for the panel's form (asks the kernel; short wait)."""
        if not self.manager.kernel_exists(kernel_id):
            raise NotFound(f"kernel_id: no running kernel {kernel_id!r}")
        executor = self.manager.pool.get(kernel_id)
        try:
            found = await asyncio.wait_for(
                asyncio.shield(executor.list_variables()), self.aide.variables_timeout_s
            )
        except asyncio.TimeoutError:
            raise KernelBusy("the kernel did not answer in time (is a cell running?)") from None
        self.answer({"variables": found})


def _finish_running(body: dict[str, Any]) -> bool:
    value = body.get("finish_running", False)
    if not isinstance(value, bool):
        raise BadRequest("finish_running", "must be true or false")
    return value


def _summary(manager: SearchManager, search_id: str) -> dict[str, Any]:
    return search_summary(manager.get(search_id))


HANDLERS: list[tuple[str, type[AideHandler]]] = [
    (r"/aide/health", HealthHandler),
    (r"/aide/searches", SearchesHandler),
    (rf"/aide/searches/{_ID.format('search_id')}", SearchHandler),
    (rf"/aide/searches/{_ID.format('search_id')}/stop", StopHandler),
    (rf"/aide/searches/{_ID.format('search_id')}/pause", PauseHandler),
    (rf"/aide/searches/{_ID.format('search_id')}/resume", ResumeHandler),
    (rf"/aide/searches/{_ID.format('search_id')}/nodes/{_ID.format('node_id')}", NodeHandler),
    (
        rf"/aide/searches/{_ID.format('search_id')}/nodes/{_ID.format('node_id')}/fork",
        ForkHandler,
    ),
    (rf"/aide/kernels/{_ID.format('kernel_id')}/variables", VariablesHandler),
]
