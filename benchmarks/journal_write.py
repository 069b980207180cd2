"""Time to record node k in the journal (k = 10, 100, 1000), ~3 KB code and ~5 KB output a node.

Run: PYTHONPATH=. .venv/bin/python benchmarks/journal_write.py [--window 40]

Three ways of recording, each timed over `window` nodes recorded back to back after k-1 nodes:
- writer: JournalWriter as the search uses it (cached fragments, I/O capped at 10% of wall time,
  journal + tree.html + best_solution.py): mean cost per recorded node;
- writer-durable: the same but a durable write on every update (median), showing the O(file size)
  cost of one fsync'd rewrite;
- naive: write_journal() re-serializing every node each time (median).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable

from aide_jupyter.journal import JournalWriter, write_journal
from aide_jupyter.search.journal import Journal, Node, SearchInfo

CODE_LINE = "df['f_{i}_{k}'] = np.log1p(df['a'].clip(lower=0)) * {k} - df['b'].rolling(3).mean()\n"
OUT_LINE = "[{i:05d}] fold {k}: train_rmse=0.{k:05d} valid_rmse=0.{i:05d} elapsed=1.23s\n"


def make_node(i: int, journal: Journal) -> Node:
    parent = None if i < 5 else journal.nodes[(i * 7919) % i].id
    code = "# %%\nimport numpy as np\nimport pandas as pd\n\n# %%\n" + "".join(
        CODE_LINE.format(i=i, k=k) for k in range(36)
    )
    output = "".join(OUT_LINE.format(i=i, k=k) for k in range(66))
    return Node(
        id=f"node-{i:05d}",
        step=i,
        stage="draft" if parent is None else "improve",
        parent_id=parent,
        plan=f"Plan {i}: " + "tune the model. " * 10,
        code=code,
        status="done",
        output=output,
        metric=1.0 / (i + 2),
        lower_is_better=True,
        is_buggy=False,
        analysis="Looks fine. " * 8,
        exec_time_s=2.0,
    )


def measure(
    k: int, window: int, record: Callable[[Journal, Node], None], setup: Callable[[Journal], None]
) -> list[float]:
    """Nodes 0..k-2 recorded in one go by `setup`, then the cost of recording each next node."""
    journal = Journal(lower_is_better=True)
    for i in range(k - 1):
        journal.add(make_node(i, journal))
    setup(journal)
    costs = []
    for i in range(k - 1, k - 1 + window):
        node = make_node(i, journal)
        start = time.perf_counter()
        journal.add(node)
        record(journal, node)
        costs.append(time.perf_counter() - start)
    return costs


def run(mode: str, k: int, window: int) -> float:
    info = SearchInfo(id="bench", goal="benchmark", config={"model": "builtin"})
    with tempfile.TemporaryDirectory() as tmp:
        if mode == "naive":
            costs = measure(
                k,
                window,
                lambda j, _n: write_journal(f"{tmp}/journal.ipynb", info, j),
                lambda j: None,
            )
            return statistics.median(costs)
        writer = JournalWriter(tmp, small_write_s=1e9 if mode == "writer-durable" else 0.003)
        writer.bind(info, Journal())

        def record(journal: Journal, node: Node) -> None:
            writer.journal = journal
            writer("node", node)

        costs = measure(k, window, record, lambda j: writer.update(info, j, force=True))
        writer.close()
        return statistics.fmean(costs) if mode == "writer" else statistics.median(costs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--window", type=int, default=40)
    parser.add_argument("--ks", default="10,100,1000")
    args = parser.parse_args()
    ks = [int(k) for k in args.ks.split(",")]
    modes = ("writer", "writer-durable", "naive")
    results = {m: [run(m, k, args.window) for k in ks] for m in modes}
    print(f"{'mode':<16}" + "".join(f"{'k=' + str(k):>12}" for k in ks) + f"{'ratio':>10}")
    for mode, costs in results.items():
        cells = "".join(f"{c * 1000:>10.2f}ms" for c in costs)
        print(f"{mode:<16}{cells}{costs[-1] / costs[0]:>9.1f}x")
    ratio = results["writer"][-1] / results["writer"][0]
    verdict = "within" if ratio <= 3 else "NOT within"
    print(f"\nwriter cost@{ks[-1]} / cost@{ks[0]} = {ratio:.2f} ({verdict} the 3x target)")


if __name__ == "__main__":
    main()
