"""The server extension loads, answers /aide/health, and refuses unauthenticated requests."""

from __future__ import annotations

import json
import re

import pytest

import aide_jupyter
from aide_jupyter.server.routes import AideHandler


@pytest.fixture
def jp_server_config():
    return {"ServerApp": {"jpserver_extensions": {"aide_jupyter": True}}}


async def test_health_reports_version_and_coders(jp_fetch, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    response = await jp_fetch("aide", "health")
    assert response.code == 200
    body = json.loads(response.body)
    assert body["version"] == aide_jupyter.__version__
    assert body["coders"] == ["builtin"]


async def test_health_lists_openai_coder_when_a_key_is_set(jp_fetch, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key")
    response = await jp_fetch("aide", "health")
    body = json.loads(response.body)
    assert body["coders"] == ["builtin", "openai"]
    assert "sk-test" not in response.body.decode()


def _aide_routes(serverapp) -> list[tuple[str, type]]:
    """Every route the running server maps to an aide_jupyter handler, read from its routers."""
    found: list[tuple[str, type]] = []

    def walk(router) -> None:
        for rule in getattr(router, "rules", []):
            target = rule.target
            if isinstance(target, type) and issubclass(target, AideHandler):
                found.append((rule.matcher.regex.pattern, target))
            elif hasattr(target, "rules"):
                walk(target)

    walk(serverapp.web_app.default_router)
    return found


def _concrete_path(pattern: str) -> str:
    """Turn a route regex into a requestable path: each group becomes a plausible id."""
    path = re.sub(r"\(\?P<\w+>[^)]*\)|\([^)]*\)", "x1", pattern)
    return path.rstrip("$")


async def test_every_aide_route_refuses_unauthenticated_requests(
    jp_serverapp, jp_fetch, jp_base_url
):
    routes = _aide_routes(jp_serverapp)
    assert routes, "no aide_jupyter handlers registered"
    checked = 0
    for pattern, handler in routes:
        path = _concrete_path(pattern)
        assert path.startswith(jp_base_url), path
        relative = path[len(jp_base_url) :]
        for method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
            if getattr(handler, method.lower()) is getattr(AideHandler, method.lower()):
                continue  # the handler does not implement this verb
            body = b"{}" if method in ("POST", "PUT", "PATCH") else None
            response = await jp_fetch(
                relative,
                method=method,
                body=body,
                headers={"Authorization": "token not-the-server-token"},
                raise_error=False,
                allow_nonstandard_methods=True,
            )
            assert response.code == 403, f"{method} {path} answered {response.code} without a token"
            checked += 1
    assert checked >= len(routes)
