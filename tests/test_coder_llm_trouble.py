"""An endpoint that cannot serve pauses the search (cause "llm") at once; transient trouble is
retried and does not; what a model family refuses is learned from its error and remembered."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from aide_jupyter.coders import LLMUnavailable, make_coder
from aide_jupyter.coders.openai import OpenAICoder
from aide_jupyter.search.config import SearchConfig
from aide_jupyter.search.journal import Journal, Node
from aide_jupyter.search.loop import SearchLoop
from aide_jupyter.search.prompts import TaskContext, build_code_prompt, build_review_prompt
from tests.support_engine.fake_openai import FakeOpenAI, code_reply, completion, error
from tests.support_engine.fakes import FakeExecutor, info

CTX = TaskContext(goal="Predict y.", data=["df"], target="y")
CFG = SearchConfig()
SCRIPT = "value = 0.7\nprint('validation_metric: 0.7')"
GOOD_REVIEW = json.dumps(
    {"is_bug": False, "summary": "ok", "metric": 0.7, "lower_is_better": False}
)


@pytest.fixture
def server() -> Iterator[FakeOpenAI]:
    fake = FakeOpenAI(default=_answer).start()
    yield fake
    fake.stop()


def _answer(body: dict) -> dict:
    if body.get("tools") or "JSON" in body["messages"][-1]["content"][-400:]:
        return completion(tool_args=GOOD_REVIEW) if body.get("tools") else completion(GOOD_REVIEW)
    return code_reply(SCRIPT)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _coder(base_url: str, model: str = "gpt-4o-mini", **kw: object) -> OpenAICoder:
    settings = {"base_url": base_url, "api_key": "sk-test-x", "timeout_s": 5.0, **kw}
    return make_coder(model, **settings)  # type: ignore[return-value]


def _draft():  # type: ignore[no-untyped-def]
    return build_code_prompt("draft", Journal(), CTX, parent=None, data_overview="", config=CFG)


def _review():  # type: ignore[no-untyped-def]
    node = Node(id="n1", step=0, stage="draft", code=SCRIPT, output="validation_metric: 0.7\n")
    return build_review_prompt(node, CTX, config=CFG)


def _loop(coder: OpenAICoder, tmp_path: Path, steps: int = 3) -> SearchLoop:
    cfg = SearchConfig(steps=steps, random_seed=0)
    return SearchLoop(info(), Journal(), cfg, coder, FakeExecutor(), tmp_path)


# ----- the coder: what pauses, what is retried -----


async def test_connection_refused_is_not_retried_and_names_the_url() -> None:
    url = f"http://127.0.0.1:{_closed_port()}/v1"
    coder = _coder(url, max_retries=4, backoff_s=1.0)  # retries would take 15 s
    started = time.monotonic()
    with pytest.raises(LLMUnavailable) as caught:
        await coder.draft(_draft())
    assert time.monotonic() - started < 3.0
    assert url in str(caught.value) and "unreachable" in caught.value.error


async def test_unknown_host_is_unreachable() -> None:
    coder = _coder("http://no-such-host.invalid/v1", max_retries=4, backoff_s=1.0)
    with pytest.raises(LLMUnavailable, match="unreachable"):
        await coder.draft(_draft())


@pytest.mark.parametrize("status", [401, 403, 404])
async def test_auth_and_model_errors_pause_without_retry(server: FakeOpenAI, status: int) -> None:
    server.push(error(status, "The model `gpt-9` does not exist or you have no access"))
    with pytest.raises(LLMUnavailable, match=f"HTTP {status}: The model `gpt-9`"):
        await _coder(server.base_url, max_retries=3, backoff_s=0.01).draft(_draft())
    assert len(server.requests) == 1


async def test_retries_exhausted_are_unavailable(server: FakeOpenAI) -> None:
    server.push(*[error(503, "overloaded")] * 5)
    coder = _coder(server.base_url, max_retries=2, backoff_s=0.01)
    with pytest.raises(LLMUnavailable, match=r"still failing after 3 attempts \(HTTP 503"):
        await coder.draft(_draft())
    assert len(server.requests) == 3


# ----- the loop: pause at once, no step burned, resume continues -----


async def test_dead_endpoint_pauses_the_search_at_once(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{_closed_port()}/v1"
    loop = _loop(_coder(url, max_retries=4, backoff_s=1.0), tmp_path, steps=20)
    started = time.monotonic()
    await loop.run()
    assert time.monotonic() - started < 5.0
    assert loop.info.status == "paused" and loop.info.pause_cause == "llm"
    assert url in (loop.info.stop_reason or "")
    summary = loop.summary()
    assert summary["pause_cause"] == "llm" and summary["steps_done"] == 0
    assert [n.status for n in loop.journal.nodes] == ["queued"]  # nothing failed, nothing burned


@pytest.mark.parametrize(
    "trouble",
    [[error(401, "bad key")], [error(404, "no such model")], [error(500)] * 2],
    ids=["401", "404", "retries exhausted"],
)
async def test_trouble_pauses_then_resume_runs_the_whole_budget(
    server: FakeOpenAI, tmp_path: Path, trouble: list[dict]
) -> None:
    server.push(*trouble)
    loop = _loop(_coder(server.base_url, max_retries=1, backoff_s=0.01), tmp_path, steps=3)
    await loop.run()
    assert loop.info.status == "paused" and loop.info.pause_cause == "llm"
    assert server.base_url in (loop.info.stop_reason or "")
    assert all(n.status == "queued" for n in loop.journal.nodes)
    await loop.run()  # the endpoint is fine again
    assert loop.info.status == "done" and loop.info.pause_cause is None
    assert len(loop.journal) == 3 and all(n.is_good for n in loop.journal.nodes)


async def test_transient_trouble_is_retried_and_does_not_pause(
    server: FakeOpenAI, tmp_path: Path
) -> None:
    server.push(
        error(429, "slow down", headers={"retry-after": "0.2"}),
        error(502),
        completion("I will think about it, no code yet."),  # a reply without code
    )
    loop = _loop(_coder(server.base_url, max_retries=3, backoff_s=0.01), tmp_path, steps=2)
    await loop.run()
    assert loop.info.status == "done" and loop.info.pause_cause is None
    assert all(n.is_good for n in loop.journal.nodes)


async def test_review_endpoint_down_keeps_the_run_and_pauses(
    server: FakeOpenAI, tmp_path: Path
) -> None:
    server.push(code_reply(SCRIPT), error(401, "key revoked"))
    loop = _loop(_coder(server.base_url, max_retries=1, backoff_s=0.01), tmp_path, steps=3)
    await loop.run()
    assert loop.info.pause_cause == "llm"
    (node,) = loop.journal.nodes
    assert node.status == "done" and node.metric == 0.7 and "Review unavailable" in node.analysis


# ----- model families: learned from the error, remembered per endpoint and model -----


async def test_reasoning_model_quirks_are_learned_once(server: FakeOpenAI) -> None:
    server.behaviour = "reasoning"
    coder = _coder(server.base_url, "o9-mini", max_output_tokens=4000)
    reply = await coder.draft(_draft())
    assert "validation_metric" in reply.text
    last = server.requests[-1]
    assert "temperature" not in last and "max_tokens" not in last
    assert last["max_completion_tokens"] == 4000 and last["messages"][0]["role"] == "user"
    assert "Predict y." in last["messages"][0]["content"]  # the system text is kept
    learned = len(server.requests)
    again = _coder(server.base_url, "o9-mini", max_output_tokens=4000)  # a later search
    await again.draft(_draft())
    assert len(server.requests) == learned + 1  # no rejected call the second time


async def test_ollama_without_tools_reviews_with_json_and_404_model_pauses(
    server: FakeOpenAI,
) -> None:
    server.behaviour = "ollama"
    coder = _coder(server.base_url, "llama3.2:1b")
    review = await coder.review(_review())
    assert review.metric == 0.7 and not review.is_bug
    assert "tools" not in server.requests[-1]
    await coder.review(_review())
    assert "tools" not in server.requests[-2]  # remembered
    with pytest.raises(LLMUnavailable, match='HTTP 404: model "missing" not found'):
        await _coder(server.base_url, "missing").draft(_draft())


async def test_vllm_named_tool_choice_and_context_window(server: FakeOpenAI) -> None:
    server.behaviour = "vllm"
    coder = _coder(server.base_url, "Qwen/Qwen2.5-7B", max_output_tokens=8000)
    review = await coder.review(_review())
    assert review.metric == 0.7
    last = server.requests[-1]
    assert "tool_choice" not in last and last["tools"][0]["function"]["name"] == "submit_review"
    assert "max_tokens" not in last


async def test_unknown_prices_make_the_cost_unknown_not_zero(
    server: FakeOpenAI, tmp_path: Path
) -> None:
    coder = _coder(server.base_url, "my-local-llm")
    reply = await coder.draft(_draft())
    assert reply.usage.cost_usd is None and reply.usage.tokens_in == 100
    loop = _loop(coder, tmp_path, steps=1)
    await loop.run()
    assert loop.summary()["cost_usd"] is None and loop.journal.totals()["cost_usd"] is None
    priced = _loop(_coder(server.base_url, "gpt-4o-mini"), tmp_path / "p", steps=1)
    await priced.run()
    assert priced.summary()["cost_usd"] > 0
