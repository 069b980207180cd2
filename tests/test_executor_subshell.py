"""Launching beside the user's cell: with kernel subshells (ipykernel >= 7) nodes start and finish
while a long user cell runs; without them (an old kernel, simulated by not using the feature)
the executor says so and nodes wait for the cell instead of hanging."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from aide_jupyter.executors import KernelExecutor
from aide_jupyter.search.executor import ExecRequest
from tests.support_executor import AUTO_MODE, Frontend, user_kernel_running

pytestmark = pytest.mark.timeout(180)


@pytest.fixture(scope="module")
def user_kernel() -> Iterator[dict]:
    with user_kernel_running() as info:
        yield info


def _node(tmp_path: Path, i: int) -> ExecRequest:
    code = "import time\ntime.sleep(0.5)\nprint('rows', len(df))"
    return ExecRequest(node_id=f"n{i}", code=code, workdir=str(tmp_path / f"n{i}"), timeout_s=30)


async def test_nodes_run_while_a_user_cell_runs(user_kernel: dict, tmp_path: Path) -> None:
    user = Frontend(user_kernel)
    ex = KernelExecutor(user_kernel)
    try:
        cell = asyncio.ensure_future(user.execute("import time\ntime.sleep(20)", timeout=60))
        await asyncio.sleep(0.5)  # the user's cell is running
        started = time.monotonic()
        finished = []
        for i in range(3):
            res = await ex.run(_node(tmp_path, i))
            assert res.ok and "rows 1000" in res.output, res
            finished.append(time.monotonic() - started)
        assert not cell.done(), "the nodes should finish while the user's cell still runs"
        assert finished[-1] < 15, finished
        assert ex.describe() == {"mode": AUTO_MODE, "subshell": True}
        content, _ = await cell
        assert content["status"] == "ok"
    finally:
        await ex.close()
        user.close()


async def test_without_subshells_nodes_wait_and_the_summary_says_so(
    user_kernel: dict, tmp_path: Path
) -> None:
    user = Frontend(user_kernel)
    ex = KernelExecutor(user_kernel, use_subshell=False)
    try:
        await ex.start()
        assert ex.describe()["subshell"] is False
        cell = asyncio.ensure_future(user.execute("import time\ntime.sleep(4)", timeout=60))
        await asyncio.sleep(0.5)
        res = await asyncio.wait_for(ex.run(_node(tmp_path, 9)), 60)
        assert res.ok, res
        assert cell.done(), "on the main shell the launch waits behind the user's cell"
    finally:
        await ex.close()
        user.close()
