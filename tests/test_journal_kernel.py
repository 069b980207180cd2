"""Each node's cells, run top to bottom in a fresh kernel with the data present, reproduce it."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import nbformat
import pytest
from jupyter_client.manager import start_new_kernel
from support_journal import make_info

from aide_jupyter.journal import load_journal, write_journal
from aide_jupyter.journal.schema import NODE_TAG
from aide_jupyter.search.journal import Journal, Node

GOOD = """# %%
import pandas as pd
from sklearn.linear_model import LinearRegression

df = pd.read_csv("train.csv")

# %%
model = LinearRegression().fit(df[["x"]], df["y"])
pred = model.predict(df[["x"]])
rmse = float(((pred - df["y"]) ** 2).mean() ** 0.5)
print(f"coef {model.coef_[0]:.4f}")
print(f"rmse {rmse:.6f}")
"""
BUGGY = """# %%
import pandas as pd
df = pd.read_csv("train.csv")
print("rows", len(df))

# %%
df["missing_column"].mean()
"""


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    rows = "\n".join(f"{x},{2.5 * x + (x % 3) * 0.1}" for x in range(40))
    (tmp_path / "train.csv").write_text("x,y\n" + rows + "\n")
    return tmp_path


def _run_script(code: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """How an executor would have run the node (a plain interpreter)."""
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@contextmanager
def fresh_kernel(cwd: Path) -> Iterator[Any]:
    km, kc = start_new_kernel(kernel_name="python3", cwd=str(cwd))
    try:
        yield kc
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def _execute(kc: Any, source: str) -> list[dict[str, Any]]:
    outputs: list[dict[str, Any]] = []

    def hook(msg: dict[str, Any]) -> None:
        kind = msg["header"]["msg_type"]
        if kind in ("stream", "error"):
            outputs.append({"output_type": kind, **msg["content"]})

    kc.execute_interactive(source, output_hook=hook, timeout=120)
    return outputs


def test_node_cells_reproduce_the_node_in_a_fresh_kernel(data_dir: Path) -> None:
    journal = Journal(lower_is_better=True)
    good_run, bad_run = _run_script(GOOD, data_dir), _run_script(BUGGY, data_dir)
    assert good_run.returncode == 0 and bad_run.returncode != 0
    journal.add(
        Node(
            id="d1",
            step=0,
            stage="draft",
            code=GOOD,
            status="done",
            output=good_run.stdout,
            is_buggy=False,
            metric=0.05,
            lower_is_better=True,
        )
    )
    journal.add(
        Node(
            id="d2",
            step=1,
            stage="draft",
            code=BUGGY,
            status="done",
            output=bad_run.stdout,
            exc_type="KeyError",
            exc_traceback=bad_run.stderr,
            is_buggy=True,
        )
    )
    path = write_journal(data_dir / "journal.ipynb", make_info(), journal)
    nb = nbformat.read(path, as_version=4)
    _, loaded = load_journal(path)
    for node in loaded.nodes:
        cells = [
            c
            for c in nb.cells
            if c.cell_type == "code"
            and NODE_TAG in c.metadata.tags
            and c.metadata.aide.node_id == node.id
        ]
        produced: list[dict[str, Any]] = []
        with fresh_kernel(data_dir) as kc:
            for cell in cells:
                produced += _execute(kc, cell.source)
        stdout = "".join(
            o["text"] for o in produced if o["output_type"] == "stream" and o["name"] == "stdout"
        )
        stored = cells[-1].outputs
        assert stdout == "".join(stored[0].text) == node.output
        errors = [o for o in produced if o["output_type"] == "error"]
        if node.exc_type:
            assert [e["ename"] for e in errors] == [stored[1].ename] == ["KeyError"]
        else:
            assert errors == []
