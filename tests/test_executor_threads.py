"""Thread pools in forked nodes: OpenMP used by the kernel must not hang a node, pools are capped
to `cores // parallel`, and a pool already within its cap is left alone (restarting OpenBLAS's
spinning workers made small fits several times slower)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from aide_jupyter.executors import StandaloneExecutor
from aide_jupyter.search.executor import ExecRequest
from tests.support_executor import fork_is_auto

pytestmark = [pytest.mark.timeout(180), fork_is_auto]

SETUP = """
import numpy as np
from sklearn.datasets import make_classification
from sklearn.ensemble import HistGradientBoostingClassifier
X, y = make_classification(n_samples=2000, n_features=10, random_state=0)
HistGradientBoostingClassifier(max_iter=20).fit(X, y)  # the kernel's OpenMP pool now exists
"""

POOLS = """
import json
from threadpoolctl import threadpool_info
print("POOLS", json.dumps({i["internal_api"]: i["num_threads"] for i in threadpool_info()}))
"""


def _pools(output: str) -> dict[str, int]:
    line = next(ln for ln in output.splitlines() if ln.startswith("POOLS "))
    return json.loads(line[len("POOLS ") :])


async def test_openmp_fit_in_a_fork_of_a_kernel_that_used_openmp(tmp_path: Path) -> None:
    code = (
        "from sklearn.ensemble import HistGradientBoostingClassifier\n"
        "m = HistGradientBoostingClassifier(max_iter=20).fit(X, y)\n"
        "print('acc', m.score(X, y))\n" + POOLS
    )
    async with StandaloneExecutor(setup_code=SETUP) as ex:
        res = await ex.run(
            ExecRequest(node_id="omp", code=code, workdir=str(tmp_path / "omp"), timeout_s=60)
        )
    assert res.exit_cause == "ok", res
    assert "acc " in res.output
    assert _pools(res.output).get("openmp") == 1


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="needs two cores to tell caps apart")
async def test_blas_pool_is_capped_by_parallel_and_untouched_within_its_cap(
    tmp_path: Path,
) -> None:
    cores = os.cpu_count() or 1
    async with StandaloneExecutor(setup_code=SETUP, parallel=2) as ex:
        capped = await ex.run(
            ExecRequest(node_id="p2", code=POOLS, workdir=str(tmp_path / "p2"), timeout_s=60)
        )
        assert ex.executor is not None
        ex.executor.parallel = 1  # one node at a time: the whole machine is the node's
        whole = await ex.run(
            ExecRequest(node_id="p1", code=POOLS, workdir=str(tmp_path / "p1"), timeout_s=60)
        )
    assert capped.exit_cause == "ok" and whole.exit_cause == "ok"
    assert _pools(capped.output)["openblas"] == max(1, cores // 2)
    assert _pools(whole.output)["openblas"] == cores
