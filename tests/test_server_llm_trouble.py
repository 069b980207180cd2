"""The server picks the LLM when a key or base URL is set, names coder and model in summaries, and
pauses a search whose endpoint cannot serve (pause_cause "llm"); resume then finishes it."""

from __future__ import annotations

import json
import socket

import pytest

from tests.support_engine.fake_openai import FakeOpenAI, code_reply, completion, error
from tests.support_server import api, start_kernel, wait_search

pytestmark = pytest.mark.timeout(150)
SCRIPT = """from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_score
X, y = make_classification(n_samples=120, n_features=4, random_state=0)
print("validation_metric:", cross_val_score(LogisticRegression(), X, y, cv=3).mean())
"""
REVIEW = {"is_bug": False, "summary": "fine", "metric": None, "lower_is_better": False}


def _reply(body: dict) -> dict:
    if body.get("tools"):
        return completion(tool_args=json.dumps(REVIEW))
    return code_reply(SCRIPT)


@pytest.fixture
def fake_llm(monkeypatch):
    server = FakeOpenAI(default=_reply).start()
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("AIDE_MODEL", raising=False)
    monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)  # a local server needs no key
    yield server
    server.stop()


async def test_no_key_means_builtin_said_so(jp_fetch, monkeypatch):
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "AIDE_MODEL"):
        monkeypatch.delenv(name, raising=False)
    kernel_id = await start_kernel(jp_fetch)
    body = {"kernel_id": kernel_id, "goal": "predict label", "steps": 1}
    code, summary = await api(jp_fetch, "searches", method="POST", body=body)
    assert code == 201, summary
    assert (summary["coder"], summary["model"], summary["endpoint"]) == ("builtin", "builtin", None)
    await api(jp_fetch, "searches", summary["id"], "stop", method="POST", body={})


async def test_base_url_alone_selects_the_llm_then_trouble_pauses_and_resume_finishes(
    fake_llm, jp_fetch
):
    code, health = await api(jp_fetch, "health")
    assert health["default_model"] == "gpt-4o-mini" and "openai" in health["coders"]
    kernel_id = await start_kernel(jp_fetch)
    fake_llm.push(error(401, "invalid api key"))
    body = {"kernel_id": kernel_id, "goal": "predict label; accuracy", "steps": 2}
    code, summary = await api(jp_fetch, "searches", method="POST", body=body)
    assert code == 201, summary
    assert (summary["coder"], summary["model"]) == ("openai", "gpt-4o-mini")
    assert summary["endpoint"] == fake_llm.base_url
    sid = summary["id"]
    paused = await wait_search(jp_fetch, sid, lambda d: d["status"] == "paused", 60)
    assert paused["pause_cause"] == "llm"
    assert fake_llm.base_url in paused["stop_reason"] and "HTTP 401" in paused["stop_reason"]
    assert paused["steps_done"] == 0 and paused["counts"]["buggy"] == 0
    code, resumed = await api(jp_fetch, "searches", sid, "resume", method="POST", body={})
    assert code == 200, resumed
    done = await wait_search(jp_fetch, sid, lambda d: d["status"] == "done", 120)
    assert done["steps_done"] == 2 and done["counts"]["good"] == 2 and done["pause_cause"] is None


async def test_unreachable_endpoint_pauses_fast(jp_fetch, jp_serverapp, monkeypatch):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}/v1"
    monkeypatch.setenv("OPENAI_BASE_URL", url)
    monkeypatch.delenv("AIDE_MODEL", raising=False)
    kernel_id = await start_kernel(jp_fetch)
    body = {"kernel_id": kernel_id, "goal": "predict y", "steps": 20}
    code, summary = await api(jp_fetch, "searches", method="POST", body=body)
    assert code == 201, summary
    # 20 steps with 15 s of retries each would take minutes; a pause comes after one attempt.
    paused = await wait_search(jp_fetch, summary["id"], lambda d: d["status"] == "paused", 30)
    assert paused["pause_cause"] == "llm" and url in paused["stop_reason"]
    assert "unreachable" in paused["stop_reason"] and paused["steps_done"] == 0


def test_a_cost_budget_needs_a_price_for_the_model(monkeypatch):
    from aide_jupyter.search.config import ConfigError
    from aide_jupyter.server.app import AideExtension

    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:1/v1")
    app = AideExtension(max_cost_usd=2.0)
    with pytest.raises(ConfigError) as caught:
        app.search_config({"model": "my-local-llm"})
    assert caught.value.field == "model" and "price_table" in caught.value.message
    assert app.search_config({"model": "gpt-4o-mini"}).max_cost_usd == 2.0  # a known price
    priced = AideExtension(
        max_cost_usd=2.0, price_table={"my-local-llm": {"input": 0, "output": 0}}
    )
    assert priced.search_config({"model": "my-local-llm"}).model == "my-local-llm"
    assert AideExtension().search_config({"model": "my-local-llm"}).max_cost_usd is None
