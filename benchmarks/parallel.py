"""Wall time of one 12-node search at parallel 1, 2, 3, 4 and with 2 worker kernels.

Two kinds of node, run in real kernels through the real executor (fork mode): nodes that wait
(`time.sleep`, like I/O or a remote API) and CPU-bound nodes (a pure-Python loop). Waiting nodes
should scale with `parallel` (target: >= 2.5x at parallel 3); CPU-bound nodes cannot go faster
than the machine's cores allow, and the table says so honestly.
Run: .venv/bin/python benchmarks/parallel.py [--nodes 12 --wait 3 --cpu 1.5]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from typing import Any

from aide_jupyter.executors.spread import Member, SpreadExecutor
from aide_jupyter.executors.standalone import StandaloneExecutor
from aide_jupyter.search.coder import CodeReply, ReviewReply, Usage
from aide_jupyter.search.config import SearchConfig
from aide_jupyter.search.journal import Journal, SearchInfo
from aide_jupyter.search.loop import SearchLoop
from aide_jupyter.search.prompts import Prompt

WAIT = "import time\ntime.sleep({seconds})\nprint('validation_metric: 0.5')\n"
# about `seconds` of one core on an idle machine (calibrated below)
CPU = "n = 0\nfor i in range({loops}):\n    n += i * i\nprint('validation_metric: 0.5')\n"


class FixedCoder:
    """Answers every prompt with the same script; the review reads the printed metric."""

    name = "fixed"

    def __init__(self, script: str) -> None:
        self.script = script
        self.usage = Usage()

    async def _code(self, prompt: Prompt) -> CodeReply:
        return CodeReply(f"Run the fixed script.\n\n```python\n{self.script}```\n", Usage())

    draft = improve = debug = _code

    async def review(self, prompt: Prompt) -> ReviewReply:
        return ReviewReply(False, "ran", 0.5, False, Usage())

    async def close(self) -> None:
        return None


async def search(script: str, nodes: int, parallel: int, workers: int) -> float:
    kernels = [
        StandaloneExecutor(parallel=parallel, kernel_log=os.devnull) for _ in range(1 + workers)
    ]
    for kernel in kernels:
        await kernel.start()  # kernel start-up is not part of the search's wall time
    executor: Any = kernels[0]
    if workers:
        executor = SpreadExecutor(
            [Member(str(k.km.kernel_id), k, worker=i > 0) for i, k in enumerate(kernels)]
        )
    config = SearchConfig(steps=nodes, parallel=parallel, num_drafts=nodes, random_seed=0)
    try:
        with tempfile.TemporaryDirectory() as run_dir:
            loop = SearchLoop(
                SearchInfo(id="bench", goal="bench"),
                Journal(),
                config,
                FixedCoder(script),
                executor,
                run_dir,
            )
            started = time.perf_counter()
            await loop.run()
            wall = time.perf_counter() - started
            bad = [n for n in loop.journal.nodes if n.exit_cause != "ok"]
            if bad or len(loop.journal) != nodes:
                raise RuntimeError(f"{len(bad)} nodes did not run cleanly: {bad[:1]}")
            return wall
    finally:
        for kernel in kernels:
            await kernel.close()


def calibrate(seconds: float) -> int:
    loops = 1_000_000
    started = time.perf_counter()
    n = 0
    for i in range(loops):
        n += i * i
    took = time.perf_counter() - started
    return int(loops * seconds / max(took, 1e-6))


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=12)
    parser.add_argument("--wait", type=float, default=3.0, help="seconds a waiting node sleeps")
    parser.add_argument("--cpu", type=float, default=1.5, help="CPU seconds of a CPU-bound node")
    args = parser.parse_args()
    settings = [(1, 0), (2, 0), (3, 0), (4, 0), (3, 2)]
    kinds = {
        f"wait {args.wait:g} s": WAIT.format(seconds=args.wait),
        f"cpu ~{args.cpu:g} s": CPU.format(loops=calibrate(args.cpu)),
    }
    print(f"{args.nodes} nodes per search; {os.cpu_count()} CPUs; load {os.getloadavg()[0]:.1f}")
    print(f"{'nodes':<12} {'parallel':>8} {'workers':>7} {'wall s':>8} {'speed-up':>9}")
    for kind, script in kinds.items():
        base = None
        for parallel, workers in settings:
            wall = await search(script, args.nodes, parallel, workers)
            base = base or wall
            print(f"{kind:<12} {parallel:>8} {workers:>7} {wall:>8.1f} {base / wall:>8.2f}x")


if __name__ == "__main__":
    asyncio.run(main())
