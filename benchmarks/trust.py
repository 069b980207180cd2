"""Trusted scores: what a node reports vs what it scores on rows it never saw.

The builtin coder searches real tabular data sets shipped offline with scikit-learn (breast cancer,
wine, digits, diabetes) in a real kernel with `holdout` on. Every node reports its own
cross-validated number on the training rows; the harness scores its `predict` on the held-out rows.
Printed: one row per node (reported, holdout, gap, flag), then per search whether the node with the
best *reported* number is also the *holdout*-best, and how often it is not. Usage:
    python benchmarks/trust.py [--steps 8] [--seeds 0,1] [--holdout 0.2] [--datasets ...]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from aide_jupyter.coders import make_coder
from aide_jupyter.executors import StandaloneExecutor
from aide_jupyter.search.config import SearchConfig
from aide_jupyter.search.holdout import METRICS
from aide_jupyter.search.journal import Journal, Node, SearchInfo
from aide_jupyter.search.loop import SearchLoop

# name -> (loader, goal); the frame gets the loader's `target` column
DATASETS = {
    "breast_cancer": ("load_breast_cancer", "predict the diagnosis; metric accuracy"),
    "wine": ("load_wine", "predict the cultivar; metric log loss"),
    "digits": ("load_digits", "predict the digit; metric accuracy"),
    "diabetes": ("load_diabetes", "predict disease progression; metric RMSE"),
}


def _better(a: float, b: float, lower: bool) -> bool:
    return a < b if lower else a > b


def _best(nodes: list[Node], key: str, lower: bool) -> Node | None:
    best: Node | None = None
    for n in nodes:
        value = getattr(n, key)
        if value is None:
            continue
        if best is None or _better(value, getattr(best, key), lower):
            best = n
    return best


async def one_search(
    ex: StandaloneExecutor, name: str, seed: int, steps: int, fraction: float, root: Path
) -> tuple[list[Node], str, bool]:
    loader, goal = DATASETS[name]
    await ex.run_code(
        f"from sklearn.datasets import {loader}\n{name} = {loader}(as_frame=True).frame\n"
    )
    info = SearchInfo(
        id=f"trust-{name}-{seed}",
        goal=goal,
        data=[name],
        target="target",
        holdout={"fraction": fraction, "metric": None},
    )
    from aide_jupyter.search.holdout import metric_in_text

    info.holdout["metric"] = metric_in_text(goal)
    config = SearchConfig.from_dict(
        {"seed": seed, "steps": steps, "num_drafts": 4, "node_timeout_s": 300}
    )
    loop = SearchLoop(
        info, Journal(), config, make_coder("builtin"), ex, root / info.id, data_overview=""
    )
    await loop.run()
    metric = info.holdout["metric"]
    return [n for n in loop.journal.nodes if n.metric is not None], metric, METRICS[metric]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--seeds", default="0,1")
    parser.add_argument("--holdout", type=float, default=0.2)
    parser.add_argument("--datasets", default=",".join(DATASETS))
    args = parser.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    names = args.datasets.split(",")
    rows, searches = [], []
    with tempfile.TemporaryDirectory() as tmp:
        async with StandaloneExecutor(cwd=tmp, kernel_log=str(Path(tmp) / "kernel.log")) as ex:
            for name in names:
                for seed in seeds:
                    nodes, metric, lower = await one_search(
                        ex, name, seed, args.steps, args.holdout, Path(tmp)
                    )
                    for n in nodes:
                        rows.append((name, seed, n, metric))
                    by_report = _best(nodes, "reported_metric", lower)
                    by_holdout = _best(nodes, "metric", lower)
                    searches.append((name, seed, metric, by_report, by_holdout, lower))
    print(f"holdout {args.holdout}, builtin coder, {args.steps} nodes per search, seeds {seeds}\n")
    print(
        f"{'data':14} {'seed':>4} {'step':>4} {'stage':8} {'metric':9} "
        f"{'reported':>9} {'holdout':>9} {'gap':>8}  flag"
    )
    gaps = []
    for name, seed, n, metric in rows:
        rep = n.reported_metric
        gap = (rep - n.metric) if rep is not None else None
        if gap is not None:
            gaps.append(abs(gap))
        print(
            f"{name:14} {seed:>4} {n.step:>4} {n.stage:8} {metric:9} "
            f"{rep if rep is None else f'{rep:.4f}':>9} {n.metric:>9.4f} "
            f"{'-' if gap is None else f'{gap:+.4f}':>8}  {'!' if n.metric_flag else ''}"
        )
    print("\nper search: the node the reports would pick and the holdout-best, each with its")
    print("holdout score; `lost` is what trusting the reports costs on the holdout")
    print(f"{'data':14} {'seed':>4} {'reported-best':>22} {'holdout-best':>22}  same?  lost")
    differ = 0
    for name, seed, _metric, rep, hold, _lower in searches:
        same = rep is not None and hold is not None and rep.id == hold.id
        differ += 0 if same else 1
        lost = abs(rep.metric - hold.metric) if rep is not None and hold is not None else 0.0
        r = f"{rep.id} {rep.metric:.4f}" if rep else "-"
        h = f"{hold.id} {hold.metric:.4f}" if hold else "-"
        print(f"{name:14} {seed:>4} {r:>22} {h:>22}  {'yes' if same else 'NO':5}  {lost:.4f}")
    flagged = sum(1 for _, _, n, _ in rows if n.metric_flag)
    print(
        f"\nreported-best is not the holdout-best in {differ} of {len(searches)} searches; "
        f"{flagged} of {len(rows)} nodes flagged; median |reported - holdout| "
        f"{statistics.median(gaps) if gaps else float('nan'):.4f}"
    )


if __name__ == "__main__":
    asyncio.run(main())
