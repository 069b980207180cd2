"""The server extension loads, answers /aide/health, and refuses unauthenticated requests."""

from __future__ import annotations

import json

import aide_jupyter
from tests.support_server import aide_requests, aide_routes


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


async def test_every_aide_route_refuses_unauthenticated_requests(
    jp_serverapp, jp_fetch, jp_base_url
):
    checked = 0
    for method, path, body in aide_requests(jp_serverapp, jp_base_url):
        response = await jp_fetch(
            path,
            method=method,
            body=body,
            headers={"Authorization": "token not-the-server-token"},
            raise_error=False,
            allow_nonstandard_methods=True,
        )
        assert response.code == 403, f"{method} {path} answered {response.code} without a token"
        checked += 1
    assert checked >= len(aide_routes(jp_serverapp))
