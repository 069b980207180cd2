"""The seed in the journal, best_solution.py and tree.html: the root, marked as the user's code."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from support_journal import CHROMIUM, chromium_render, make_info

from aide_jupyter.journal import load_journal, write_journal, write_tree_html
from aide_jupyter.search.journal import Journal, Node
from aide_jupyter.search.seeding import add_seed


def _seeded() -> Journal:
    journal = Journal(lower_is_better=False)
    seed = add_seed(journal, "model = Tree(max_depth=1)\nprint('accuracy: 0.8')\n", node_id="seed0")
    seed.status, seed.is_buggy, seed.metric, seed.output = "done", False, 0.8, "accuracy: 0.8\n"
    journal.add(
        Node(
            id="imp1",
            step=1,
            stage="improve",
            parent_id="seed0",
            status="done",
            is_buggy=False,
            metric=0.9,
            code="model = Tree(max_depth=4)\n",
        )
    )
    return journal


def test_the_journal_keeps_the_seed_root_and_its_cell(tmp_path: Path) -> None:
    info = make_info()
    info.seed = {"node_id": "seed0", "cell_id": "cell-42"}
    path = write_journal(tmp_path / "journal.ipynb", info, _seeded())
    notebook = json.loads(path.read_text())
    assert notebook["metadata"]["aide"]["search"]["seed"] == info.seed
    head = "".join(notebook["cells"][0]["source"])
    assert "seed · the user's own code" in head and "none (the root)" in head
    assert notebook["cells"][1]["metadata"]["aide"]["stage"] == "seed"
    loaded_info, loaded = load_journal(path)
    assert loaded_info.seed == info.seed
    assert loaded.seed_node is not None and loaded.seed_node.code.startswith("model = Tree")
    assert loaded.seed_node.metric == 0.8 and loaded.get("imp1").parent_id == "seed0"


@pytest.mark.skipif(
    CHROMIUM is None and not os.environ.get("AIDE_REQUIRE_CHROMIUM"),
    reason="chromium not installed (make test installs it and requires it)",
)
def test_tree_html_marks_the_seed_as_the_users_code(tmp_path: Path) -> None:
    page = write_tree_html(tmp_path / "tree.html", make_info(), _seeded())
    dom, console = chromium_render(page)
    assert console == []
    assert len(re.findall(r'<g class="node [^"]*\bseed\b', dom)) == 1
    assert "#0 · seed0 · seed (your code) · " in dom
