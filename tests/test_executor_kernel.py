"""The live-kernel executor against a real kernel: parallelism, user latency, introspection.

Isolation, faults, cancel and secrets run over both modes in tests/test_executor_modes.py."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from aide_jupyter.executors import KernelExecutor
from aide_jupyter.search.executor import ExecRequest
from tests.support_executor import Frontend, user_kernel_running

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
def user_kernel() -> Iterator[dict]:
    """A user's kernel holding a DataFrame `df`, shared by the tests of this module."""
    with user_kernel_running() as info:
        yield info


def req(
    tmp_path: Path, node_id: str, code: str, timeout_s: float = 20.0, **kw: object
) -> ExecRequest:
    return ExecRequest(
        node_id=node_id, code=code, workdir=str(tmp_path / node_id), timeout_s=timeout_s, **kw
    )  # type: ignore[arg-type]


async def test_parallel_nodes_do_not_block_user_cells(user_kernel: dict, tmp_path: Path) -> None:
    user = Frontend(user_kernel)
    ex = KernelExecutor(user_kernel, parallel=2)
    code = "import time\nprint('start', time.time())\ntime.sleep({s})\nprint('end', time.time())"
    try:
        runs = asyncio.gather(
            ex.run(req(tmp_path, "p1", code.format(s=10))),
            ex.run(req(tmp_path, "p2", code.format(s=3))),
        )
        task = asyncio.ensure_future(runs)
        await asyncio.sleep(1.0)
        latencies = []
        for _ in range(5):
            content, took = await user.execute("1 + 1")
            assert content["status"] == "ok"
            latencies.append(took)
        assert max(latencies) < 0.5, latencies
        r1, r2 = await task
        assert r1.ok and r2.ok, (r1, r2)
        s1, e1 = (float(v) for v in re.findall(r"(?:start|end) ([\d.]+)", r1.output))
        s2, e2 = (float(v) for v in re.findall(r"(?:start|end) ([\d.]+)", r2.output))
        assert s2 < e1 and s1 < e2, "the two nodes should overlap in time"
        assert 9.5 < r1.exec_time_s < 12
    finally:
        await ex.close()
        user.close()


async def test_list_and_describe_variables(user_kernel: dict) -> None:
    ex = KernelExecutor(user_kernel)
    try:
        found = {v["name"]: v for v in await ex.list_variables()}
        assert found["df"]["type"] == "pandas.DataFrame"
        assert found["df"]["shape"] == [1000, 2]
        assert "pd" not in found
        text = await ex.describe_data(["df", "missing_name"])
        assert "df" in text and "1000" in text and "missing_name" in text
        env = await ex.environment()
        assert any(line.startswith("pandas") for line in env)
    finally:
        await ex.close()
