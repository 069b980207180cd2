"""Kernel side, once per search: split the rows, hide the holdout, keep what scoring needs.

Shipped into kernels as text with the rest of the harness: standard library only at import
time (numpy, pandas, scikit-learn inside functions), no aide_jupyter imports.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from typing import Any

from .common import COPY_MARK, SCORERS, STATE, HoldoutError, scrub

_TRAIN_STEMS = ("train", "training")
_TABLE_EXTS = (".csv", ".parquet", ".pq")


def _task_of(y: Any) -> str:
    """Classification for text, categories, booleans and integers with few values."""
    kind = y.dtype.kind
    if kind in "OUSbc" or str(y.dtype) in ("category", "string", "str"):
        return "classification"
    if kind in "iu" and y.nunique() <= 20:
        return "classification"
    return "regression"


def _split(frame: Any, target: str, metric: str | None, fraction: float, seed: int) -> dict:
    """Positions of the training and holdout rows, the task and the metric."""
    import numpy as np
    from sklearn.model_selection import train_test_split

    y = frame[target]
    task = _task_of(y)
    if metric is not None:
        want = SCORERS[metric][0]
        if want == "regression" and task == "classification" and y.dtype.kind not in "iufb":
            raise HoldoutError(f"metric {metric} needs a numeric target; {target!r} is {y.dtype}")
        if want == "classification" and y.dtype.kind == "f" and y.nunique() > 20:
            scorable = ", ".join(m for m, spec in SCORERS.items() if spec[0] == "regression")
            raise HoldoutError(
                f"metric {metric} scores classes, but {target!r} has {y.nunique()} distinct "
                f"numbers (a regression target): use one of {scorable}"
            )
        task = want
    metric = metric or ("accuracy" if task == "classification" else "rmse")
    labelled = np.flatnonzero(y.notna().to_numpy())
    n_hold = round(len(labelled) * fraction)
    if n_hold < 2 or len(labelled) - n_hold < 2:
        raise HoldoutError(
            f"holdout {fraction:g} of {len(labelled)} labelled rows leaves too few rows "
            "to train or to score; use more data or another fraction"
        )
    stratify = None
    if task == "classification":
        counts = y.iloc[labelled].value_counts()
        if counts.min() >= 2 and n_hold >= len(counts):
            stratify = y.iloc[labelled].to_numpy()
    train_pos, hold_pos = train_test_split(
        labelled, test_size=n_hold, random_state=seed, stratify=stratify
    )
    unlabelled = np.flatnonzero(~y.notna().to_numpy())
    train_pos = np.sort(np.concatenate([train_pos, unlabelled]))
    return {
        "train": train_pos,
        "hold": np.sort(hold_pos),
        "task": task,
        "metric": metric,
        "stratified": stratify is not None,
    }


def _training_file(data_dir: str, target: str) -> str:
    """train.csv (or a train-named table), else the only table holding the target column."""
    import pandas as pd

    files = sorted(
        f for f in os.listdir(data_dir) if f.lower().endswith(_TABLE_EXTS) and not f.startswith(".")
    )
    named = [f for f in files if os.path.splitext(f)[0].lower() in _TRAIN_STEMS]
    if named:
        return named[0]
    having = []
    for name in files:
        path = os.path.join(data_dir, name)
        cols = (
            pd.read_csv(path, nrows=0).columns
            if name.lower().endswith(".csv")
            else pd.read_parquet(path).columns
        )
        if target in cols:
            having.append(name)
    if len(having) != 1:
        found = ", ".join(having) or "none"
        raise HoldoutError(
            f"holdout: no train.csv in {data_dir} and {len(having)} tables hold the target "
            f"column {target!r} ({found}); name the training file train.csv"
        )
    return having[0]


def _read_table(path: str) -> Any:
    import pandas as pd

    return pd.read_csv(path) if path.lower().endswith(".csv") else pd.read_parquet(path)


def _copy_folder(src: str, dst: str, train_name: str, train_rows: Any, mark: str) -> None:
    """A copy of the data folder whose training file holds only the training rows.

    Written once: a copy marked with the same split is kept (another kernel of the search, or a
    restarted one, may be reading it)."""
    marker = os.path.join(dst, COPY_MARK)
    with contextlib.suppress(OSError), open(marker, encoding="utf-8") as fh:
        if fh.read() == mark:
            return
    if os.path.exists(dst):
        shutil.rmtree(dst)
    os.makedirs(dst)
    for name in os.listdir(src):
        if name == train_name:
            continue
        path = os.path.join(src, name)
        if os.path.isdir(path):
            shutil.copytree(path, os.path.join(dst, name))
        else:
            shutil.copy2(path, os.path.join(dst, name))
    out = os.path.join(dst, train_name)
    if train_name.lower().endswith(".csv"):
        train_rows.to_csv(out, index=False)
    else:
        train_rows.to_parquet(out)
    with open(marker, "w", encoding="utf-8") as fh:
        fh.write(mark)


def prepare(ns: dict[str, Any], args: dict[str, Any]) -> dict[str, Any]:
    """Split once per search (idempotent per key); the answer describes the split, not the data.

    args: key, target, fraction, seed, metric (a SCORERS name or None), and either names (the
    search's data names) or data_dir plus copy_dir (where the training copy of the folder goes).
    """
    key = str(args["key"])
    if key in STATE:
        return dict(STATE[key]["info"])
    target, fraction = str(args["target"]), float(args["fraction"])
    metric, seed = args.get("metric"), int(args.get("seed") or 0)
    if metric is not None and metric not in SCORERS:
        raise HoldoutError(f"unknown holdout metric {metric!r}; one of {', '.join(SCORERS)}")
    state: dict[str, Any] = {"train": {}, "originals": []}
    if args.get("data_dir"):
        src, dst = str(args["data_dir"]), str(args["copy_dir"])
        train_name = _training_file(src, target)
        frame = _read_table(os.path.join(src, train_name))
        if target not in frame.columns:
            raise HoldoutError(f"holdout: {train_name} has no target column {target!r}")
        split = _split(frame, target, metric, fraction, seed)
        mark = f"{key} {seed} {fraction} {len(frame)} {len(split['hold'])}"
        _copy_folder(src, dst, train_name, frame.iloc[split["train"]], mark)
        where = {"data_dir": dst, "training_file": train_name}
    else:
        import pandas as pd

        names = [n for n in args.get("names") or [] if n in ns]
        frames = [n for n in names if isinstance(ns[n], pd.DataFrame) and target in ns[n].columns]
        if not frames:
            raise HoldoutError(
                f"holdout needs a pandas DataFrame with the target column {target!r} among the "
                f"data names ({', '.join(args.get('names') or []) or 'none given'})"
            )
        name, frame = frames[0], ns[frames[0]]
        split = _split(frame, target, metric, fraction, seed)
        state["train"][name] = frame.iloc[split["train"]]
        state["originals"].append(frame)
        where = {"frame": name}
    hold = frame.iloc[split["hold"]]
    state["X_hold"] = hold.drop(columns=[target])
    state["y_hold"] = hold[target].to_numpy()
    import numpy as np

    train_y = frame[target].iloc[split["train"]].dropna()
    state["classes"] = (
        np.unique(train_y.to_numpy()).tolist() if split["task"] == "classification" else None
    )
    info = {
        "key": key,
        "rows": len(split["hold"]),
        "train_rows": len(split["train"]),
        "fraction": fraction,
        "task": split["task"],
        "metric": split["metric"],
        "stratified": split["stratified"],
        "target": target,
        **where,
    }
    state["info"] = info
    STATE[key] = state
    return dict(info)


def release(key: str) -> dict[str, Any]:
    """Forget a search's split (its labels and copies of the rows) in this process."""
    return {"released": STATE.pop(str(key), None) is not None}


def snapshot_extra(key: str) -> dict[str, Any]:
    """What a fresh interpreter needs (portable mode): training rows and holdout features only."""
    state = STATE[key]
    return {
        "train": dict(state["train"]),
        "X_hold": state["X_hold"],
        "classes": state["classes"],
        "info": dict(state["info"]),
        "originals": [],
    }


def snapshot_data(key: str, data: dict[str, Any]) -> dict[str, Any]:
    """The named data a portable snapshot stores: the split frame as its training rows only, so
    the snapshot file on disk holds no holdout labels."""
    state = STATE[key]
    out = dict(data, **state["train"])
    scrub(out, state.get("originals") or [], state["train"])
    return out


def restore_child(key: str, extra: dict[str, Any]) -> None:
    """Install the snapshot's state in a fresh interpreter (it never had the labels)."""
    STATE[key] = dict(extra)
