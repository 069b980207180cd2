"""Executor overhead: a node run by the executor, fork and portable, against a bare os.fork.

Anchor workload: a 200,000 x 20 DataFrame in the kernel, LogisticRegression on 50k rows.
(a) KernelExecutor, fork path;  (p) KernelExecutor, portable path (fresh interpreter fed the
per-search snapshot);  (0) a bare `os.fork` of the same node code in the same kernel, timed in
the kernel (fork, exec the code, waitpid), run interleaved with (a) and (p) so load hits all;
(b) what the reference AIDE does: a fresh interpreter per node that re-imports and re-reads the
data from disk. Overhead per node = median node wall - median bare fork wall. Also a user's
cell round trip (p50, p95) while nodes run. Usage:
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

from aide_jupyter.executors import KernelExecutor, StandaloneExecutor
from aide_jupyter.search.executor import ExecRequest
from tests.support_executor import Frontend

FIT = """
import time
from sklearn.linear_model import LogisticRegression
_t0 = time.perf_counter()
X = df.drop(columns=["y"])
y = df["y"]
model = LogisticRegression(max_iter=200).fit(X.iloc[:50_000], y.iloc[:50_000])
print("acc", round(model.score(X.iloc[150_000:], y.iloc[150_000:]), 4))
print("fit_s", time.perf_counter() - _t0)
"""

# The fixed cost alone: a node that only touches the frame (the fit's run-to-run noise on a loaded
# machine is larger than the overhead being measured).
TINY = """
print("shape", df.shape, float(df["f0"].iloc[0]))
"""

# The same node as a bare fork in the kernel: no runner, no supervision, no messaging.
BARE = """
import os as _os, time as _time
def _aide_bare_fork(code):
    t = _time.perf_counter()
    pid = _os.fork()
    if pid == 0:
        fd = _os.open(_os.devnull, _os.O_WRONLY)
        _os.dup2(fd, 1)
        _os.dup2(fd, 2)
        try:
            exec(compile(code, "node.py", "exec"), dict(globals()))
        finally:
            _os._exit(0)
    _os.waitpid(pid, 0)
    return _time.perf_counter() - t
"""


def make_data(rows: int, path: Path) -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(rows, 19))
    df = pd.DataFrame(x, columns=[f"f{i}" for i in range(19)])
    df["y"] = (x @ rng.normal(size=19) + rng.normal(scale=0.5, size=rows) > 0).astype(int)
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


async def warm_kernel(
    csv: Path, root: Path, runs: int, code: str = FIT, latency: bool = True
) -> dict[str, list[float]]:
    """(a), (p) and (0) interleaved on one kernel holding the data, plus user latency."""
    setup = (
        f"import pandas as pd\nimport sklearn.linear_model\ndf = pd.read_csv({str(csv)!r})\n" + BARE
    )
    out: dict[str, list[float]] = {k: [] for k in ("fork", "portable", "bare", "fit", "lat")}
    async with StandaloneExecutor(setup_code=setup) as ex:
        fork = ex.executor
        assert fork is not None and ex.km is not None
        portable = KernelExecutor(ex.km.get_connection_info(session=False), mode="spawn")
        try:
            for i in range(runs + 1):  # the first round warms caches and the snapshot
                walls = {}
                for name, executor in (("fork", fork), ("portable", portable)):
                    req = ExecRequest(
                        node_id=f"{name}{i}",
                        code=code,
                        workdir=str(root / f"{name}{i}"),
                        data_names=["df"],
                    )
                    start = time.perf_counter()
                    res = await executor.run(req)
                    walls[name] = time.perf_counter() - start
                    assert res.ok, res
                    if name == "fork":
                        fit = float(res.output.split("fit_s")[1]) if "fit_s" in res.output else 0
                await ex.run_code(f"_aide_bare_s = _aide_bare_fork({code!r})")
                reply = await fork._execute("", {"b": "_aide_bare_s"})
                bare = float(reply["content"]["user_expressions"]["b"]["data"]["text/plain"])
                if i == 0:
                    continue
                out["fork"].append(walls["fork"])
                out["portable"].append(walls["portable"])
                out["bare"].append(bare)
                out["fit"].append(fit)
        finally:
            await portable.close()
        if latency:
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
    parser.add_argument("--tiny-runs", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        csv = root / "train.csv"
        make_data(args.rows, csv)
        a = asyncio.run(warm_kernel(csv, root, args.runs))
        tiny_root = root / "tiny"
        tiny_root.mkdir()
        t = asyncio.run(warm_kernel(csv, tiny_root, args.tiny_runs, TINY, latency=False))
        b_wall, b_own = [], []
        for i in range(args.runs):
            (root / f"b{i}").mkdir()
            wall, own = fresh_process(csv, root / f"b{i}")
            b_wall.append(wall)
            b_own.append(own)
        (root / "aide").mkdir()
        c = aideml_interpreter(csv, root / "aide")
    med = statistics.median
    bare = med(a["bare"])
    print(
        f"executor overhead: {args.rows} x 20 DataFrame, LogisticRegression on 50k rows, "
        f"medians of {args.runs} interleaved runs"
    )
    print(f"{'way':<48}{'node wall s':>12}{'over bare fork ms':>19}")
    rows = [
        ("(0) bare os.fork of the node in the kernel", bare),
        ("(a) KernelExecutor, fork path", med(a["fork"])),
        ("(p) KernelExecutor, portable path", med(a["portable"])),
        ("(b) fresh process, re-import + read_csv", med(b_wall)),
    ]
    for label, wall in rows:
        print(f"{label:<48}{wall:>12.3f}{(wall - bare) * 1000:>19.1f}")
    if c is not None:
        print(f"{'(c) aideml Interpreter (1 run)':<48}{c:>12.3f}")
    else:
        print("(c) aideml Interpreter: not installed, skipped")
    print(f"fit inside the forked node: {med(a['fit']):.3f} s")
    tiny_bare = med(t["bare"])
    print(f"fixed cost, a node that only reads the frame ({args.tiny_runs} runs):")
    for label, wall in (
        ("(0) bare os.fork", tiny_bare),
        ("(a) fork path", med(t["fork"])),
        ("(p) portable path", med(t["portable"])),
    ):
        print(f"  {label:<46}{wall:>12.3f}{(wall - tiny_bare) * 1000:>19.1f}")
    print(f"ratio b/a (node wall): {med(b_wall) / med(a['fork']):.1f}x")
    print(
        f"user cell round trip while 2 nodes run: p50 {pct(a['lat'], 0.5) * 1000:.1f} ms, "
        f"p95 {pct(a['lat'], 0.95) * 1000:.1f} ms ({len(a['lat'])} cells)"
    )


if __name__ == "__main__":
    main()
