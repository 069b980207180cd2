"""Executor lifecycle: kernel restart mid-node, spawn fallback, standalone kernel, helpers."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from jupyter_client.manager import AsyncKernelManager

from aide_jupyter.executors import KernelExecutor, StandaloneExecutor
from aide_jupyter.executors import runner as runner_mod
from aide_jupyter.search.executor import ExecRequest, ExecutorLost

pytestmark = pytest.mark.timeout(120)


async def test_restart_mid_node_raises_executor_lost_then_resumes(tmp_path: Path) -> None:
    km = AsyncKernelManager(kernel_name="python3")
    await km.start_kernel()
    ex = KernelExecutor(km.get_connection_info(session=False))
    try:
        await ex.start()
        task = asyncio.ensure_future(
            ex.run(
                ExecRequest(
                    node_id="long",
                    code="import time\ntime.sleep(60)",
                    workdir=str(tmp_path / "long"),
                    timeout_s=60,
                )
            )
        )
        await asyncio.sleep(1.0)
        await km.restart_kernel(now=True)
        start = time.monotonic()
        with pytest.raises(ExecutorLost):
            await asyncio.wait_for(task, 20)
        assert time.monotonic() - start < 10
        res = await ex.run(
            ExecRequest(
                node_id="after",
                code="print('again')",
                workdir=str(tmp_path / "after"),
                timeout_s=20,
            )
        )
        assert res.ok and "again" in res.output
    finally:
        await ex.close()
        await km.shutdown_kernel(now=True)


async def test_spawn_mode_pickles_named_data(tmp_path: Path) -> None:
    setup = "import pandas as pd\ndf = pd.DataFrame({'a': [1, 2, 3]})\nsecret = 42"
    async with StandaloneExecutor(setup_code=setup, mode="spawn") as ex:
        code = (
            "import os\nprint('shape', df.shape)\nos.write(1, b'raw\\n')\n"
            "df.drop(columns=['a'], inplace=True)\nprint('secret' in globals())\n1/0"
        )
        res = await ex.run(
            ExecRequest(
                node_id="s", code=code, workdir=str(tmp_path / "s"), timeout_s=60, data_names=["df"]
            )
        )
        assert res.exit_cause == "exception" and res.exc_type == "ZeroDivisionError", res
        assert "shape (3, 1)" in res.output and "raw" in res.output and "False" in res.output
        assert "aide_runner" not in (res.exc_traceback or "")
        content = await ex.run_code("assert list(df.columns) == ['a']")
        assert content["status"] == "ok"
        slow = await ex.run(
            ExecRequest(
                node_id="t", code="while True: pass", workdir=str(tmp_path / "t"), timeout_s=2
            )
        )
        assert slow.exit_cause == "timeout"


def test_output_keeps_head_and_tail(tmp_path: Path) -> None:
    path = tmp_path / "out.log"
    path.write_bytes(b"HEAD" + b"x" * 10_000 + b"TAIL")
    text = runner_mod._read_capped(str(path), 1000)
    assert text.startswith("HEAD") and text.endswith("TAIL")
    assert "bytes of output omitted" in text and len(text) < 1100


def test_mode_validation() -> None:
    with pytest.raises(ValueError):
        KernelExecutor({}, mode="thread")


def test_variables_name_table_columns_only() -> None:
    import numpy as np
    import pandas as pd

    from aide_jupyter.executors.runner.common import variables

    class Odd:
        shape = (2,)
        columns = 3  # not a sequence of names

    ns = {
        "wide": pd.DataFrame(np.zeros((2, 600)), columns=[f"c{i}" for i in range(600)]),
        "arr": np.zeros((3, 2)),
        "odd": Odd(),
        "DataFrame": pd.DataFrame,
    }
    found = {v["name"]: v for v in variables(ns)}
    assert found["wide"]["columns"] == [f"c{i}" for i in range(500)]  # capped
    assert "columns" not in found["arr"] and "columns" not in found["odd"]
    assert "DataFrame" not in found  # a class is not data
