"""JournalWriter: incremental, usable as a SearchLoop listener, rate-limited but never stale."""

from __future__ import annotations

import time
from pathlib import Path

from support_journal import make_info, make_journal, node_state

from aide_jupyter.journal import JournalWriter, load_journal
from aide_jupyter.journal.notebook import notebook_text
from aide_jupyter.search.journal import Journal, Node


def test_listener_records_every_state_change(tmp_path: Path) -> None:
    info, journal = make_info(), Journal(lower_is_better=False)
    writer = JournalWriter(tmp_path / "aide-runs" / "s-test").bind(info, journal)
    node = journal.add(Node(id="a", step=0, stage="draft", code="print(1)\n"))
    writer("node", node)
    node.status = "running"
    writer("node", node)
    node.status, node.output, node.metric, node.is_buggy = "done", "1\n", 0.9, False
    writer("node", node)
    info.status = "done"
    writer("search", info)
    path = writer.path
    assert path == tmp_path / "aide-runs" / "s-test" / "journal.ipynb"
    info2, journal2 = load_journal(path)
    assert info2.status == "done" and node_state(journal2) == node_state(journal)
    assert (writer.run_dir / "best_solution.py").read_text().endswith("print(1)\n")
    assert "tree.html" in {p.name for p in writer.run_dir.iterdir()}


def test_only_changed_nodes_are_reserialized(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from aide_jupyter.journal import writer as writer_mod

    calls: list[str] = []
    real = writer_mod.node_fragment
    monkeypatch.setattr(writer_mod, "node_fragment", lambda n: calls.append(n.id) or real(n))
    info, journal = make_info(), make_journal(30)
    writer = JournalWriter(tmp_path, exports=False)
    writer.update(info, journal, force=True)
    assert len(calls) == 30
    calls.clear()
    journal.nodes[4].analysis = "changed"
    writer.update(info, journal, ["n0004"], force=True)
    writer.update(info, journal, None, force=True)  # full scan finds nothing new
    assert calls == ["n0004"]
    journal.nodes[7].metric = 0.123  # changed without a hint: found by the full scan
    writer.update(info, journal, None, force=True)
    assert calls == ["n0004", "n0007"]
    assert writer.path.read_text() == notebook_text(info, journal)


def test_rate_limited_writes_are_flushed_by_timer(tmp_path: Path) -> None:
    info, journal = make_info(), make_journal(3)
    writer = JournalWriter(tmp_path, small_write_s=0.0, max_io_share=0.01)
    writer.update(info, journal, force=True)
    writer._last_cost = 0.02  # pretend writes are slow: next write waits ~2 s
    journal.nodes[0].analysis = "late review"
    assert writer.update(info, journal, ["n0000"]) is False
    assert "late review" not in writer.path.read_text()
    writer._timer.cancel()  # type: ignore[union-attr]
    writer._timer = None
    writer._schedule(0.05)
    deadline = time.monotonic() + 5
    while "late review" not in writer.path.read_text() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert "late review" in writer.path.read_text()
    journal.nodes[1].analysis = "at close"
    writer._last_cost = 0.02
    writer._last_end = time.monotonic()
    writer.update(info, journal, ["n0001"])
    writer.close()
    assert "at close" in writer.path.read_text()


def test_resume_from_existing_journal(tmp_path: Path) -> None:
    info, journal = make_info(), make_journal(8)
    JournalWriter(tmp_path).update(info, journal, force=True)
    writer = JournalWriter(tmp_path)
    assert writer.loaded is not None
    info2, journal2 = writer.loaded
    assert journal2.next_step() == 8 and journal2.totals() == journal.totals()
    journal2.add(Node(id="n0008", step=journal2.next_step(), stage="improve", parent_id="n0001"))
    writer.update(info2, journal2, force=True)
    _, journal3 = load_journal(writer.path)
    assert [n.id for n in journal3.nodes] == [f"n{i:04d}" for i in range(9)]


def test_run_folder_deleted_under_a_search_is_written_again(tmp_path: Path, caplog) -> None:  # type: ignore[no-untyped-def]
    import logging
    import shutil

    info, journal = make_info(), make_journal(3)
    writer = JournalWriter(tmp_path / "aide-runs" / "s-test")
    writer.update(info, journal, force=True)
    shutil.rmtree(writer.run_dir)
    journal.nodes[1].analysis = "after the folder went"
    with caplog.at_level(logging.WARNING, logger="aide_jupyter.journal.writer"):
        assert writer.update(info, journal, ["n0001"], force=True)
    assert "was removed" in caplog.text
    _, again = load_journal(writer.path)
    assert node_state(again) == node_state(journal)
    assert (writer.run_dir / "tree.html").exists()


def test_a_removed_project_folder_is_not_resurrected(tmp_path: Path, caplog) -> None:  # type: ignore[no-untyped-def]
    import logging
    import shutil

    info, journal = make_info(), make_journal(2)
    writer = JournalWriter(tmp_path / "project" / "aide-runs" / "s-test")
    writer.update(info, journal, force=True)
    shutil.rmtree(tmp_path / "project" / "aide-runs")
    with caplog.at_level(logging.WARNING, logger="aide_jupyter.journal.writer"):
        writer.update(info, journal, None, force=True)
        writer.update(info, journal, None, force=True)
    assert not (tmp_path / "project" / "aide-runs").exists()
    assert caplog.text.count("no longer written") == 1  # said once, not per event
