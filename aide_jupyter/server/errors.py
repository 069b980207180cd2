"""Domain errors of the server part; one helper in routes.py maps them to JSON answers."""

from __future__ import annotations

from tornado.web import HTTPError


class AideError(HTTPError):
    """An error a client caused or can act on: `status`, short `code`, a message naming the field.

    A tornado HTTPError, so handlers just raise it and the base handler's `write_error` answers
    `{error, message, field}` with the right status.
    """

    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(self.status, log_message=message.replace("%", "%%"))
        self.message = message
        self.field = field


class BadRequest(AideError):
    """Bad input; `field` names the offending field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}", field=field)


class NotFound(AideError):
    status = 404
    code = "not_found"


class Conflict(AideError):
    """The search is in the wrong state for this action."""

    status = 409
    code = "conflict"


class TooLarge(AideError):
    status = 413
    code = "too_large"


class KernelBusy(AideError):
    """The kernel did not answer in time (a long cell is running)."""

    status = 504
    code = "kernel_busy"
