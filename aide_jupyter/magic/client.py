"""Finding the Jupyter server that runs this kernel, and talking to its `/aide` REST API.

Standard library HTTP only (the kernel may lack `requests`), proxies ignored (the server is
local), short timeouts: every call here runs on the kernel's shell or the progress thread and
must never hang the kernel.
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import re
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

ENV_URL = "AIDE_SERVER_URL"
ENV_TOKEN = "AIDE_SERVER_TOKEN"
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))
_KERNEL_FILE = re.compile(r"kernel-(.+)\.json$")


class ServerError(Exception):
    """The server answered with an error (`{error, message}`) or could not be reached (status 0)."""

    def __init__(self, status: int, error: str, message: str) -> None:
        super().__init__(message)
        self.status, self.error, self.message = status, error, message


@dataclass
class Server:
    """One Jupyter server: its URL (with base_url, ending in '/') and token."""

    url: str
    token: str = ""
    source: str = ""

    def request(self, method: str, path: str, body: Any = None, timeout: float = 10.0) -> Any:
        """JSON in, JSON out; ServerError on any failure, with the server's message if any."""
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(
            urllib.parse.urljoin(self.url, path.lstrip("/")), data=data, method=method
        )
        req.add_header("Accept", "application/json")
        if data is not None:
            req.add_header("Content-Type", "application/json")
        if self.token:
            req.add_header("Authorization", f"token {self.token}")
        try:
            with _OPENER.open(req, timeout=timeout) as resp:
                raw = resp.read()
        except urllib.error.HTTPError as exc:
            text = exc.read().decode("utf-8", "replace")
            # Only a JSON {error, message} is shown: an HTML error page may carry the token.
            error = str(exc.reason or "error")
            message = f"HTTP {exc.code} {error} for {method} {path.split('?')[0]}"
            with contextlib.suppress(ValueError, AttributeError):
                parsed = json.loads(text)
                error = str(parsed.get("error", error))
                message = str(parsed.get("message", message))
            raise ServerError(exc.code, error, self._redact(message)) from None
        except (OSError, ValueError) as exc:  # refused, timeout, bad URL
            raise ServerError(0, "unreachable", f"{self.url} did not answer: {exc}") from None
        if not raw:
            return None
        if raw.lstrip()[:1] == b"<":
            raise ServerError(0, "bad_reply", f"{self.url}{path} answered HTML, not JSON")
        try:
            return json.loads(raw)
        except ValueError:
            raise ServerError(0, "bad_reply", f"{self.url}{path} did not answer JSON") from None

    def _redact(self, text: str) -> str:
        return text.replace(self.token, "***") if self.token else text


def kernel_id() -> str | None:
    """This kernel's id, from its connection file's name (`kernel-<id>.json`)."""
    try:
        from ipykernel.connect import get_connection_file

        name = os.path.basename(get_connection_file())
    except Exception:  # not an ipykernel (plain IPython), or no connection file
        return None
    match = _KERNEL_FILE.search(name)
    return match.group(1) if match else None


def _runtime_dir() -> str:
    from jupyter_core.paths import jupyter_runtime_dir

    return jupyter_runtime_dir()


def _server_from_file(path: str) -> Server | None:
    try:
        with open(path, encoding="utf-8") as fh:
            info = json.load(fh)
    except (OSError, ValueError):
        return None
    url = info.get("url") or ""
    if not url.startswith(("http://", "https://")):
        return None  # a unix socket server: not reachable with urllib
    base = info.get("base_url") or "/"
    if not urllib.parse.urlparse(url).path.rstrip("/").endswith(base.rstrip("/")):
        url = url.rstrip("/") + "/" + base.strip("/")
    return Server(url.rstrip("/") + "/", info.get("token") or "", os.path.basename(path))


def _runs_kernel(server: Server, kid: str) -> bool:
    with contextlib.suppress(ServerError):
        kernels = server.request("GET", "api/kernels", timeout=2.0) or []
        return any(k.get("id") == kid for k in kernels if isinstance(k, dict))
    return False


def find_server(
    kid: str | None, environ: dict[str, str] | os._Environ[str] | None = None
) -> tuple[Server | None, str]:
    """(the server, "") or (None, why not): env vars, then the parent's server file, then a
    scan of the runtime dir for the server whose /api/kernels lists this kernel."""
    env = os.environ if environ is None else environ
    if env.get(ENV_URL):
        url = env[ENV_URL].rstrip("/") + "/"
        return Server(url, env.get(ENV_TOKEN, ""), ENV_URL), ""
    try:
        runtime = _runtime_dir()
    except Exception as exc:  # jupyter_core missing or broken
        return None, f"no Jupyter runtime folder ({exc})"
    parent = _server_from_file(os.path.join(runtime, f"jpserver-{os.getppid()}.json"))
    if parent is not None:
        return parent, ""
    if kid is None:
        return None, "this is not a kernel started by a Jupyter server"
    for path in sorted(glob.glob(os.path.join(runtime, "jpserver-*.json"))):
        server = _server_from_file(path)
        if server is not None and _runs_kernel(server, kid):
            return server, ""
    return None, "no running Jupyter server knows this kernel"


def check_extension(server: Server) -> tuple[dict[str, Any] | None, str]:
    """(health answer, "") when the server has the aide_jupyter extension, else (None, why)."""
    try:
        health = server.request("GET", "aide/health", timeout=3.0)
    except ServerError as exc:
        if exc.status == 404:
            return None, f"the Jupyter server at {server.url} has no aide_jupyter extension"
        if exc.status == 403:
            return None, f"the Jupyter server at {server.url} refused the token ({server.source})"
        return None, exc.message
    if not isinstance(health, dict) or health.get("name") != "aide_jupyter":
        return None, f"{server.url}aide/health is not the aide_jupyter extension"
    return health, ""


def notebook_path(server: Server, kid: str | None) -> str | None:
    """The notebook this kernel belongs to (server-relative path), from /api/sessions."""
    if kid is None:
        return None
    with contextlib.suppress(ServerError):
        for session in server.request("GET", "api/sessions", timeout=3.0) or []:
            if (session.get("kernel") or {}).get("id") == kid:
                return session.get("path") or None
    return None
