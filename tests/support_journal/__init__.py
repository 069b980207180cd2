"""Helpers for the journal tests: node factories, hypothesis strategies, a headless Chromium run."""

from __future__ import annotations

import math
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from aide_jupyter.journal.schema import is_secret_key
from aide_jupyter.search.journal import STAGES, Journal, Node, SearchInfo

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def canon(value: Any) -> Any:
    """Comparable form: NaN never equals itself, so compare it as a marker."""
    if isinstance(value, float) and math.isnan(value):
        return "<nan>"
    if isinstance(value, dict):
        return {k: canon(v) for k, v in value.items()}
    if isinstance(value, list):
        return [canon(v) for v in value]
    return value


def node_state(journal: Journal) -> list[dict[str, Any]]:
    return [canon(n.to_dict()) for n in journal.nodes]


def make_journal(n: int, *, code_kb: float = 0.3, output_kb: float = 0.3, seed: int = 0) -> Journal:
    """A plausible tree: 5 drafts, then debug/improve children, some buggy, some metrics."""
    journal = Journal(lower_is_better=True)
    line = "df['feature_{i}'] = df['a'] * {i} + df['b'] / ({i} + 1)  # engineered feature\n"
    for i in range(n):
        parent = None if i < 5 else journal.nodes[(i * 7 + seed) % i].id
        body = "".join(line.format(i=k) for k in range(max(1, int(code_kb * 1024 / len(line)))))
        code = f"# %%\nimport pandas as pd\n\n# %%\n{body}\n# %%\nprint('rmse', {i / 1000})\n"
        out_line = f"epoch {i}: loss 0.{i:04d} val 0.{i:04d}\n"
        output = out_line * max(1, int(output_kb * 1024 / len(out_line)))
        buggy = i % 4 == 3
        journal.add(
            Node(
                id=f"n{i:04d}",
                step=i,
                stage="draft" if parent is None else ("debug" if buggy else "improve"),
                parent_id=parent,
                plan=f"Plan {i}: gradient boosting with more features.",
                code=code,
                status="done",
                output=output,
                metric=None if buggy else 1.0 / (i + 1),
                exc_type="ValueError" if buggy else None,
                exc_traceback="Traceback (most recent call last):\nValueError: bad"
                if buggy
                else None,
                exec_time_s=1.5,
                lower_is_better=True,
                is_buggy=buggy,
                analysis=f"Review {i}.",
                tokens_in=1000,
                tokens_out=200,
                cost_usd=0.01,
                created=1_700_000_000.0 + i,
            )
        )
    return journal


def make_info(search_id: str = "s-test", **kw: Any) -> SearchInfo:
    return SearchInfo(
        id=search_id,
        goal=kw.pop("goal", "predict the price; metric RMSE"),
        created=1_700_000_000.0,
        **kw,
    )


# ---- hypothesis strategies --------------------------------------------------------------------

floats = st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True))
opt_text = st.one_of(st.none(), st.text(max_size=40))
code_bits = st.sampled_from(
    [
        "# %%",
        "#%%",
        "# %% [markdown]",
        "\n",
        "\n\n",
        "print('x')",
        "\r\n",
        "  # %% not a marker",
        "x = 1",
        "</script>",
        "\u2028",
        "é✓",
    ]
)
code_text = st.lists(st.one_of(code_bits, st.text(max_size=20)), max_size=14).map("".join)
outputs = st.one_of(st.text(max_size=200), st.just("line\n" * 40_000), code_text)
json_scalar = st.one_of(
    st.none(), st.booleans(), st.integers(-(10**12), 10**12), st.floats(), st.text(max_size=20)
)
configs = st.dictionaries(
    st.text(max_size=12).filter(lambda k: not is_secret_key(k)),
    st.recursive(
        json_scalar,
        lambda inner: (
            st.lists(inner, max_size=3)
            | st.dictionaries(st.text("abcxyz", max_size=5), inner, max_size=3)
        ),
        max_leaves=8,
    ),
    max_size=4,
)


@st.composite
def journals(draw: st.DrawFn) -> Journal:
    ids = draw(st.lists(st.text(min_size=1, max_size=10), min_size=0, max_size=8, unique=True))
    journal = Journal(lower_is_better=draw(st.one_of(st.none(), st.booleans())))
    for i, node_id in enumerate(ids):
        parent = None if i == 0 else draw(st.one_of(st.none(), st.sampled_from(ids[:i])))
        journal.add(
            Node(
                id=node_id,
                step=draw(st.integers(0, 10**6)),
                stage=draw(st.sampled_from(STAGES)),
                parent_id=parent,
                plan=draw(st.text(max_size=60)),
                code=draw(code_text),
                status=draw(st.sampled_from(["queued", "running", "done", "failed"])),
                output=draw(outputs),
                exc_type=draw(opt_text),
                exc_traceback=draw(opt_text),
                exit_cause=draw(opt_text),
                exec_time_s=draw(floats),
                peak_mem_mb=draw(floats),
                metric=draw(floats),
                lower_is_better=draw(st.one_of(st.none(), st.booleans())),
                metric_source=draw(opt_text),
                is_buggy=draw(st.one_of(st.none(), st.booleans())),
                analysis=draw(st.text(max_size=60)),
                error=draw(opt_text),
                instruction=draw(opt_text),
                tokens_in=draw(st.integers(0, 10**9)),
                tokens_out=draw(st.integers(0, 10**9)),
                cost_usd=draw(st.floats(allow_nan=False)),
                created=draw(st.floats()),
                finished=draw(floats),
            )
        )
    return journal


@st.composite
def infos(draw: st.DrawFn) -> SearchInfo:
    return SearchInfo(
        id=draw(st.text(min_size=1, max_size=10)),
        goal=draw(st.text(max_size=80)),
        eval=draw(st.text(max_size=20)),
        data=draw(st.lists(st.text(max_size=8), max_size=3)),
        data_dir=draw(opt_text),
        target=draw(opt_text),
        config=draw(configs),
        status=draw(st.sampled_from(["queued", "running", "stopped", "done"])),
        stop_reason=draw(opt_text),
        created=draw(st.floats()),
        elapsed_s=draw(st.floats()),
    )


# ---- headless Chromium ------------------------------------------------------------------------


def chromium_render(
    page: Path, timeout: float = 60.0, window: tuple[int, int] = (1280, 800)
) -> tuple[str, list[str]]:
    """DOM after scripts ran, and the console lines Chromium logged (errors, uncaught, CSP)."""
    assert CHROMIUM is not None
    with tempfile.TemporaryDirectory() as profile:
        proc = subprocess.run(
            [
                CHROMIUM,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
                f"--user-data-dir={profile}",
                "--enable-logging=stderr",
                "--v=0",
                "--virtual-time-budget=2000",
                f"--window-size={window[0]},{window[1]}",
                "--dump-dom",
                page.resolve().as_uri(),
            ],
            capture_output=True,
            text=True,
            timeout=timeout,
            env={**os.environ, "LANG": "C.UTF-8"},
            check=False,
        )
    console = [ln for ln in proc.stderr.splitlines() if ":CONSOLE" in ln or "Uncaught" in ln]
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout, console
