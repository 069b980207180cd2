"""The live-kernel executor against a real kernel: isolation, faults, parallelism, latency."""

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


async def test_node_sees_data_but_cannot_change_it(user_kernel: dict, tmp_path: Path) -> None:
    user = Frontend(user_kernel)
    ex = KernelExecutor(user_kernel)
    try:
        before, _ = await user.execute("x = 1")
        code = (
            "import os, sys\nprint('rows', len(df))\nos.write(1, b'from C level\\n')\n"
            "print('to stderr', file=sys.stderr)\ndf.drop(columns=['a'], inplace=True)\n"
            "df['c'] = 1\nprint('cols', list(df.columns))\nopen('out.txt', 'w').write('x')"
        )
        res = await ex.run(req(tmp_path, "iso", code))
        assert res.exit_cause == "ok", res
        assert "rows 1000" in res.output and "from C level" in res.output
        assert "to stderr" in res.output and "cols ['b', 'c']" in res.output
        assert (tmp_path / "iso" / "out.txt").read_text() == "x"
        assert await user.evaluate("list(df.columns)") == "['a', 'b']"
        after, _ = await user.execute("y = 2")
        assert after["execution_count"] == before["execution_count"] + 1
        leaked = [
            m
            for m in await user.drain_iopub()
            if m["header"]["msg_type"] == "stream" and "rows 1000" in m["content"].get("text", "")
        ]
        assert leaked == []
    finally:
        await ex.close()
        user.close()


async def test_faults_end_as_buggy_nodes_and_kernel_survives(
    user_kernel: dict, tmp_path: Path
) -> None:
    ex = KernelExecutor(user_kernel, memory_limit_mb=300, max_procs=40)
    cases = {
        "loop": ("while True:\n    pass", "timeout"),
        "segv": ("import ctypes\nctypes.string_at(0)", "signal"),
        "exit": ("import os\nos._exit(3)", "exit"),
        "mem": ("import numpy as np\nx = np.ones(2_000_000_000 // 8 * 8)", "memory"),
        "raise": ("def f():\n    raise ValueError('boom')\nf()", "exception"),
        "forkbomb": (
            "import os, time\nfor _ in range(10):\n    os.fork()\ntime.sleep(30)",
            "signal",
        ),
    }
    try:
        for name, (code, cause) in cases.items():
            res = await ex.run(req(tmp_path, name, code, timeout_s=3.0))
            assert res.exit_cause == cause, (name, res)
            ok = await ex.run(req(tmp_path, name + "-next", "print(df.shape)"))
            assert ok.exit_cause == "ok" and "(1000, 2)" in ok.output, (name, ok)
            if name == "exit":
                assert res.exit_code == 3
            if name == "segv":
                assert "SIGSEGV" in (res.detail or "")
            if name == "forkbomb":
                assert "processes" in (res.detail or "")
                await asyncio.sleep(0.3)
                assert _processes_in_group_of(tmp_path) == 0
            if name == "raise":
                assert res.exc_type == "ValueError"
                assert "aide_runner" not in (res.exc_traceback or "")
                assert re.search(r'node.py", line 2, in f', res.exc_traceback or "")
    finally:
        await ex.close()


def _processes_in_group_of(tmp_path: Path) -> int:
    """Leftover processes whose cwd is one of this test's node folders."""
    import psutil

    count = 0
    for proc in psutil.process_iter():
        try:
            if str(tmp_path) in proc.cwd():
                count += 1
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return count


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
