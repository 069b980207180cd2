from __future__ import annotations

import ast
import json
from pathlib import Path

import numpy as np
import pandas as pd

from aide_jupyter.search import preview


def test_describes_frames_series_arrays_and_others() -> None:
    df = pd.DataFrame({"age": [30, None, 50, 41], "city": ["a", "b", "a", None], "y": [1, 0, 1, 1]})
    ns = {"df": df, "arr": np.arange(12).reshape(4, 3), "s": df["y"], "n": 42}
    text = preview.describe_objects(ns, ["df", "arr", "s", "n", "missing"], max_chars=8000)
    assert "df: pandas DataFrame with 4 rows x 3 columns" in text
    assert "- age | float64 | 1 |" in text and "mean 40.33" in text
    assert "- city |" in text and "top 'a' (2)" in text
    assert "missing values: 2" in text and "head:" in text
    assert "arr: numpy array, shape (4, 3), dtype int64" in text
    assert "s: pandas Series" in text and "value counts: 1: 3" in text
    assert "n: builtins.int" in text and "missing: not defined" in text


def test_overview_is_capped() -> None:
    wide = pd.DataFrame(np.random.default_rng(0).normal(size=(50, 200)))
    text = preview.describe_objects(
        {"wide": wide, "small": np.ones(3)}, ["wide", "small"], max_chars=2000
    )
    assert len(text) <= 2000 and "small: numpy array" in text and "truncated" in text


def test_describes_a_data_folder(tmp_path: Path) -> None:
    pd.DataFrame({"a": [1, 2], "target": [0.5, 1.5]}).to_csv(tmp_path / "train.csv", index=False)
    pd.DataFrame({"a": [3.0]}).to_parquet(tmp_path / "test.parquet")
    (tmp_path / "meta.json").write_text(json.dumps({"source": "survey"}))
    (tmp_path / "README.txt").write_text("Columns: a is age.")
    text = preview.describe_dir(str(tmp_path), max_chars=6000)
    assert "data folder with 4 files" in text
    assert "train.csv" in text and "CSV table with 2 rows x 2 columns" in text
    assert "Parquet table with 1 rows" in text
    assert "survey" in text and "a is age" in text
    assert "does not exist" in preview.describe_dir(str(tmp_path / "nope"))


def test_environment_lists_installed_ml_packages() -> None:
    text = preview.describe_environment()
    assert "pandas " in text and "scikit-learn " in text
    assert "numpy" in preview.installed_packages()


def test_module_is_shippable_into_a_kernel() -> None:
    source = Path(preview.__file__).read_text()
    tree = ast.parse(source)
    top_imports = [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
    names = {
        a.name.split(".")[0] for n in top_imports for a in n.names if isinstance(n, ast.Import)
    } | {n.module.split(".")[0] for n in top_imports if isinstance(n, ast.ImportFrom) and n.module}
    assert names <= {"__future__", "importlib", "json", "os", "typing"}
    ns: dict = {"__name__": "shipped"}
    exec(compile(source, "preview", "exec"), ns)  # as the executor does in the kernel
    assert "df: pandas DataFrame" in ns["describe_objects"](
        {"df": pd.DataFrame({"x": [1]})}, ["df"]
    )
