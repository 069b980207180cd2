"""Both ways of running a node, against real kernels: the fork path, the portable path, and the
portable path chosen on its own in a kernel whose Python has no os.fork, os.waitid or resource.

Every fault the fork path survives the portable one survives too; the user's namespace stays
untouched; a cancel ends the node's whole process tree at once; nodes never see secrets."""

from __future__ import annotations

import asyncio
import os
import re
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from aide_jupyter.executors import KernelExecutor
from aide_jupyter.search.executor import ExecRequest
from tests.support_executor import NOFORK_KERNEL, Frontend, kernel_running

pytestmark = pytest.mark.timeout(240)

# (executor mode, kernelspec, mode the runner must pick)
VARIANTS = {
    "fork": ("fork", "python3", "fork"),
    "portable": ("spawn", "python3", "spawn"),
    "nofork-kernel": ("auto", NOFORK_KERNEL, "spawn"),
}


@pytest.fixture(scope="module", params=list(VARIANTS))
def variant(request: pytest.FixtureRequest) -> Iterator[tuple[str, dict, str]]:
    mode, kernel_name, expected = VARIANTS[request.param]
    if mode == "fork" and not hasattr(os, "fork"):
        pytest.skip("the fork path needs os.fork")
    with kernel_running(kernel_name) as info:
        yield mode, info, expected


def req(tmp_path: Path, node_id: str, code: str, timeout_s: float = 30.0) -> ExecRequest:
    return ExecRequest(
        node_id=node_id,
        code=code,
        workdir=str(tmp_path / node_id),
        timeout_s=timeout_s,
        data_names=["df"],
    )


def _gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


async def test_isolation(variant: tuple[str, dict, str], tmp_path: Path) -> None:
    mode, info, expected = variant
    user = Frontend(info)
    ex = KernelExecutor(info, mode=mode)
    try:
        before, _ = await user.execute("x = 1")
        code = (
            "import os, sys\nprint('rows', len(df))\nos.write(1, b'from C level\\n')\n"
            "print('to stderr', file=sys.stderr)\ndf.drop(columns=['a'], inplace=True)\n"
            "df['c'] = 1\nprint('cols', list(df.columns))\nopen('out.txt', 'w').write('x')"
        )
        res = await ex.run(req(tmp_path, "iso", code))
        assert res.exit_cause == "ok", res
        assert ex.describe()["mode"] == expected
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


FAULTS = {
    "loop": ("while True:\n    pass", "timeout"),
    "segv": ("import ctypes\nctypes.string_at(0)", "signal"),
    "exit": ("import os\nos._exit(3)", "exit"),
    "mem": ("import numpy as np\nx = np.ones(2_000_000_000 // 8 * 8)", "memory"),
    "raise": ("def f():\n    raise ValueError('boom')\nf()", "exception"),
    "forkbomb": (
        "import subprocess, sys, time\n"
        "procs = [subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])"
        " for _ in range(60)]\ntime.sleep(60)",
        "signal",
    ),
}


async def test_faults_end_as_buggy_nodes_and_kernel_survives(
    variant: tuple[str, dict, str], tmp_path: Path
) -> None:
    mode, info, expected = variant
    ex = KernelExecutor(info, mode=mode, memory_limit_mb=300, max_procs=20)
    # the timeout counts from the launch: a fresh interpreter on a loaded machine needs longer
    limit = 4.0 if expected == "fork" else 20.0
    try:
        for name, (code, cause) in FAULTS.items():
            if name == "segv" and sys.platform == "win32":
                continue  # an access violation is an exit code there, not a signal
            res = await ex.run(req(tmp_path, name, code, timeout_s=limit))
            assert res.exit_cause == cause, (name, res)
            ok = await ex.run(req(tmp_path, name + "-next", "print(df.shape)"))
            assert ok.exit_cause == "ok" and "(1000, 2)" in ok.output, (name, ok)
            if name == "exit":
                assert res.exit_code == 3
            if name == "segv":
                assert "SIGSEGV" in (res.detail or "")
            if name == "forkbomb":
                assert "processes" in (res.detail or "")
                await asyncio.sleep(0.5)
                assert _processes_under(tmp_path) == 0
            if name == "raise":
                assert res.exc_type == "ValueError"
                assert "aide_runner" not in (res.exc_traceback or "")
                assert re.search(r'node.py", line 2, in f', res.exc_traceback or "")
    finally:
        await ex.close()


def _processes_under(tmp_path: Path) -> int:
    """Leftover processes whose cwd is one of this test's node folders."""
    count = 0
    for proc in psutil.process_iter():
        try:
            if str(tmp_path) in proc.cwd() and proc.status() != psutil.STATUS_ZOMBIE:
                count += 1
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return count


CANCEL_CODE = """
import os, subprocess, sys, time
kid = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"])
open("pids", "w").write(f"{os.getpid()} {kid.pid}")
time.sleep(300)
"""


async def test_cancel_ends_the_whole_tree_within_two_seconds(
    variant: tuple[str, dict, str], tmp_path: Path
) -> None:
    mode, info, _ = variant
    ex = KernelExecutor(info, mode=mode)
    try:
        task = asyncio.ensure_future(ex.run(req(tmp_path, "long", CANCEL_CODE, timeout_s=300)))
        pid_file = tmp_path / "long" / "pids"
        deadline = time.monotonic() + 60
        while not (pid_file.exists() and len(pid_file.read_text().split()) == 2):
            assert time.monotonic() < deadline and not task.done(), task
            await asyncio.sleep(0.1)
        pids = [int(p) for p in pid_file.read_text().split()]
        asked = time.monotonic()
        cancelled = await ex.cancel(["long"])
        # A node cancelled while it runs is reported; if not, say what became of its run().
        ended = "still running" if not task.done() else repr(task.exception() or task.result())
        assert cancelled == ["long"], ended
        res = await asyncio.wait_for(task, 10)
        took = time.monotonic() - asked
        assert res.exit_cause == "cancelled" and res.exc_type == "Cancelled", res
        while not all(_gone(p) for p in pids) and time.monotonic() - asked < 2.0:
            await asyncio.sleep(0.05)
        assert all(_gone(p) for p in pids), pids
        assert took < 3.0, took
        again = await ex.run(req(tmp_path, "after", "print(len(df))"))
        assert again.ok and "1000" in again.output
    finally:
        await ex.close()


ENV_CODE = """
import os, subprocess, sys
print("ENV", sorted(os.environ))
print("VALUES", list(os.environ.values()))
print("CHILD", subprocess.run([sys.executable, "-c", "import os; print(dict(os.environ))"],
      capture_output=True, text=True).stdout)
if os.path.exists("/proc/self/environ"):  # the process's initial block: the redactor masks it
    print("PROC", open("/proc/self/environ", "rb").read().decode(errors="replace"))
"""
SECRET = "sk-test-0123456789abcdef0123456789abcdef"


async def test_nodes_start_without_secrets_and_output_is_redacted(
    variant: tuple[str, dict, str], tmp_path: Path
) -> None:
    mode, info, _ = variant
    user = Frontend(info)
    setup = (
        "import os\n"
        f"os.environ['OPENAI_API_KEY'] = {SECRET!r}\n"
        "os.environ['MY_DB_PASSWORD'] = 'hunter2-long-password'\n"
        "os.environ['LLM_CREDENTIAL'] = 'cred-value-123456'\n"
        "os.environ['HF_TOKEN'] = 'hf-allowed-token-value'\n"
        "os.environ['PLAIN_SETTING'] = 'visible'\n"
    )
    content, _ = await user.execute(setup)
    assert content["status"] == "ok"
    ex = KernelExecutor(info, mode=mode, env_allow=["HF_TOKEN"], env_drop=["LLM_CREDENTIAL"])
    try:
        res = await ex.run(req(tmp_path, "env", ENV_CODE))
        assert res.ok, res
        for hidden in ("OPENAI_API_KEY", "MY_DB_PASSWORD", "LLM_CREDENTIAL"):
            assert hidden not in res.output.split("PROC")[0], hidden
        for value in (SECRET, "hunter2-long-password", "cred-value-123456"):
            assert value not in res.output
        assert "HF_TOKEN" in res.output and "hf-allowed-token-value" in res.output
        assert "PLAIN_SETTING" in res.output and "visible" in res.output
        for path in (tmp_path / "env").rglob("*"):
            if path.is_file():
                assert SECRET.encode() not in path.read_bytes(), path
    finally:
        await ex.close()
        await user.execute(
            "for _k in ('OPENAI_API_KEY', 'MY_DB_PASSWORD', 'LLM_CREDENTIAL', 'HF_TOKEN'):\n"
            "    os.environ.pop(_k, None)"
        )
        user.close()
