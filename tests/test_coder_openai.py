from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from aide_jupyter.coders import make_coder
from aide_jupyter.coders.openai import OpenAICoder
from aide_jupyter.search.coder import CoderError, LLMUnavailable
from aide_jupyter.search.config import SearchConfig
from aide_jupyter.search.journal import Journal, Node
from aide_jupyter.search.loop import SearchLoop
from aide_jupyter.search.prompts import TaskContext, build_code_prompt, build_review_prompt
from tests.support_engine.fake_openai import FakeOpenAI, code_reply, completion, error
from tests.support_engine.fakes import FakeExecutor, info

CTX = TaskContext(goal="Predict y.", data=["df"], target="y")
CFG = SearchConfig()
SECRET = "sk-test-THISISSECRET123456"


@pytest.fixture
def server() -> Iterator[FakeOpenAI]:
    fake = FakeOpenAI().start()
    yield fake
    fake.stop()


def _coder(server: FakeOpenAI, **kw: object) -> OpenAICoder:
    settings = {
        "base_url": server.base_url,
        "api_key": SECRET,
        "timeout_s": 2.0,
        "backoff_s": 0.01,
        "max_retries": 3,
        **kw,
    }
    return make_coder("gpt-4o-mini", **settings)  # type: ignore[return-value]


def _draft_prompt():  # type: ignore[no-untyped-def]
    return build_code_prompt(
        "draft", Journal(), CTX, parent=None, data_overview="df: 3 rows", config=CFG
    )


def _review_prompt(output: str = "validation_metric: 0.8\n"):  # type: ignore[no-untyped-def]
    n = Node(
        id="n1",
        step=0,
        stage="draft",
        code="print('validation_metric: 0.8')\n",
        output=output,
        exit_cause="ok",
    )
    return build_review_prompt(n, CTX, config=CFG)


async def test_code_reply_usage_cost_and_request_shape(server: FakeOpenAI) -> None:
    server.push(code_reply("print('validation_metric: 1')", "Plan it."))
    coder = _coder(server, prices={"gpt-4o-mini": (1.0, 2.0)})
    reply = await coder.draft(_draft_prompt())
    assert "```python" in reply.text and not reply.truncated
    assert (reply.usage.tokens_in, reply.usage.tokens_out) == (100, 50)
    assert reply.usage.cost_usd == pytest.approx((100 * 1.0 + 50 * 2.0) / 1e6)
    body = server.requests[0]
    assert body["model"] == "gpt-4o-mini" and body["temperature"] == 0.5
    assert body["messages"][0]["role"] == "system"
    assert "# Task goal and evaluation" in body["messages"][1]["content"]
    assert coder.usage.calls == 1
    await coder.close()


async def test_retries_429_with_retry_after_and_500(server: FakeOpenAI) -> None:
    server.push(
        error(429, "slow down", headers={"retry-after": "0.3"}), error(500), code_reply("x = 1")
    )
    coder = _coder(server)
    started = time.monotonic()
    reply = await coder.improve(_draft_prompt())
    assert "x = 1" in reply.text and len(server.requests) == 3
    assert time.monotonic() - started >= 0.3  # Retry-After honoured


async def test_gives_up_after_bounded_retries(server: FakeOpenAI) -> None:
    server.push(*[error(503)] * 10)
    coder = _coder(server, max_retries=2)
    with pytest.raises(LLMUnavailable, match="still failing after 3 attempts"):
        await coder.draft(_draft_prompt())
    assert len(server.requests) == 3


async def test_slow_reply_times_out_and_is_retried(server: FakeOpenAI) -> None:
    slow = code_reply("late = 1")
    slow["delay"] = 3.0
    server.push(slow, code_reply("on_time = 1"))
    coder = _coder(server, timeout_s=0.5)
    started = time.monotonic()
    reply = await coder.debug(_draft_prompt())
    assert "on_time" in reply.text and time.monotonic() - started < 2.5


async def test_client_errors_are_not_retried(server: FakeOpenAI) -> None:
    server.push(error(401, "invalid api key"))
    with pytest.raises(LLMUnavailable, match="HTTP 401"):
        await _coder(server).draft(_draft_prompt())
    assert len(server.requests) == 1


async def test_temperature_rejection_is_learned(server: FakeOpenAI) -> None:
    server.reject_temperature = True
    server.push(code_reply("a = 1"), code_reply("b = 2"))
    coder = _coder(server)
    assert "a = 1" in (await coder.draft(_draft_prompt())).text
    assert "b = 2" in (await coder.draft(_draft_prompt())).text
    sent = ["temperature" in r for r in server.requests]
    assert sent == [True, False, False]


async def test_review_by_function_call(server: FakeOpenAI) -> None:
    args = {"is_bug": False, "summary": "fine", "metric": 0.8, "lower_is_better": False}
    server.push(completion(tool_args=json.dumps(args)))
    review = await _coder(server, feedback_model="judge").review(_review_prompt())
    assert (review.is_bug, review.metric, review.lower_is_better) == (False, 0.8, False)
    body = server.requests[0]
    assert body["model"] == "judge" and body["tools"][0]["function"]["name"] == "submit_review"
    assert body["tool_choice"]["function"]["name"] == "submit_review"


async def test_malformed_tool_json_is_retried_then_fails(server: FakeOpenAI) -> None:
    good = {"is_bug": True, "summary": "crashed", "metric": None, "lower_is_better": False}
    server.push(completion(tool_args='{"is_bug": tru'), completion(tool_args=json.dumps(good)))
    review = await _coder(server).review(_review_prompt())
    assert review.is_bug and review.metric is None and len(server.requests) == 2
    server.push(*[completion(tool_args="{broken")] * 3)
    with pytest.raises(CoderError, match="no usable review"):
        await _coder(server, reply_retries=2).review(_review_prompt())


async def test_model_without_tools_falls_back_to_json(server: FakeOpenAI) -> None:
    server.reject_tools = True
    server.push(
        completion(
            '```json\n{"is_bug": false, "summary": "ok", "metric": 0.8, '
            '"lower_is_better": false}\n```'
        )
    )
    coder = _coder(server)
    review = await coder.review(_review_prompt())
    assert review.metric == 0.8 and not review.is_bug
    assert "tools" in server.requests[0] and "tools" not in server.requests[1]
    assert "only a JSON object" in server.requests[1]["messages"][1]["content"]
    server.push(
        completion('{"is_bug": true, "summary": "x", "metric": null, "lower_is_better": true}')
    )
    await coder.review(_review_prompt())
    assert "tools" not in server.requests[2]  # remembered: no second rejected call


async def test_key_never_leaks(server: FakeOpenAI, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    server.push(error(500), code_reply("x = 1"))
    coder = _coder(server)
    await coder.draft(_draft_prompt())
    assert SECRET not in repr(coder) and SECRET not in json.dumps(coder.settings())
    assert SECRET not in caplog.text


def test_missing_key_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    with pytest.raises(CoderError, match="OPENAI_API_KEY"):
        make_coder("gpt-4o")


async def test_search_goes_on_after_an_unusable_reply(server: FakeOpenAI, tmp_path: Path) -> None:
    """A request the model refuses (400) fails that node only; the next node still runs."""
    script = "value = 0.7\nprint('validation_metric: 0.7')"
    server.push(
        error(400, "prompt too long"),
        code_reply(script),
        completion(
            tool_args=json.dumps(
                {"is_bug": False, "summary": "ok", "metric": 0.7, "lower_is_better": False}
            )
        ),
    )
    coder = _coder(server, max_retries=1)
    loop = SearchLoop(
        info(), Journal(), SearchConfig(steps=2, random_seed=0), coder, FakeExecutor(), tmp_path
    )
    await loop.run()
    first, second = loop.journal.nodes
    assert first.status == "failed" and "prompt too long" in (first.error or "")
    assert second.is_good and second.metric == 0.7 and second.tokens_in == 200
    assert loop.journal.lower_is_better is False and loop.info.status == "done"
