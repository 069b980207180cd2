"""A kill at any moment of a write leaves the previous complete journal."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from aide_jupyter.journal import JournalWriter, load_journal
from aide_jupyter.journal.atomic import atomic_write

WRITER_LOOP = r"""
import sys
from aide_jupyter.journal import JournalWriter
sys.path.insert(0, sys.argv[2])
from support_journal import make_info, make_journal
big = make_journal(400, code_kb=2, output_kb=4)
journal = type(big)(lower_is_better=True)
writer = JournalWriter(sys.argv[1], small_write_s=1e9)  # write on every update
writer.bind(make_info(), journal)
for node in big.nodes:
    journal.add(node)
    writer("node", node)
    print(len(journal), flush=True)
"""


def test_sigkill_mid_write_leaves_a_valid_journal(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    tests_dir = str(Path(__file__).parent)
    seen: list[int] = []
    for round_, delay in enumerate((0.35, 0.6, 0.9, 1.3)):
        run_dir = tmp_path / f"run{round_}"
        proc = subprocess.Popen(
            [sys.executable, "-c", WRITER_LOOP, str(run_dir), tests_dir],
            stdout=subprocess.PIPE,
            env=env,
            text=True,
        )
        assert proc.stdout is not None
        first = proc.stdout.readline()  # first journal written
        assert first.strip() == "1"
        time.sleep(delay)
        proc.kill()  # SIGKILL on POSIX, TerminateProcess on Windows: no cleanup either way
        proc.wait(timeout=10)
        path = run_dir / "journal.ipynb"
        nbformat.validate(nbformat.read(path, as_version=4))
        info, journal = load_journal(path)
        assert info.id == "s-test" and len(journal) >= 1
        seen.append(len(journal))
        writer = JournalWriter(run_dir)  # resumes; removes the killed writer's temp file
        assert writer.loaded is not None and len(writer.loaded[1]) == len(journal)
        assert not list(run_dir.glob(".*.tmp"))
    assert max(seen) > 1


def test_atomic_write_failure_keeps_old_file(tmp_path: Path) -> None:
    target = tmp_path / "f.txt"
    atomic_write(target, "old")

    def chunks():  # type: ignore[no-untyped-def]
        yield "new part"
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        atomic_write(target, chunks())
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["f.txt"]
