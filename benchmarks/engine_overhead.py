"""Engine overhead per node: prompt building, parsing, review, bookkeeping, events.

A zero-latency fake coder and an executor that runs nothing isolate the engine's own time (CPU
time of the process, so other work on a shared machine does not count). The per-node time should
stay flat as the journal grows: memory in prompts is capped and the journal's indexes spare
the policies a scan of every node.
Run: PYTHONPATH=. python benchmarks/engine_overhead.py [--baseline main] (each measurement in a
fresh process; with --baseline, the same measurements of that git revision's engine interleaved).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from aide_jupyter.search.coder import CodeReply, ReviewReply, Usage
from aide_jupyter.search.config import SearchConfig
from aide_jupyter.search.executor import ExecRequest, ExecResult
from aide_jupyter.search.journal import Journal, SearchInfo
from aide_jupyter.search.loop import SearchLoop
from aide_jupyter.search.prompts import Prompt

OVERVIEW = "\n".join(f"- col{i} | float64 | 0 | 500 | min 0 mean 1 std 1 max 9" for i in range(80))


class ZeroLatencyCoder:
    name = "zero"

    def __init__(self) -> None:
        self.usage = Usage()
        self.n = 0

    async def _code(self, prompt: Prompt) -> CodeReply:
        prompt.render()  # what an LLM client would send
        self.n += 1
        value = (self.n * 7919) % 1000 / 1000
        text = (
            f"Plan number {self.n}: try something.\n\n```python\n# %% step\nimport math\n"
            f"# %% report\nprint('validation_metric: {value}')\n```\n"
        )
        return CodeReply(text, Usage(100, 50, 0.0, 1))

    draft = improve = debug = _code

    async def review(self, prompt: Prompt) -> ReviewReply:
        prompt.render()
        return ReviewReply(False, "ran fine", None, False, Usage(100, 20, 0.0, 1))

    async def close(self) -> None:
        return None


class TrivialExecutor:
    async def run(self, request: ExecRequest) -> ExecResult:
        line = request.code.strip().splitlines()[-1]
        value = line.split(": ")[1].rstrip("')")
        output = "training...\n" * 200 + f"validation_metric: {value}\n"
        return ExecResult(output, exec_time_s=0.0)

    async def close(self) -> None:
        return None


async def measure(nodes: int, policy: str) -> float:
    with tempfile.TemporaryDirectory() as run_dir:
        config = SearchConfig(steps=nodes, random_seed=0, policy=policy, debug_prob=0.5)
        loop = SearchLoop(
            SearchInfo(id="bench", goal="predict y", data=["df"], target="y"),
            Journal(),
            config,
            ZeroLatencyCoder(),
            TrivialExecutor(),
            run_dir,
            data_overview=OVERVIEW,
            packages=["numpy 2", "scikit-learn 1.5"],
            listeners=[lambda kind, payload: None],
        )
        started = time.process_time()  # CPU time: the engine's own work, not the machine's load
        await loop.run()
        elapsed = time.process_time() - started
        assert len(loop.journal) == nodes
        return elapsed / nodes


def _in_subprocess(source: Path, nodes: int, policy: str) -> float:
    """CPU seconds per node of the engine at `source` (a copy of aide_jupyter), in a fresh
    process."""
    env = {**os.environ, "PYTHONPATH": str(source)}
    out = subprocess.run(
        [sys.executable, __file__, "--measure", str(nodes), policy],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return float(out.stdout.strip().splitlines()[-1])


def _export(rev: str, into: Path) -> Path:
    """The package as of git revision `rev`, unpacked into `into`."""
    repo = Path(__file__).resolve().parent.parent
    archive = subprocess.run(
        ["git", "-C", str(repo), "archive", rev, "aide_jupyter"], capture_output=True, check=True
    )
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True)
    return into


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--baseline",
        metavar="REV",
        help="also measure the engine as of this git revision, side by side (e.g. main)",
    )
    parser.add_argument("--repeat", type=int, default=3, help="runs per cell, fastest kept")
    parser.add_argument("--measure", nargs=2, metavar=("NODES", "POLICY"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:  # one measurement for a side-by-side run
        print(asyncio.run(measure(int(args.measure[0]), args.measure[1])))
        return
    sizes = (10, 100, 1000)
    with tempfile.TemporaryDirectory() as tmp:
        here = Path(__file__).resolve().parent.parent
        sources = {"this tree": here}
        if args.baseline:
            sources[args.baseline] = _export(args.baseline, Path(tmp))
        print(
            f"{'engine':<12} {'policy':<8} {'nodes':>6} {'ms/node':>9}  (fastest of {args.repeat})"
        )
        per: dict[tuple[str, str, int], float] = {}
        for policy in ("greedy", "mcts", "evolve"):
            for n in sizes:
                runs: dict[str, list[float]] = {name: [] for name in sources}
                for _ in range(args.repeat):  # interleaved: both engines see the same load
                    for name, source in sources.items():
                        runs[name].append(_in_subprocess(source, n, policy))
                for name in sources:  # the fastest run: the least disturbed one
                    per[name, policy, n] = min(runs[name])
                    print(f"{name:<12} {policy:<8} {n:>6} {per[name, policy, n] * 1000:>9.2f}")
        print()
        for policy in ("greedy", "mcts", "evolve"):
            for name in sources:
                ratio = per[name, policy, 1000] / per[name, policy, 10]
                print(f"{name:<12} {policy:<8} ratio 1000 vs 10 nodes: {ratio:.2f}")
            if args.baseline:
                speed = per[args.baseline, policy, 1000] / per["this tree", policy, 1000]
                print(
                    f"{'':<12} {policy:<8} at 1000 nodes {args.baseline} / this tree: {speed:.2f}"
                )
        print(f"load average (1 min) at the end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
