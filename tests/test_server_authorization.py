"""Authorization: every aide verb asks jupyter_server's Authorizer about the `aide` resource.

The server runs with a restrictive Authorizer (as JupyterHub or a custom one would be): a read-only
user may look at searches and nodes, and gets 403 on everything that changes or runs something,
including the kernel variables listing (it asks the kernel about its data). The routes are read
from the server's routers, so a handler added later is covered.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

import pytest
from jupyter_server.auth.authorizer import Authorizer

from tests.support_server import aide_requests

pytestmark = pytest.mark.timeout(60)


class ReadOnlyAuthorizer(Authorizer):
    """Allows `read` on every resource and nothing else; records every question it is asked."""

    asked: ClassVar[list[tuple[str, str, str]]] = []

    def is_authorized(self, handler: Any, user: Any, action: str, resource: str) -> bool:
        self.asked.append((handler.request.method, handler.request.path, f"{action}:{resource}"))
        return action == "read"


@pytest.fixture
def jp_server_config():
    return {
        "ServerApp": {
            "jpserver_extensions": {"aide_jupyter": True},
            "authorizer_class": ReadOnlyAuthorizer,
        }
    }


def _is_variables(path: str) -> bool:
    return path.startswith("aide/kernels/") and path.endswith("/variables")


async def test_a_read_only_user_can_look_but_not_change_or_run(jp_serverapp, jp_fetch, jp_base_url):
    ReadOnlyAuthorizer.asked.clear()
    seen: dict[tuple[str, str], int] = {}
    for method, path, body in aide_requests(jp_serverapp, jp_base_url):
        response = await jp_fetch(
            path, method=method, body=body, raise_error=False, allow_nonstandard_methods=True
        )
        seen[(method, path)] = response.code
        asked = [q for m, p, q in ReadOnlyAuthorizer.asked if m == method and p.endswith(path)]
        assert any(q.endswith(":aide") for q in asked), f"{method} {path} never asked about aide"
        if method == "GET" and not _is_variables(path):
            # allowed: the handler answers (a made-up id is a 404, the listing and health a 200)
            assert response.code in (200, 404), f"{method} {path} answered {response.code}"
            assert asked == ["read:aide"], f"{method} {path} asked {asked}"
            continue
        assert response.code == 403, f"{method} {path} answered {response.code} to a reader"
        answer = json.loads(response.body)
        assert answer["error"] == "forbidden" and "not authorized" in answer["message"], answer
    methods = {method for method, _ in seen}
    assert {"GET", "POST", "DELETE"} <= methods, seen
    assert any(_is_variables(path) for _, path in seen), seen
    assert seen[("GET", "aide/searches")] == 200 and seen[("GET", "aide/health")] == 200


async def test_what_each_verb_asks_for(jp_serverapp, jp_fetch, jp_base_url):
    """Reading is `read`, stopping/pausing/deleting is `write`, and anything that runs code in a
    kernel is `execute` on aide (the first question; the reader is refused there)."""
    expected = {
        ("POST", "aide/searches"): "execute:aide",
        ("POST", "aide/searches/x1/resume"): "execute:aide",
        ("POST", "aide/searches/x1/nodes/x1/fork"): "execute:aide",
        ("GET", "aide/kernels/x1/variables"): "execute:aide",
        ("POST", "aide/searches/x1/stop"): "write:aide",
        ("POST", "aide/searches/x1/pause"): "write:aide",
        ("DELETE", "aide/searches/x1"): "write:aide",
    }
    for (method, path), question in expected.items():
        ReadOnlyAuthorizer.asked.clear()
        body = b"{}" if method == "POST" else None
        response = await jp_fetch(path, method=method, body=body, raise_error=False)
        assert response.code == 403
        assert [q for _, _, q in ReadOnlyAuthorizer.asked] == [question], (method, path)


class ExecuteAideOnlyAuthorizer(Authorizer):
    """Everything on aide, but no `execute` on kernels: code must still not run."""

    def is_authorized(self, handler: Any, user: Any, action: str, resource: str) -> bool:
        return not (action == "execute" and resource == "kernels")


@pytest.mark.parametrize(
    "jp_server_config",
    [
        {
            "ServerApp": {
                "jpserver_extensions": {"aide_jupyter": True},
                "authorizer_class": ExecuteAideOnlyAuthorizer,
            }
        }
    ],
)
async def test_running_code_also_needs_execute_on_kernels(jp_fetch):
    response = await jp_fetch("aide", "searches", method="POST", body=b"{}", raise_error=False)
    assert response.code == 403
    assert "execute on resource: kernels" in json.loads(response.body)["message"]
    response = await jp_fetch(
        "aide", "searches/x1/stop", method="POST", body=b"{}", raise_error=False
    )
    assert response.code == 404  # write on aide is enough to stop; the id is made up
