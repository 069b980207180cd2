from __future__ import annotations

import asyncio
import time
from pathlib import Path

from aide_jupyter.search.config import SearchConfig
from aide_jupyter.search.executor import ExecResult
from aide_jupyter.search.journal import Journal, Node
from aide_jupyter.search.loop import SearchLoop
from tests.support_engine.fakes import FakeCoder, FakeExecutor, info, script_reply


def _loop(
    tmp_path: Path,
    coder: FakeCoder | None = None,
    executor: FakeExecutor | None = None,
    journal: Journal | None = None,
    events: list | None = None,
    **cfg: object,
) -> SearchLoop:
    config = SearchConfig.from_dict({"random_seed": 1, "lower_is_better": False, **cfg})
    listeners = [lambda k, p: events.append((k, p))] if events is not None else None
    return SearchLoop(
        info(),
        journal or Journal(),
        config,
        coder or FakeCoder(),
        executor or FakeExecutor(),
        tmp_path,
        listeners=listeners,
    )


async def test_steps_budget_greedy_shape_and_events(tmp_path: Path) -> None:
    events: list = []
    loop = _loop(tmp_path, events=events, steps=8, num_drafts=3, ensemble_min_good=0)
    reason = await loop.run()
    j = loop.journal
    assert reason.startswith("step budget") and loop.status == "done"
    assert loop.info.stop_reason == reason and len(j) == 8
    assert [n.stage for n in j][:3] == ["draft"] * 3
    assert all(n.stage == "improve" for n in j.nodes[3:])
    best = j.best_node()
    assert best is not None and best.metric == 0.8 and best.metric_source == "parsed"
    assert [n.step for n in j] == list(range(8)) and len({n.id for n in j}) == 8
    for n in j:
        assert (tmp_path / "nodes" / n.id).is_dir() and n.status == "done"
    statuses = [p["status"] for k, p in events if k == "node" and p["id"] == j.nodes[0].id]
    assert statuses[0] == "queued" and "running" in statuses and statuses[-1] == "done"
    searches = [p for k, p in events if k == "search"]
    assert searches[0]["status"] == "running" and searches[-1]["status"] == "done"
    assert searches[-1]["best"] == {"node_id": best.id, "metric": 0.8}
    assert "code" not in events[0][1] and "output" not in events[0][1]


async def test_improve_prompt_carries_the_parent_output(tmp_path: Path) -> None:
    coder = FakeCoder()
    loop = _loop(tmp_path, coder=coder, steps=3, num_drafts=1)
    await loop.run()
    improve = coder.prompts[-1]
    assert (
        improve.stage == "improve" and "validation_metric" in improve.sections["execution_output"]
    )


async def test_target_metric_stops_early(tmp_path: Path) -> None:
    loop = _loop(tmp_path, steps=20, target_metric=0.3)
    reason = await loop.run()
    assert reason.startswith("target metric reached") and len(loop.journal) == 3


async def test_token_and_cost_budgets(tmp_path: Path) -> None:
    loop = _loop(tmp_path, coder=FakeCoder(tokens=50), steps=50, max_tokens=350)
    reason = await loop.run()
    assert reason.startswith("token budget") and len(loop.journal) == 4
    assert sum(n.tokens_in + n.tokens_out for n in loop.journal) == 400
    loop2 = _loop(tmp_path / "b", coder=FakeCoder(cost=0.02), steps=50, max_cost_usd=0.05)
    assert (await loop2.run()).startswith("cost budget") and len(loop2.journal) == 3
    assert loop2.summary()["cost_usd"] == 0.06


async def test_time_limit_caps_node_timeout_and_stops(tmp_path: Path) -> None:
    executor = FakeExecutor(delay=0.3)
    loop = _loop(tmp_path, executor=executor, steps=100, time_limit_s=1.0)
    started = time.monotonic()
    reason = await loop.run()
    assert reason.startswith("time limit") and time.monotonic() - started < 3
    assert all(r.timeout_s <= 1.0 for r in executor.requests)
    assert loop.info.elapsed_s >= 1.0


async def test_stop_takes_effect_quickly_and_running_node_finishes(tmp_path: Path) -> None:
    loop = _loop(tmp_path, executor=FakeExecutor(delay=0.4), steps=100)
    task = asyncio.create_task(loop.run())
    await asyncio.sleep(0.5)
    loop.request_stop()
    assert loop.status == "stopping"
    started = time.monotonic()
    assert await task == "stopped by user"
    assert time.monotonic() - started < 1.0 and loop.status == "stopped"
    assert all(n.status == "done" for n in loop.journal)


async def test_pause_then_resume_continues_numbering(tmp_path: Path) -> None:
    loop = _loop(tmp_path, executor=FakeExecutor(delay=0.05), steps=12, num_drafts=2)
    task = asyncio.create_task(loop.run())
    await asyncio.sleep(0.3)
    loop.request_pause()
    assert await task == "paused by user" and loop.status == "paused"
    assert loop.info.pause_cause == "user"
    done_before = len(loop.journal)
    assert 0 < done_before < 12
    # a new loop on the reloaded journal (as after a server restart) continues the search
    reloaded = Journal([Node.from_dict(n.to_dict()) for n in loop.journal], lower_is_better=False)
    loop2 = _loop(tmp_path, journal=reloaded, steps=12, num_drafts=2)
    loop2.info.elapsed_s = loop.info.elapsed_s
    assert (await loop2.run()).startswith("step budget")
    assert [n.step for n in loop2.journal] == list(range(12))
    assert loop2.info.elapsed_s >= loop.info.elapsed_s


async def test_forks_run_first_with_code_or_instruction(tmp_path: Path) -> None:
    coder = FakeCoder()
    loop = _loop(tmp_path, coder=coder, steps=2, num_drafts=2)
    await loop.run()
    parent = loop.journal.nodes[0]
    by_code = loop.enqueue_fork(parent.id, code="value = 5\nprint('validation_metric: 5')\n")
    by_text = loop.enqueue_fork(parent.id, instruction="use more trees")
    assert by_code.status == "queued" and by_code.stage == "fork"
    await loop.run()  # forks run even though the step budget is used
    assert by_code.status == "done" and by_code.metric == 5.0 and by_code.parent_id == parent.id
    assert by_text.status == "done" and coder.prompts[-1].sections["user_instruction"] == (
        "use more trees"
    )
    assert loop.journal.best_node() is by_code


async def test_executor_lost_pauses_and_a_new_executor_resumes(tmp_path: Path) -> None:
    events: list = []
    loop = _loop(tmp_path, executor=FakeExecutor(lose_on=3), events=events, steps=6)
    reason = await loop.run()
    assert loop.status == "paused" and reason.startswith("executor lost: kernel died")
    assert loop.info.pause_cause == "kernel"
    lost = [n for n in loop.journal if n.exit_cause == "lost"]
    assert len(lost) == 1 and lost[0].status == "failed" and "kernel died" in lost[0].error
    loop.executor = FakeExecutor()
    assert (await loop.run()).startswith("step budget") and len(loop.journal) == 6
    assert loop.info.pause_cause is None  # only a paused search has a pause cause


async def test_parallel_nodes_are_in_flight_together(tmp_path: Path) -> None:
    running: list[int] = []
    current = 0

    async def outcome_run(request):  # type: ignore[no-untyped-def]
        nonlocal current
        current += 1
        running.append(current)
        await asyncio.sleep(0.1)
        current -= 1
        return ExecResult("validation_metric: 0.5\n")

    executor = FakeExecutor()
    executor.run = outcome_run  # type: ignore[method-assign]
    loop = _loop(tmp_path, executor=executor, steps=6, parallel=3)
    started = time.monotonic()
    await loop.run()
    assert max(running) == 3 and time.monotonic() - started < 0.6


async def test_coder_failures_fail_the_node_and_the_search_goes_on(tmp_path: Path) -> None:
    replies = iter(
        ["RAISE", "no code here", "still prose", "nope", script_reply(0.4)]
        + [script_reply(0.5)] * 10
    )
    coder = FakeCoder(lambda p: next(replies))
    loop = _loop(tmp_path, coder=coder, steps=3, reply_retries=2)
    await loop.run()
    first, second, third = loop.journal.nodes
    assert first.status == "failed" and "LLM unavailable" in (first.error or "")
    assert second.status == "failed" and "no usable reply after 3 attempts" in (second.error or "")
    assert "previous_reply_problem" in coder.prompts[3].sections
    assert not second.code  # an unusable reply is never executed
    assert third.status == "done" and third.metric == 0.4


async def test_review_failure_falls_back_to_the_parsed_output(tmp_path: Path) -> None:
    loop = _loop(tmp_path, coder=FakeCoder(fail_review=True), steps=1)
    await loop.run()
    n = loop.journal.nodes[0]
    assert n.is_good and n.metric_source == "parsed" and "Review unavailable" in n.analysis


async def test_direction_fixed_from_first_review_and_buggy_nodes(tmp_path: Path) -> None:
    outputs = iter(
        [
            ExecResult("oops", "exception", "KeyError"),
            ExecResult("validation_metric: 2.0 (rmse)\n"),
            ExecResult("validation_metric: 1.0 (accuracy)\n"),
        ]
    )
    config = SearchConfig(random_seed=1, steps=3)
    loop = SearchLoop(
        info(),
        Journal(),
        config,
        FakeCoder(),
        FakeExecutor(outcome=lambda r: next(outputs)),
        tmp_path,
    )
    await loop.run()
    a, b, c = loop.journal.nodes
    assert a.is_buggy and a.status == "done" and a.metric is None
    assert b.lower_is_better is True and loop.journal.lower_is_better is True
    assert c.lower_is_better is True and loop.journal.best_node() is c


async def test_a_relative_run_dir_reaches_the_executor_as_an_absolute_workdir(
    tmp_path: Path, monkeypatch
) -> None:
    """The executor runs in another process (a kernel) with its own cwd: a relative path would
    put the node's files somewhere else (found with `jupyter aide run --data-dir`)."""
    monkeypatch.chdir(tmp_path)
    executor = FakeExecutor()
    loop = _loop(Path("runs/s1"), executor=executor, steps=2)
    await loop.run()
    for request in executor.requests:
        workdir = Path(request.workdir)
        assert workdir.is_absolute() and workdir.is_dir()
        assert workdir.parent == tmp_path / "runs" / "s1" / "nodes"


async def test_parallel_never_expands_the_same_node_twice_at_once(tmp_path: Path) -> None:
    in_flight: dict[str, str | None] = {}
    overlaps: list[str] = []
    loop: SearchLoop

    async def run(request):  # type: ignore[no-untyped-def]
        parent = loop.journal.get(request.node_id).parent_id
        if parent is not None and parent in in_flight.values():
            overlaps.append(parent)
        in_flight[request.node_id] = parent
        await asyncio.sleep(0.05)
        del in_flight[request.node_id]
        return ExecResult("validation_metric: 0.5\n")

    executor = FakeExecutor()
    executor.run = run  # type: ignore[method-assign]
    # greedy improves the one best node every time it can: the slots beside it must go elsewhere
    loop = _loop(tmp_path, executor=executor, steps=14, parallel=3, num_drafts=1, debug_prob=0.0)
    await loop.run()
    assert len(loop.journal) == 14 and not overlaps
    parents = [n.parent_id for n in loop.journal if n.stage == "improve"]
    assert parents, "the best node was improved at all"
