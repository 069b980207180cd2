"""Same `random_seed`, same data, builtin coder: the same tree and the same metrics, on a real kernel."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from aide_jupyter.coders import make_coder
from aide_jupyter.executors.standalone import StandaloneExecutor
from aide_jupyter.search.config import SearchConfig
from aide_jupyter.search.journal import Journal
from aide_jupyter.search.loop import SearchLoop
from tests.support_engine.fakes import info

pytestmark = pytest.mark.timeout(600)

SETUP = (
    "from sklearn.datasets import load_diabetes\n"
    "df = load_diabetes(as_frame=True).frame\n"
    "df['target'] = df['target'].round(0)\n"
)


def _tree(journal: Journal) -> list[dict[str, Any]]:
    """Each node by step: stage, parent's step, code, metric (node ids are random and left out)."""
    step_of = {n.id: n.step for n in journal}
    return [
        {
            "step": n.step,
            "stage": n.stage,
            "parent": step_of.get(n.parent_id) if n.parent_id else None,
            "code": n.code,
            "metric": n.metric,
            "buggy": n.is_buggy,
        }
        for n in journal
    ]


async def _search(ex: StandaloneExecutor, tmp: Path, seed: int, policy: str) -> Journal:
    config = SearchConfig(steps=5, num_drafts=3, random_seed=seed, policy=policy)
    search = info(goal="Predict disease progression; metric RMSE.", data=["df"], target="target")
    loop = SearchLoop(search, Journal(), config, make_coder("builtin"), ex, tmp)
    await loop.run()
    assert search.config["random_seed"] == seed  # recorded in the journal's search config
    return loop.journal


@pytest.mark.parametrize("policy", ["greedy", "evolve"])
async def test_same_seed_same_tree_other_seed_other_tree(tmp_path: Path, policy: str) -> None:
    async with StandaloneExecutor(setup_code=SETUP, cwd=str(tmp_path)) as ex:
        first = _tree(await _search(ex, tmp_path / "a", 11, policy))
        again = _tree(await _search(ex, tmp_path / "b", 11, policy))
        other = _tree(await _search(ex, tmp_path / "c", 12, policy))
    assert len(first) == 5 and sum(n["metric"] is not None for n in first) >= 4
    assert "ensemble" in {n["stage"] for n in first}  # the policy got past the drafts
    for a, b in zip(first, again, strict=True):
        assert a == b, f"step {a['step']} differs between two runs with the same seed"
    assert [n["metric"] for n in first] != [n["metric"] for n in other]
