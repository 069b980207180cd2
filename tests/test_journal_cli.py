"""`jupyter aide show | export | run`: the terminal side of the journal."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from support_journal import make_info, make_journal

from aide_jupyter.cli import main, show
from aide_jupyter.journal import JournalError, load_journal, write_journal


def test_show_marks_the_best(tmp_path: Path) -> None:
    journal = make_journal(6)
    path = write_journal(tmp_path / "journal.ipynb", make_info(), journal)
    out = io.StringIO()
    assert show(path, out) == 0
    text = out.getvalue()
    best = journal.best_node()
    assert best is not None
    lines = [ln for ln in text.splitlines() if ln.startswith("*")]
    assert len(lines) == 1 and best.id in lines[0]
    assert all(n.id in text for n in journal.nodes) and "done/buggy" in text


def test_export_and_bad_journal(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    path = write_journal(tmp_path / "journal.ipynb", make_info(), make_journal(4))
    assert (
        main(
            [
                "export",
                str(path),
                "--html",
                str(tmp_path / "t.html"),
                "--best",
                str(tmp_path / "b.py"),
            ]
        )
        == 0
    )
    assert "<svg" in (tmp_path / "t.html").read_text()
    assert (tmp_path / "b.py").read_text().startswith("# Best solution")
    (tmp_path / "bad.ipynb").write_text('{"cells": [')
    assert main(["show", str(tmp_path / "bad.ipynb")]) == 2
    assert "truncated" in capsys.readouterr().err


def _wait_for(path: Path, finished: int, proc: subprocess.Popen[str], timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
        try:
            _, journal = load_journal(path)
        except JournalError:
            journal = None
        if journal is not None and sum(n.is_finished for n in journal.nodes) >= finished:
            return
        time.sleep(0.2)
    raise AssertionError("the search did not get going")


def test_run_ctrl_c_then_resume(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"a": rng.normal(size=200), "b": rng.normal(size=200)})
    frame["y"] = 2 * frame.a - frame.b + rng.normal(scale=0.1, size=200)
    frame.to_csv(data / "train.csv", index=False)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "AIDE_MODEL"))}
    env["PYTHONPATH"] = os.pathsep.join(sys.path)
    cmd = [
        sys.executable,
        "-m",
        "aide_jupyter.cli",
        "run",
        "--goal",
        "predict y; metric RMSE",
        "--data-dir",
        str(data),
        "--target",
        "y",
        "--steps",
        "40",
        "--out",
        str(tmp_path / "runs"),
    ]
    proc = subprocess.Popen(
        cmd, cwd=tmp_path, env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + 60
    while not list((tmp_path / "runs").glob("*/journal.ipynb")) and time.monotonic() < deadline:
        time.sleep(0.1)
    path = next((tmp_path / "runs").glob("*/journal.ipynb"))
    _wait_for(path, 1, proc)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert "stopped by user" in out
    assert "coder: builtin (offline baseline, no LLM" in err
    info, journal = load_journal(path)
    assert info.status == "stopped" and 1 <= len(journal) < 40
    assert all(n.status != "running" for n in journal.nodes)
    done = len(journal)
    resumed = subprocess.run(
        [
            sys.executable,
            "-m",
            "aide_jupyter.cli",
            "run",
            "--resume",
            str(path.parent),
            "--steps",
            str(done + 1),
        ],
        cwd=tmp_path,
        env=env,
        text=True,
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert resumed.returncode == 0, resumed.stderr
    assert f"up to {done + 1} in all (1 to run)" in resumed.stderr
    info, journal = load_journal(path)
    assert len(journal) == done + 1 and journal.nodes[-1].step == done
    assert info.status == "done" and (path.parent / "tree.html").exists()
    # The kernel's own chatter goes to the run folder's kernel.log, not over the progress bar.
    assert (path.parent / "kernel.log").is_file()
    assert "IPKernelApp" not in resumed.stderr


def test_run_with_parallel_and_a_worker_uses_two_kernels(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    rng = np.random.default_rng(1)
    frame = pd.DataFrame({"a": rng.normal(size=120), "b": rng.normal(size=120)})
    frame["y"] = frame.a - frame.b
    frame.to_csv(data / "train.csv", index=False)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    cmd = [sys.executable, "-m", "aide_jupyter.cli", "run", "--goal", "predict y; metric RMSE"]
    cmd += ["--data-dir", str(data), "--target", "y", "--steps", "6", "--parallel", "2"]
    cmd += ["--workers", "1", "--out", str(tmp_path / "runs")]
    done = subprocess.run(cmd, cwd=tmp_path, env=env, text=True, capture_output=True, timeout=240)
    assert done.returncode == 0, done.stderr
    info, journal = load_journal(next((tmp_path / "runs").glob("*/journal.ipynb")))
    assert info.config["parallel"] == 2 and info.config["workers"] == 1
    kernels = {n.kernel_id for n in journal.nodes}
    assert len(journal) == 6 and len(kernels) == 2 and None not in kernels


def test_run_checks_the_target_against_the_data_up_front(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    data = tmp_path / "data"
    data.mkdir()
    columns = [f"f{i}" for i in range(13)] + ["SalePrice"]
    pd.DataFrame([range(14)], columns=columns).to_csv(data / "train.csv", index=False)
    code = main(["run", "--goal", "g", "--data-dir", str(data), "--target", "saleprice"])
    assert code == 2
    err = capsys.readouterr().err
    assert "--target: 'saleprice' is not a column of train.csv; closest: SalePrice;" in err
    assert "columns (14)" in err and "f12, SalePrice" in err
    assert not (tmp_path / "aide-runs").exists()


def test_resume_steps_is_the_total_and_says_so(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    path = write_journal(tmp_path / "run" / "journal.ipynb", make_info(), make_journal(4))
    assert main(["run", "--resume", str(path.parent), "--steps", "3"]) == 2
    err = capsys.readouterr().err
    assert "already has 4 nodes and --steps is the total: give more, e.g. --steps 9" in err


def test_run_refuses_a_bad_parallel(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    data = tmp_path / "data"
    data.mkdir()
    args = ["run", "--goal", "g", "--data-dir", str(data), "--parallel", "0"]
    assert main(args) == 2
    assert "--parallel: must be at least 1" in capsys.readouterr().err


def test_run_records_random_seed_and_policy(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    pd.DataFrame({"a": range(60), "y": [i % 3 for i in range(60)]}).to_csv(
        data / "train.csv", index=False
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    base = [sys.executable, "-m", "aide_jupyter.cli", "run", "--goal", "classify y"]
    base += ["--data-dir", str(data), "--target", "y", "--out", str(tmp_path / "runs")]
    bad = subprocess.run(
        [*base, "--policy", "annealing"], env=env, text=True, capture_output=True, check=False
    )
    assert bad.returncode == 2 and "--policy: invalid choice: 'annealing'" in bad.stderr
    ok = subprocess.run(
        [*base, "--steps", "1", "--policy", "evolve", "--random-seed", "123"],
        env=env,
        text=True,
        capture_output=True,
        timeout=180,
        check=False,
    )
    assert ok.returncode == 0, ok.stderr
    info, _ = load_journal(next((tmp_path / "runs").glob("*/journal.ipynb")))
    assert info.config["random_seed"] == 123 and info.config["policy"] == "evolve"
