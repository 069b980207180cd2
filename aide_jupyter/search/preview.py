"""Data overview for prompts: in-memory objects, files in a data folder, installed ML packages.

This module is shipped as source text into the user's kernel and run there (the data lives in the
kernel, not the server), so it must stay self-contained: standard library only at import time,
pandas/numpy imported lazily inside functions, no imports from aide_jupyter.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
from typing import Any

ML_PACKAGES: tuple[str, ...] = (
    "numpy",
    "pandas",
    "scipy",
    "scikit-learn",
    "lightgbm",
    "xgboost",
    "xgboost-cpu",  # the CPU-only wheel: the same `xgboost` module under another name
    "catboost",
    "statsmodels",
    "polars",
    "pyarrow",
    "torch",
    "torchvision",
    "tensorflow",
    "keras",
    "jax",
    "transformers",
    "timm",
    "optuna",
    "matplotlib",
    "seaborn",
    "shap",
    "imbalanced-learn",
    "category-encoders",
)
_MAX_COLUMNS = 60
_HEAD_ROWS = 5
_FILE_ROWS = 20000
_MAX_FILES = 40
_JSON_MAX_BYTES = 64 * 1024 * 1024


def _cap(text: str, max_chars: int) -> str:
    if max_chars <= 0 or len(text) <= max_chars:
        return text
    note = "\n... (truncated)"
    return text[: max(0, max_chars - len(note))] + note


def _fair_join(parts: list[str], max_chars: int) -> str:
    """Join parts within max_chars, giving short parts all they need and long ones equal shares."""
    if max_chars <= 0:
        return "\n\n".join(parts)
    budget = max_chars - 2 * max(0, len(parts) - 1)
    shares: dict[int, int] = {}
    order = sorted(range(len(parts)), key=lambda i: len(parts[i]))
    for rank, i in enumerate(order):
        fair = max(0, budget) // (len(parts) - rank)
        shares[i] = min(len(parts[i]), max(fair, 80))
        budget -= shares[i]
    return _cap("\n\n".join(_cap(p, shares[i]) for i, p in enumerate(parts)), max_chars)


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _describe_frame(name: str, df: Any, title: str) -> str:
    """Shape, dtypes, per-column stats and missing values, then the first rows."""
    import pandas as pd

    lines = [f"## {name}: {title} with {df.shape[0]} rows x {df.shape[1]} columns"]
    missing_total = int(df.isna().sum().sum()) if df.shape[1] else 0
    lines.append(f"missing values: {missing_total}")
    lines.append("columns (name | dtype | missing | unique | stats):")
    for col in list(df.columns)[:_MAX_COLUMNS]:
        s = df[col]
        missing = int(s.isna().sum())
        try:
            unique = int(s.nunique(dropna=True))
        except TypeError:  # unhashable cells (lists, dicts)
            unique = -1
        if pd.api.types.is_bool_dtype(s):
            stats = f"true {int(s.sum())}"
        elif pd.api.types.is_numeric_dtype(s):
            d = s.describe()
            stats = (
                f"min {_fmt(d.get('min'))} mean {_fmt(d.get('mean'))} "
                f"std {_fmt(d.get('std'))} max {_fmt(d.get('max'))}"
            )
        else:
            top = s.astype(str).value_counts().head(3)
            stats = "top " + ", ".join(f"{k[:30]!r} ({v})" for k, v in top.items())
        lines.append(f"- {col} | {s.dtype} | {missing} | {unique} | {stats}")
    if df.shape[1] > _MAX_COLUMNS:
        lines.append(f"- ... {df.shape[1] - _MAX_COLUMNS} more columns")
    with pd.option_context("display.width", 160, "display.max_columns", 20):
        lines.append("head:\n" + df.head(_HEAD_ROWS).to_string(max_colwidth=30))
    return "\n".join(lines)


def _describe_one(name: str, obj: Any) -> str:
    module = type(obj).__module__.split(".")[0]
    if module == "pandas":
        import pandas as pd

        if isinstance(obj, pd.DataFrame):
            return _describe_frame(name, obj, "pandas DataFrame")
        if isinstance(obj, pd.Series):
            text = _describe_frame(name, obj.to_frame(name=obj.name or name), "pandas Series")
            counts = obj.value_counts().head(10) if obj.nunique() <= 20 else None
            if counts is not None:
                text += "\nvalue counts: " + ", ".join(f"{k}: {v}" for k, v in counts.items())
            return text
    if module == "numpy":
        import numpy as np

        if isinstance(obj, np.ndarray):
            lines = [f"## {name}: numpy array, shape {obj.shape}, dtype {obj.dtype}"]
            if obj.dtype.kind in "biuf" and obj.size:
                arr = obj.astype(float)
                lines.append(f"missing (NaN): {int(np.isnan(arr).sum())}")
                lines.append(
                    f"min {_fmt(np.nanmin(arr))} mean {_fmt(np.nanmean(arr))} "
                    f"max {_fmt(np.nanmax(arr))}"
                )
                if obj.ndim == 1 and len(np.unique(obj)) <= 20:
                    vals, counts = np.unique(obj, return_counts=True)
                    lines.append(
                        "value counts: "
                        + ", ".join(
                            f"{v}: {c}" for v, c in zip(vals.tolist(), counts.tolist(), strict=True)
                        )
                    )
            lines.append("head:\n" + repr(obj[:_HEAD_ROWS]))
            return "\n".join(lines)
    text = repr(obj)
    return f"## {name}: {type(obj).__module__}.{type(obj).__qualname__}\n{text[:500]}"


def describe_objects(namespace: dict[str, Any], names: list[str], max_chars: int = 8000) -> str:
    """Describe the named objects of a namespace (the user's globals in the kernel), capped."""
    if not names:
        return ""
    parts = []
    for name in names:
        if name not in namespace:
            parts.append(f"## {name}: not defined")
            continue
        try:
            parts.append(_describe_one(name, namespace[name]))
        except Exception as exc:  # a strange object must not break the overview
            parts.append(
                f"## {name}: {type(namespace[name]).__name__} "
                f"(could not describe: {type(exc).__name__}: {exc})"
            )
    return _fair_join(parts, max_chars)


def _describe_file(path: str, rel: str) -> str:
    size = os.path.getsize(path)
    head = f"## {rel} ({size:,} bytes)"
    ext = os.path.splitext(path)[1].lower()
    try:
        if ext in (".csv", ".tsv"):
            import pandas as pd

            df = pd.read_csv(path, nrows=_FILE_ROWS, sep="\t" if ext == ".tsv" else ",")
            note = f" (first {_FILE_ROWS} rows)" if len(df) == _FILE_ROWS else ""
            return head + "\n" + _describe_frame(rel, df, "CSV table" + note)
        if ext == ".parquet":
            df, total = _parquet_head(path, _FILE_ROWS)
            note = f" (first {len(df)} of {total} rows)" if total > len(df) else ""
            return head + "\n" + _describe_frame(rel, df, "Parquet table" + note)
        if ext == ".jsonl":
            import pandas as pd

            df = pd.read_json(path, lines=True, nrows=_FILE_ROWS)
            note = f" (first {_FILE_ROWS} rows)" if len(df) == _FILE_ROWS else ""
            return head + "\n" + _describe_frame(rel, df, "JSON lines table" + note)
        if ext == ".json":
            import pandas as pd

            if size > _JSON_MAX_BYTES:  # a JSON document can only be read whole
                return f"{head}\n(JSON too large to preview; over {_JSON_MAX_BYTES:,} bytes)"
            try:
                df = pd.read_json(path)
                return head + "\n" + _describe_frame(rel, df, "JSON table")
            except ValueError:
                with open(path, encoding="utf-8") as fh:
                    data = json.load(fh)
                return head + "\nJSON " + type(data).__name__ + ": " + json.dumps(data)[:400]
        if ext in (".txt", ".md", ".log", ""):
            with open(path, encoding="utf-8", errors="replace") as fh:
                return head + "\n" + fh.read(600)
    except Exception as exc:  # one unreadable file must not hide the rest
        return f"{head}\n(could not read: {type(exc).__name__}: {exc})"
    return head


def _parquet_head(path: str, rows: int) -> tuple[Any, int]:
    """The first `rows` rows and the total row count, without reading the whole file."""
    try:
        import pyarrow.parquet as pq
    except ImportError:  # another engine: read it all (the preview runs in a bounded child)
        import pandas as pd

        df = pd.read_parquet(path)
        return df.head(rows), len(df)
    pf = pq.ParquetFile(path)
    total = pf.metadata.num_rows
    batch = next(pf.iter_batches(batch_size=rows), None)
    if batch is None:
        return pf.schema_arrow.empty_table().to_pandas(), total
    return batch.to_pandas(), total


def describe_dir(path: str, max_chars: int = 8000) -> str:
    """Describe the data files in a folder (CSV/Parquet/JSON/text), largest detail first, capped."""
    if not os.path.isdir(path):
        return f"data folder {path!r} does not exist"
    files: list[tuple[str, str]] = []
    for root, dirs, names in os.walk(path):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(names):
            if not name.startswith("."):
                full = os.path.join(root, name)
                files.append((full, os.path.relpath(full, path)))
    parts = [f"data folder with {len(files)} files"]
    for full, rel in files[:_MAX_FILES]:
        parts.append(_describe_file(full, rel))
    if len(files) > _MAX_FILES:
        parts.append(f"... {len(files) - _MAX_FILES} more files")
    return _fair_join(parts, max_chars)


def installed_packages(candidates: tuple[str, ...] = ML_PACKAGES) -> dict[str, str]:
    """Installed ML packages and their versions, from the running interpreter's metadata."""
    found: dict[str, str] = {}
    for name in candidates:
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return found


def describe_environment() -> str:
    """One line per installed ML package, for the prompt's installed-packages section."""
    return "\n".join(f"{k} {v}" for k, v in installed_packages().items())
