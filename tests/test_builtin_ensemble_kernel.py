"""The builtin coder's ensemble node runs and scores on a real kernel."""

from __future__ import annotations

from pathlib import Path

import pytest

from aide_jupyter.coders.builtin import BuiltinCoder
from aide_jupyter.coders.builtin_templates import read_spec
from aide_jupyter.executors.standalone import StandaloneExecutor
from aide_jupyter.search.config import SearchConfig
from aide_jupyter.search.journal import Journal
from aide_jupyter.search.loop import SearchLoop
from tests.support_engine.fakes import info

pytestmark = pytest.mark.timeout(300)

SETUP = "from sklearn.datasets import load_breast_cancer\ndf = load_breast_cancer(as_frame=True).frame\n"


async def test_ensemble_of_the_top_drafts_scores_like_any_node(tmp_path: Path) -> None:
    config = SearchConfig(
        steps=4, num_drafts=3, random_seed=0, ensemble_min_good=3, ensemble_size=3
    )
    search = info(goal="Classify tumours; metric accuracy.", data=["df"], target="target")
    coder = BuiltinCoder(families=["linear", "random_forest", "hist_gb"])
    async with StandaloneExecutor(setup_code=SETUP, cwd=str(tmp_path)) as ex:
        loop = SearchLoop(search, Journal(), config, coder, ex, tmp_path)
        await loop.run()
    j = loop.journal
    drafts, ens = j.nodes[:3], j.nodes[3]
    assert all(n.is_good for n in drafts), [n.output for n in drafts]
    assert ens.stage == "ensemble" and ens.is_good, ens.output
    ranked = sorted(drafts, key=lambda n: (-n.metric, n.step))  # type: ignore[operator]
    assert [ens.parent_id, *ens.merged_ids] == [n.id for n in ranked]
    spec = read_spec(ens.code)
    assert spec is not None and spec.family == "ensemble"
    assert sorted(m["family"] for m in spec.members) == ["hist_gb", "linear", "random_forest"]
    assert "VotingClassifier" in ens.code and "ensemble of 3 models" in ens.output
    assert ens.metric is not None and ens.metric > 0.95 and ens.metric_source == "parsed"
    assert ens.plan.startswith("Ensemble of the best solutions so far")
