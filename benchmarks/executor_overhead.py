"""Executor overhead: a node run from a warm kernel (fork) vs a fresh process per node.

(a) KernelExecutor on a kernel that already holds a 200,000 x 20 DataFrame;
(b) what the reference AIDE does: a fresh interpreter per node that re-imports pandas and
    scikit-learn and re-reads the data from disk (and, if `aideml` is installed, its own
    `aide.interpreter.Interpreter`).
Also a user's cell round trip (p50, p95) while nodes run. Usage:
    python benchmarks/executor_overhead.py [--runs 10] [--rows 200000]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from aide_jupyter.executors import StandaloneExecutor
from aide_jupyter.search.executor import ExecRequest
from tests.support_executor import Frontend

FIT = """
import time
import pandas as pd
from sklearn.linear_model import Ridge
_t0 = time.perf_counter()
X = df.drop(columns=["y"])
y = df["y"]
model = Ridge(alpha=1.0).fit(X.iloc[:150_000], y.iloc[:150_000])
print("r2", round(model.score(X.iloc[150_000:], y.iloc[150_000:]), 4))
print("fit_s", time.perf_counter() - _t0)
"""


def make_data(rows: int, path: Path) -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(rows, 19))
    df = pd.DataFrame(x, columns=[f"f{i}" for i in range(19)])
    df["y"] = x @ rng.normal(size=19) + rng.normal(scale=0.1, size=rows)
    df.to_csv(path, index=False)


def fresh_process(csv: Path, workdir: Path) -> tuple[float, float]:
    """(wall, code's own fit time) of one node as a new interpreter that loads everything."""
    script = workdir / "node.py"
    script.write_text(f"import pandas as pd\ndf = pd.read_csv({str(csv)!r})\n{FIT}")
    start = time.perf_counter()
    out = subprocess.run(
        [sys.executable, str(script)], cwd=workdir, capture_output=True, text=True, check=True
    ).stdout
    wall = time.perf_counter() - start
    return wall, float(out.split("fit_s")[1])


def aideml_interpreter(csv: Path, workdir: Path) -> float | None:
    """Wall time of one node through aideml's own Interpreter, when that package is installed."""
    try:
        from aide.interpreter import Interpreter  # type: ignore[import-not-found]
    except ImportError:
        return None
    interp = Interpreter(working_dir=workdir, timeout=600)
    start = time.perf_counter()
    interp.run(f"import pandas as pd\ndf = pd.read_csv({str(csv)!r})\n{FIT}")
    wall = time.perf_counter() - start
    interp.cleanup_session()
    return wall


async def warm_kernel(csv: Path, root: Path, runs: int) -> dict[str, list[float]]:
    # the user's notebook state: data loaded, the usual libraries imported
    setup = f"import pandas as pd\nimport sklearn.linear_model\ndf = pd.read_csv({str(csv)!r})"
    out: dict[str, list[float]] = {"wall": [], "own": [], "fit": [], "overhead": [], "lat": []}
    async with StandaloneExecutor(setup_code=setup) as ex:
        assert ex.executor is not None
        await ex.run(ExecRequest(node_id="warmup", code=FIT, workdir=str(root / "warmup")))
        for i in range(runs):
            start = time.perf_counter()
            res = await ex.run(ExecRequest(node_id=f"a{i}", code=FIT, workdir=str(root / f"a{i}")))
            wall = time.perf_counter() - start
            assert res.ok, res
            out["wall"].append(wall)
            out["own"].append(res.exec_time_s)
            out["fit"].append(float(res.output.split("fit_s")[1]))
            out["overhead"].append(wall - res.exec_time_s)
        out["lat"] = await user_latency(ex, root, runs)
    return out


async def user_latency(ex: StandaloneExecutor, root: Path, runs: int) -> list[float]:
    """A user's `1 + 1` round trips while two nodes run back to back."""
    assert ex.km is not None
    user = Frontend(ex.km.get_connection_info(session=False))
    stop = asyncio.Event()

    async def search() -> None:
        i = 0
        while not stop.is_set():
            i += 1
            await ex.run(ExecRequest(node_id=f"l{i}", code=FIT, workdir=str(root / f"l{i}")))

    tasks = [asyncio.create_task(search()) for _ in range(2)]
    ex.executor.parallel = 2  # type: ignore[union-attr]
    ex.executor._sem = asyncio.Semaphore(2)  # type: ignore[union-attr]
    await asyncio.sleep(0.5)
    lat = []
    for _ in range(max(40, runs * 4)):
        _, took = await user.execute("1 + 1")
        lat.append(took)
        await asyncio.sleep(0.05)
    stop.set()
    await asyncio.gather(*tasks)
    user.close()
    return lat


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--rows", type=int, default=200_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        csv = root / "train.csv"
        make_data(args.rows, csv)
        a = asyncio.run(warm_kernel(csv, root, args.runs))
        b_wall, b_own = [], []
        for i in range(args.runs):
            (root / f"b{i}").mkdir()
            wall, own = fresh_process(csv, root / f"b{i}")
            b_wall.append(wall)
            b_own.append(own)
        (root / "aide").mkdir()
        c = aideml_interpreter(csv, root / "aide")
    med = statistics.median
    print(
        f"executor overhead benchmark: {args.rows} x 20 DataFrame, Ridge fit, "
        f"medians of {args.runs} runs"
    )
    print("overhead = node wall time - the script's own time (a: whole script, b: the fit)")
    print(f"{'way':<44}{'node wall s':>12}{'fit s':>8}{'overhead ms':>13}")
    print(
        f"{'(a) KernelExecutor, warm kernel, fork':<44}{med(a['wall']):>12.3f}"
        f"{med(a['fit']):>8.3f}{med(a['overhead']) * 1000:>13.1f}"
    )
    print(
        f"{'(b) fresh process, re-import + read_csv':<44}{med(b_wall):>12.3f}"
        f"{med(b_own):>8.3f}{(med(b_wall) - med(b_own)) * 1000:>13.1f}"
    )
    if c is not None:
        print(f"{'(c) aideml Interpreter (1 run)':<44}{c:>12.3f}")
    else:
        print("(c) aideml Interpreter: not installed, skipped")
    print(f"ratio b/a (node wall): {med(b_wall) / med(a['wall']):.1f}x")
    print(
        f"user cell round trip while 2 nodes run: p50 {pct(a['lat'], 0.5) * 1000:.1f} ms, "
        f"p95 {pct(a['lat'], 0.95) * 1000:.1f} ms ({len(a['lat'])} cells)"
    )


if __name__ == "__main__":
    main()
