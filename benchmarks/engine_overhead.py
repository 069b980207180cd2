"""Engine overhead per node: prompt building, parsing, review, bookkeeping, events.

A zero-latency fake coder and an executor that runs nothing isolate the engine's own time. The
per-node time should stay flat as the journal grows, since memory in prompts is capped.
Run: PYTHONPATH=. python benchmarks/engine_overhead.py
"""

from __future__ import annotations

import asyncio
import tempfile
import time

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
        started = time.perf_counter()
        await loop.run()
        elapsed = time.perf_counter() - started
        assert len(loop.journal) == nodes
        return elapsed / nodes


def main() -> None:
    sizes = (10, 100, 1000)
    print(f"{'policy':<8} {'nodes':>6} {'ms/node':>9}")
    for policy in ("greedy", "mcts"):
        per = {}
        for n in sizes:
            per[n] = asyncio.run(measure(n, policy))
            print(f"{policy:<8} {n:>6} {per[n] * 1000:>9.2f}")
        print(f"{policy:<8} ratio 1000 vs 10: {per[1000] / per[10]:.2f}")


if __name__ == "__main__":
    main()
