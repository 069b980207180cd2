"""The harness hooks of a launch spec (the holdout's interface), in both modes: prepare_child
before node code, after_exec after it succeeded, score in the kernel before the result is
published; on the portable path the snapshot carries snapshot_extra and the fresh interpreter
re-installs the module from its text and calls restore_child first."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from aide_jupyter.executors import KernelExecutor
from aide_jupyter.search.executor import ExecRequest
from tests.support_executor import kernel_running, needs_fork

pytestmark = pytest.mark.timeout(120)
MODULE = "_aide_test_harness"
SOURCE = """
import os
_STATE = {}

def snapshot_extra(key):
    return {"made_for": key, "rows": [1, 2, 3]}

def restore_child(key, extra):
    _STATE["restored"] = extra

def prepare_child(ns, key):
    ns = dict(ns)
    ns["injected"] = "hello-" + key
    ns.pop("labels", None)  # what the solution must not see
    return ns

def after_exec(ns, key, workdir):
    return {"answer": ns.get("answer"), "restored": _STATE.get("restored"),
            "workdir_ok": os.path.isdir(workdir) and os.getcwd() == workdir}

def score(key, result):
    result["scored"] = (result.get("harness") or {}).get("answer", 0) * 2
"""


@pytest.fixture(scope="module")
def user_kernel() -> Iterator[dict]:
    setup = "import pandas as pd\ndf = pd.DataFrame({'a': range(10)})\nlabels = [0, 1] * 5\n"
    with kernel_running("python3", setup) as info:
        yield info


@pytest.mark.parametrize("mode", [pytest.param("fork", marks=needs_fork), "spawn"])
async def test_hooks_run_around_node_code(user_kernel: dict, tmp_path: Path, mode: str) -> None:
    ex = KernelExecutor(user_kernel, mode=mode)
    try:
        await ex.install_module(MODULE, SOURCE)
        harness = {"module": MODULE, "key": "k1"}
        code = "print(injected, 'labels' in globals(), len(df))\nanswer = 21"
        res = await ex.run(
            ExecRequest(
                node_id="h",
                code=code,
                workdir=str(tmp_path / "h"),
                timeout_s=60,
                data_names=["df", "labels"],
                harness=harness,
            )
        )
        assert res.ok, res
        assert "hello-k1 False 10" in res.output
        assert res.harness is not None
        assert res.harness["answer"] == 21 and res.harness["workdir_ok"] is True
        assert res.harness["scored"] == 42
        restored = res.harness["restored"]
        if mode == "spawn":
            assert restored == {"made_for": "k1", "rows": [1, 2, 3]}
        else:
            assert restored is None  # a forked child shares the kernel's module state
        failing = await ex.run(
            ExecRequest(
                node_id="x",
                code="answer = 5\nraise ValueError('no')",
                workdir=str(tmp_path / "x"),
                timeout_s=60,
                data_names=["df"],
                harness=harness,
            )
        )
        assert failing.exit_cause == "exception"
        assert failing.harness == {"scored": 0}  # no after_exec after an exception
    finally:
        await ex.close()
