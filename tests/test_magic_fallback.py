"""The no-server fallback in a real, bare kernel: a 5-node search runs inside the kernel while the
user keeps working, the display updates, the journal is written, and `best` inserts a solution
that runs in the notebook and prints its metric."""

from __future__ import annotations

import os
import queue
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jupyter_client.blocking import BlockingKernelClient
from jupyter_client.manager import KernelManager

from aide_jupyter.journal import load_journal

pytestmark = pytest.mark.timeout(150)

SETUP = """
%load_ext aide_jupyter
from sklearn.datasets import load_breast_cancer
df = load_breast_cancer(as_frame=True).frame
"""


@pytest.fixture
def kernel(tmp_path: Path) -> Iterator[BlockingKernelClient]:
    """A bare kernel (no Jupyter server, no server env vars) working in tmp_path."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIDE_", "OPENAI_", "JPY_"))}
    runtime = tmp_path / "runtime"
    runtime.mkdir()
    env["JUPYTER_RUNTIME_DIR"] = str(runtime)
    km = KernelManager(kernel_name="python3")
    km.start_kernel(cwd=str(tmp_path), env=env)
    client = km.blocking_client()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=60)
        reply = client.execute_interactive(SETUP, timeout=60, output_hook=lambda m: None)
        assert reply["content"]["status"] == "ok", reply["content"]
        yield client
    finally:
        client.stop_channels()
        km.shutdown_kernel(now=True)


def run(client: BlockingKernelClient, code: str) -> tuple[dict[str, Any], list[dict], float]:
    """Execute a visible cell: (reply content, its iopub messages, seconds it took)."""
    messages: list[dict] = []
    start = time.monotonic()
    reply = client.execute_interactive(code, timeout=60, output_hook=messages.append)
    return reply["content"], messages, time.monotonic() - start


def text_of(messages: list[dict], kind: str = "stream") -> str:
    return "".join(m["content"].get("text", "") for m in messages if m["msg_type"] == kind)


def test_search_runs_in_the_kernel_without_a_server(
    kernel: BlockingKernelClient, tmp_path: Path
) -> None:
    content, messages, took = run(
        kernel,
        "%aide optimize --data df --target target --steps 5 --model builtin "
        '"predict the diagnosis; metric accuracy"',
    )
    assert content["status"] == "ok" and took < 5.0
    said = text_of(messages)
    assert "running the search inside this kernel" in said and "no AIDE server extension" in said
    shown = [m for m in messages if m["msg_type"] == "display_data"]
    assert len(shown) == 1 and "text/html" in shown[0]["content"]["data"]
    display_id = shown[0]["content"]["transient"]["display_id"]

    content, _, took = run(kernel, "user_value = sum(range(1000))")
    assert content["status"] == "ok" and took < 2.0

    updates: list[str] = []
    deadline = time.monotonic() + 100
    while time.monotonic() < deadline:
        try:
            msg = kernel.get_iopub_msg(timeout=1)
        except queue.Empty:
            continue
        if msg["msg_type"] == "update_display_data":
            assert msg["content"]["transient"]["display_id"] == display_id
            updates.append(msg["content"]["data"]["text/plain"])
            if " · done" in updates[-1].splitlines()[0]:
                break
    assert updates and " · done" in updates[-1], updates[-1:]
    assert "steps 5/5" in updates[-1] and "[in-kernel]" in updates[-1]

    runs = list((tmp_path / "aide-runs").iterdir())
    assert len(runs) == 1
    info, journal = load_journal(runs[0] / "journal.ipynb")
    assert info.status == "done" and len(journal) == 5
    assert info.data == ["df"] and info.target == "target"
    best = journal.best_node()
    assert best is not None and best.metric is not None and best.metric > 0.9
    assert (runs[0] / "best_solution.py").exists() and (runs[0] / "tree.html").exists()
    content, _, _ = run(kernel, "print(df.shape, 'target' in df.columns)")
    assert content["status"] == "ok"  # nodes never changed the user's frame

    content, messages, _ = run(kernel, "%aide best")
    inserted = [p for p in content["payload"] if p["source"] == "set_next_input"]
    assert len(inserted) == 1 and inserted[0]["replace"] is False
    code = inserted[0]["text"]
    assert f"node {best.id}" in code.splitlines()[0] and best.code.strip() in code
    assert f"node {best.id}" in text_of(messages)

    content, messages, _ = run(kernel, code)
    assert content["status"] == "ok", content
    assert "validation_metric:" in text_of(messages)

    content, messages, _ = run(kernel, "%aide status")
    snapshots = [
        m["content"]["data"]["text/plain"] for m in messages if m["msg_type"] == "display_data"
    ]
    assert len(snapshots) == 1 and " · done" in snapshots[0]


def wait_for(kernel: BlockingKernelClient, words: tuple[str, ...], seconds: float = 60) -> str:
    """Poll `%aide status` until its first line has one of `words`; return that line."""
    deadline = time.monotonic() + seconds
    line = ""
    while time.monotonic() < deadline:
        _, messages, _ = run(kernel, "%aide status")
        snapshots = [m for m in messages if m["msg_type"] == "display_data"]
        line = snapshots[0]["content"]["data"]["text/plain"].splitlines()[0]
        if any(f" · {w}" in line for w in words):
            return line
        time.sleep(0.3)
    raise AssertionError(f"status never reached {words}: {line}")


def test_pause_resume_stop_and_list_in_kernel(kernel: BlockingKernelClient, tmp_path: Path) -> None:
    content, _, _ = run(
        kernel, '%aide optimize --data df --target target --steps 40 "predict target"'
    )
    assert content["status"] == "ok"
    content, messages, _ = run(kernel, "%aide pause --finish-running")
    assert "stopping after the running nodes" in text_of(messages)
    paused = wait_for(kernel, ("paused",))
    _, messages, _ = run(kernel, "%aide pause")
    assert "is not running (paused)" in text_of(messages)
    content, messages, _ = run(kernel, "%aide resume")
    assert content["status"] == "ok" and [m for m in messages if m["msg_type"] == "display_data"]
    run(kernel, "%aide stop")
    stopped = wait_for(kernel, ("stopped",))
    assert "steps " in paused and "steps " in stopped
    _, messages, _ = run(kernel, "%aide list")
    listing = text_of(messages)
    assert listing.count("AIDE search") == 1 and "[in-kernel] · stopped" in listing
    _, messages, _ = run(kernel, "%aide resume")
    assert "only a paused one resumes" in text_of(messages)
    (run_dir,) = list((tmp_path / "aide-runs").iterdir())
    info, journal = load_journal(run_dir / "journal.ipynb")
    assert info.status == "stopped" and 0 < len(journal) < 40

    # a stop asked for in the same cell, before the search's loop exists, is not lost
    content, messages, _ = run(
        kernel, '%aide optimize --data df --target target --steps 40 "predict target"\n%aide stop'
    )
    assert content["status"] == "ok" and re.search(r"search \S+: stopping\n", text_of(messages))
    wait_for(kernel, ("stopped",))
    second = [d for d in (tmp_path / "aide-runs").iterdir() if d != run_dir]
    info, journal = load_journal(second[0] / "journal.ipynb")
    assert info.status == "stopped" and len(journal) <= 1
