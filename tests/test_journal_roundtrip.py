"""Journal -> journal.ipynb -> Journal is lossless, and the file is a valid, readable notebook."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import nbformat
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support_journal import canon, code_text, infos, journals, make_info, make_journal, node_state

from aide_jupyter.journal import load_journal, write_journal
from aide_jupyter.journal.notebook import notebook_text
from aide_jupyter.journal.schema import NODE_TAG, join_code, split_code
from aide_jupyter.journal.writer import JournalWriter
from aide_jupyter.search.journal import Journal, Node, SearchInfo, split_cells


@given(code=code_text)
def test_split_code_is_lossless(code: str) -> None:
    assert join_code(split_code(code)) == code


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(info=infos(), journal=journals())
def test_round_trip_is_lossless(info: SearchInfo, journal: Journal) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = write_journal(Path(tmp) / "journal.ipynb", info, journal)
        nbformat.validate(nbformat.read(path, as_version=4))
        text = path.read_text(encoding="utf-8")
        json.loads(text, parse_constant=_reject)  # JSON.parse in the browser accepts it too
        info2, journal2 = load_journal(path)
    assert node_state(journal2) == node_state(journal)
    assert journal2.lower_is_better == journal.lower_is_better
    assert canon(info2.to_dict()) == canon(info.to_dict())
    assert canon(journal2.totals()) == canon(journal.totals())
    assert journal2.next_step() == journal.next_step()
    assert [n.id for n in journal2.good_nodes] == [n.id for n in journal.good_nodes]


def _reject(name: str) -> None:
    raise AssertionError(f"non-standard JSON constant {name} in the journal")


@settings(max_examples=25, deadline=None)
@given(info=infos(), journal=journals())
def test_incremental_writer_writes_the_same_text(info: SearchInfo, journal: Journal) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        writer = JournalWriter(tmp, exports=False)
        writer.update(info, journal, force=True)
        written = (Path(tmp) / "journal.ipynb").read_text(encoding="utf-8")
        assert written == notebook_text(info, journal)


def test_schema_of_cells(tmp_path: Path) -> None:
    journal = make_journal(7)
    info = make_info(config={"model": "builtin"})
    path = write_journal(tmp_path / "journal.ipynb", info, journal)
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    assert nb.metadata.aide.schema == 1
    assert nb.metadata.aide.search.id == "s-test"
    assert nb.metadata.aide.search.config == {"model": "builtin"}
    cells = iter(nb.cells)
    for node in journal.nodes:
        md = next(cells)
        assert md.cell_type == "markdown" and NODE_TAG in md.metadata.tags
        assert node.plan in md.source and node.analysis in md.source and node.stage in md.source
        code_cells = [next(cells) for _ in node.cells]
        assert [c.source for c in code_cells] == split_cells(node.code)
        for part, cell in enumerate(code_cells):
            meta = cell.metadata.aide
            assert NODE_TAG in cell.metadata.tags
            assert (meta.node_id, meta.parent_id, meta.step, meta.stage) == (
                node.id,
                node.parent_id,
                node.step,
                node.stage,
            )
            assert (meta.part, meta.parts, meta.status, meta.is_buggy) == (
                part,
                len(code_cells),
                node.status,
                node.is_buggy,
            )
            assert meta.metric == node.metric and meta.lower_is_better == node.lower_is_better
            assert meta.exec_time_s == node.exec_time_s
            assert cell.outputs == [] or part == len(code_cells) - 1
        last = code_cells[-1].outputs
        assert last[0].output_type == "stream" and "".join(last[0].text) == node.output
        if node.exc_type:
            assert last[1].output_type == "error" and last[1].ename == node.exc_type
    assert next(cells, None) is None


def test_secrets_are_dropped(tmp_path: Path) -> None:
    config = {
        "api_key": "sk-abc",
        "OPENAI_API_KEY": "x",
        "model": "gpt",
        "max_tokens": 100,
        "llm": {"hf_token": "t", "password": "p", "base_url": "http://h"},
        "extra": "sk-abcdefghijklmnopqrstuvwx",
        "tokens_budget": 5,
    }
    path = write_journal(tmp_path / "journal.ipynb", make_info(config=config), make_journal(1))
    text = path.read_text()
    for secret in ("sk-abc", "api_key", "API_KEY", "hf_token", "password"):
        assert secret not in text
    info, _ = load_journal(path)
    assert info.config == {
        "model": "gpt",
        "max_tokens": 100,
        "llm": {"base_url": "http://h"},
        "tokens_budget": 5,
    }


def test_nodes_without_code_and_user_cells(tmp_path: Path) -> None:
    journal = Journal()
    journal.add(Node(id="q", step=0, stage="draft"))
    journal.add(Node(id="r", step=1, stage="draft", output="only output", exc_traceback=""))
    path = write_journal(tmp_path / "journal.ipynb", make_info(), journal)
    nb = nbformat.read(path, as_version=4)
    nb.cells.insert(1, nbformat.v4.new_code_cell("user's own scratch cell"))
    nbformat.write(nb, path)  # JupyterLab-style save: other formatting, extra cell
    _, journal2 = load_journal(path)
    assert node_state(journal2) == node_state(journal)


@given(st.lists(st.sampled_from(["draft", "improve"]), min_size=1, max_size=6))
def test_resumed_numbering_continues(stages: list[str]) -> None:
    journal = make_journal(len(stages))
    with tempfile.TemporaryDirectory() as tmp:
        path = write_journal(Path(tmp) / "journal.ipynb", make_info(), journal)
        _, loaded = load_journal(path)
    assert loaded.next_step() == len(stages)
    assert loaded.best_node().id == journal.best_node().id
