"""A plain subprocess executor for engine tests: runs a node's script with this Python.

In-memory data is pickled into the node's folder and preloaded as globals, standing in for the
copy of the user's namespace that the kernel executor gives each node.
"""

from __future__ import annotations

import asyncio
import json
import os
import pickle
import signal
import sys
import time
from pathlib import Path
from typing import Any

from aide_jupyter.search.executor import ExecRequest, ExecResult

_RUNNER = r"""
import json, pickle, sys, traceback
g = {"__name__": "__main__"}
try:
    with open("_data.pkl", "rb") as fh:
        g.update(pickle.load(fh))
except FileNotFoundError:
    pass
with open("node.py") as fh:
    source = fh.read()
try:
    exec(compile(source, "node.py", "exec"), g)
except SystemExit as exc:
    if exc.code not in (None, 0):
        raise
except BaseException as exc:
    traceback.print_exc()
    with open("_exc.json", "w") as fh:
        json.dump({"exc_type": type(exc).__name__, "traceback": traceback.format_exc()}, fh)
    sys.exit(1)
"""


class SubprocessExecutor:
    """Implements the Executor protocol with one `python -c` process per node."""

    def __init__(
        self, namespace: dict[str, Any] | None = None, python: str = sys.executable
    ) -> None:
        self.namespace = namespace or {}
        self.python = python
        self.runs = 0

    async def run(self, request: ExecRequest) -> ExecResult:
        self.runs += 1
        workdir = Path(request.workdir)
        workdir.mkdir(parents=True, exist_ok=True)
        (workdir / "node.py").write_text(request.code)
        if request.data_names:
            data = {n: self.namespace[n] for n in request.data_names if n in self.namespace}
            with open(workdir / "_data.pkl", "wb") as fh:
                pickle.dump(data, fh)
        env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1"}
        started = time.monotonic()
        proc = await asyncio.create_subprocess_exec(
            self.python,
            "-c",
            _RUNNER,
            cwd=workdir,
            env=env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            out, _ = await asyncio.wait_for(proc.communicate(), request.timeout_s)
        except (asyncio.TimeoutError, asyncio.CancelledError) as exc:
            os.killpg(proc.pid, signal.SIGKILL)
            await proc.wait()
            if isinstance(exc, asyncio.CancelledError):
                raise
            return ExecResult(
                output="",
                exit_cause="timeout",
                exec_time_s=time.monotonic() - started,
                exit_code=proc.returncode,
            )
        elapsed = time.monotonic() - started
        output = out.decode(errors="replace")
        code = proc.returncode
        if code == 0:
            return ExecResult(output, "ok", exec_time_s=elapsed, exit_code=0)
        exc_file = workdir / "_exc.json"
        if code == 1 and exc_file.exists():
            info = json.loads(exc_file.read_text())
            return ExecResult(
                output,
                "exception",
                info["exc_type"],
                info["traceback"],
                exec_time_s=elapsed,
                exit_code=1,
            )
        cause = "signal" if code is not None and code < 0 else "exit"
        return ExecResult(output, cause, exec_time_s=elapsed, exit_code=code)

    async def close(self) -> None:
        return None
