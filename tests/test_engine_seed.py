"""Searches that start from the user's code: the seed root, the policy around it, the prompts."""

from __future__ import annotations

import asyncio
import random
from pathlib import Path

import pytest

from aide_jupyter.search.config import ConfigError, SearchConfig
from aide_jupyter.search.executor import ExecRequest, ExecResult
from aide_jupyter.search.journal import Journal
from aide_jupyter.search.loop import SearchLoop
from aide_jupyter.search.seeding import add_seed, seeded_policy
from tests.support_engine.fakes import FakeCoder, FakeExecutor, info, node, script_reply

WEAK_SEED = "# the user's cell\nvalue = 0.3\nprint(f'accuracy: {value}')\n"


def _loop(tmp_path: Path, journal: Journal, coder: FakeCoder, **cfg: object) -> SearchLoop:
    executor = cfg.pop("executor", None) or FakeExecutor()
    config = SearchConfig.from_dict({"seed": 1, "lower_is_better": False, **cfg})
    return SearchLoop(info(), journal, config, coder, executor, tmp_path)  # type: ignore[arg-type]


def _select(journal: Journal, **cfg: object) -> tuple[str, str | None]:
    cfg.setdefault("ensemble_min_good", 0)  # the seed's rules, without the ensemble step
    action = seeded_policy(SearchConfig.from_dict(cfg)).select(journal, random.Random(0))
    return action.stage, action.parent_id


def test_add_seed_makes_the_queued_root_at_step_zero() -> None:
    j = Journal()
    seed = add_seed(j, "\n\nx = 1\n\n")
    assert (seed.step, seed.stage, seed.status, seed.parent_id) == (0, "seed", "queued", None)
    assert seed.code == "x = 1\n" and j.seed_node is seed and seed.plan.startswith("The user's")
    with pytest.raises(ValueError, match="first node"):
        add_seed(j, "y = 2")
    with pytest.raises(ValueError, match="non-empty"):
        add_seed(Journal(), "   ")


def test_seed_drafts_is_validated() -> None:
    assert SearchConfig().seed_drafts == 2
    with pytest.raises(ConfigError) as err:
        SearchConfig(seed_drafts=-1)
    assert err.value.field == "seed_drafts"


def test_policy_debugs_a_buggy_seed_and_improves_a_good_one_first() -> None:
    buggy = Journal()
    node(buggy, "s", "seed", buggy=True)
    assert _select(buggy) == ("debug", "s")
    good = Journal()
    node(good, "s", "seed", metric=0.5)
    assert _select(good, debug_prob=1.0) == ("improve", "s")


def test_policy_then_makes_seed_drafts_then_runs_the_inner_policy() -> None:
    j = Journal()
    node(j, "s", "seed", metric=0.5)
    node(j, "i1", "improve", "s", metric=0.6)
    assert _select(j) == ("draft", None)
    node(j, "d1", metric=0.4)
    assert _select(j) == ("draft", None)
    node(j, "d2", metric=0.7)
    # Seed plus seed_drafts drafts: the greedy policy improves the best, never drafts again.
    assert _select(j, debug_prob=0.0) == ("improve", "d2")
    assert _select(j, seed_drafts=1, debug_prob=0.0) == ("improve", "d2")


def test_policy_with_no_drafts_stays_below_the_seed() -> None:
    j = Journal()
    node(j, "s", "seed", metric=0.5)
    node(j, "i1", "improve", "s", metric=0.4)
    assert _select(j, seed_drafts=0, debug_prob=0.0) == ("improve", "s")


async def test_a_weak_seed_runs_first_and_the_search_builds_on_it(tmp_path: Path) -> None:
    journal = Journal()
    add_seed(journal, WEAK_SEED)
    values = iter([0.9, 0.2, 0.25, 0.95, 0.5, 0.5])
    coder = FakeCoder(lambda p: script_reply(next(values)))
    executor = FakeExecutor()
    loop = _loop(tmp_path, journal, coder, steps=5, executor=executor, debug_prob=0.0)
    await loop.run()
    root = journal.nodes[0]
    assert executor.requests[0].node_id == root.id and executor.requests[0].code == root.code
    assert (root.step, root.stage, root.parent_id, root.status) == (0, "seed", None, "done")
    assert root.metric == 0.3 and root.is_buggy is False
    assert [(n.stage, n.parent_id) for n in journal.nodes[1:4]] == [
        ("improve", root.id),
        ("draft", None),
        ("draft", None),
    ]
    assert all(n.stage != "draft" for n in journal.nodes[4:])
    # Every prompt tells the coder about the user's code; the improve prompt holds it as the
    # previous solution, the drafts as the starting point.
    improve, draft = coder.prompts[0], coder.prompts[1]
    assert "previous solution below" in improve.sections["seed"]
    assert "value = 0.3" in improve.sections["previous_solution"]
    assert "value = 0.3" in draft.sections["seed"] and "metric of 0.3" in draft.sections["seed"]
    assert all(p.seed_code == root.code for p in coder.prompts)
    assert "The user's starting point" in draft.render()
    best = journal.best_node()
    assert best is not None and best.metric is not None and best.metric >= root.metric


async def test_a_buggy_seed_is_debugged_first(tmp_path: Path) -> None:
    journal = Journal()
    seed = add_seed(journal, "model = RandomForestClasifier()\n")

    class Exec(FakeExecutor):
        async def run(self, request: ExecRequest) -> ExecResult:
            if request.node_id == seed.id:
                return ExecResult(
                    "NameError: name 'RandomForestClasifier' is not defined\n",
                    exit_cause="exception",
                    exc_type="NameError",
                    exc_traceback="Traceback ...\nNameError: name 'RandomForestClasifier'",
                )
            return await super().run(request)

    coder = FakeCoder()
    loop = _loop(tmp_path, journal, coder, steps=3, executor=Exec())
    await loop.run()
    assert seed.is_buggy and seed.exc_type == "NameError"
    first = journal.nodes[1]
    assert (first.stage, first.parent_id) == ("debug", seed.id)
    debug = coder.prompts[0]
    assert debug.stage == "debug" and "RandomForestClasifier" in debug.sections["previous_solution"]
    assert "NameError" in debug.sections["execution_output"]
    assert "did not give a usable result (NameError)" in debug.sections["seed"]
    assert journal.nodes[2].stage == "draft"


async def test_notebook_context_reaches_every_code_prompt(tmp_path: Path) -> None:
    journal = Journal()
    add_seed(journal, WEAK_SEED)
    coder = FakeCoder()
    loop = _loop(tmp_path, journal, coder, steps=3)
    loop.notebook_context = "import pandas as pd\ndf['ratio'] = df.a / df.b\n"
    await loop.run()
    assert len(coder.prompts) == 2
    for prompt in coder.prompts:
        assert "df['ratio']" in prompt.sections["notebook_context"]


async def test_a_seed_cut_off_by_a_pause_keeps_its_code_and_runs_again_on_resume(
    tmp_path: Path,
) -> None:
    class Cancellable(FakeExecutor):
        """Sleeps while running; `cancel` ends the sleep with a Cancelled result."""

        def __init__(self) -> None:
            super().__init__()
            self.slow = True
            self.cut = asyncio.Event()

        async def run(self, request: ExecRequest) -> ExecResult:
            if self.slow:
                self.requests.append(request)
                await asyncio.wait_for(self.cut.wait(), 10)
                return ExecResult("", exit_cause="cancelled", exc_type="Cancelled")
            return await super().run(request)

        async def cancel(self, node_ids: list[str]) -> None:
            self.cut.set()

    journal = Journal()
    seed = add_seed(journal, WEAK_SEED)
    executor = Cancellable()
    loop = _loop(tmp_path, journal, FakeCoder(), steps=2, executor=executor)
    task = asyncio.create_task(loop.run())
    for _ in range(100):
        if executor.requests:
            break
        await asyncio.sleep(0.05)
    loop.request_pause()
    await asyncio.wait_for(task, 10)
    assert loop.status == "paused" and seed.exc_type == "Cancelled" and seed.code == WEAK_SEED
    executor.slow = False
    await loop.run()
    assert seed.status == "done" and seed.metric == 0.3 and seed.exc_type is None
    assert [n.stage for n in journal] == ["seed", "improve"]
    assert [r.node_id for r in executor.requests].count(seed.id) == 2
