"""best_solution.py and tree.html: content, escaping, and a real render in headless Chromium."""

from __future__ import annotations

import html as html_lib
import json
import os
import random
import re
from pathlib import Path

import pytest
from support_journal import CHROMIUM, chromium_render, make_info, make_journal

from aide_jupyter.journal import write_best_solution, write_tree_html
from aide_jupyter.journal.export import tree_html
from aide_jupyter.search.journal import Journal, Node

HOSTILE = "x = '</script><script>window.pwned=1</script><!--'\nprint('&amp; \u2028 <b>')\n"


def _journal() -> Journal:
    journal = make_journal(12)
    journal.add(
        Node(
            id="run",
            step=12,
            stage="improve",
            parent_id="n0002",
            status="running",
            code=HOSTILE,
            plan="<img src=x onerror=alert(1)>",
        )
    )
    journal.add(Node(id="wait", step=13, stage="draft", status="queued"))
    return journal


def test_best_solution_header_and_code(tmp_path: Path) -> None:
    journal = make_journal(9)
    best = journal.best_node()
    assert best is not None
    path = write_best_solution(tmp_path, make_info(goal="predict price\nRMSE of log"), journal)
    assert path == tmp_path / "best_solution.py"
    text = path.read_text()
    assert "AIDE search s-test" in text and f"Node {best.id}" in text
    assert f"Metric: {best.metric:.6g} (lower is better" in text and "#   RMSE of log" in text
    assert text.endswith(best.code)
    compile(text, "best_solution.py", "exec")
    assert write_best_solution(tmp_path / "none", make_info(), Journal()) is None


def test_tree_html_is_self_contained_and_escaped() -> None:
    html = tree_html(make_info(config={"api_key": "sk-secret"}), _journal())
    assert html.count("</script>") == 2  # the data block and the page script, nothing from nodes
    assert "sk-secret" not in html and "<img src=x" not in html
    assert not re.search(r"(src|href)=\"(https?:)?//", html)
    data = html.split('<script type="application/json" id="aide-data">')[1].split("</script>")[0]
    parsed = json.loads(data)
    assert parsed["nodes"][12]["code"] == HOSTILE and len(parsed["nodes"]) == 14
    assert parsed["nodes"][parsed["best"]]["id"] == make_journal(12).best_node().id


@pytest.mark.skipif(
    CHROMIUM is None and not os.environ.get("AIDE_REQUIRE_CHROMIUM"),
    reason="chromium not installed (make test installs it and requires it)",
)
def test_tree_html_renders_in_chromium(tmp_path: Path) -> None:
    journal = _journal()
    page = write_tree_html(tmp_path / "tree.html", make_info(goal="goal </script> é"), journal)
    dom, console = chromium_render(page)
    assert console == []
    assert len(re.findall(r'<g class="node ', dom)) == len(journal)
    best = journal.best_node()
    assert best is not None
    assert re.search(r'<g class="node good onbest best selected"', dom)  # script ran, best shown
    assert f"Node {best.id} · {best.stage}" in dom
    assert len(re.findall(r'class="edge best"', dom)) == len(journal.best_path())  # from the task
    assert 'class="node running' in dom and 'class="node queued' in dom
    assert "window.pwned" not in dom.split("aide-data")[0]


@pytest.mark.skipif(
    CHROMIUM is None and not os.environ.get("AIDE_REQUIRE_CHROMIUM"),
    reason="chromium not installed (make test installs it and requires it)",
)
def test_empty_tree_renders(tmp_path: Path) -> None:
    dom, console = chromium_render(write_tree_html(tmp_path / "t.html", make_info(), Journal()))
    assert console == [] and "no metric yet" in dom


def _tree(n: int, seed: int = 0) -> Journal:
    """A search-like tree: 5 drafts, then children of recent nodes, a quarter buggy."""
    rng = random.Random(seed)
    journal = Journal(lower_is_better=True)
    for i in range(n):
        parent = None if i < 5 else rng.choice(journal.nodes[max(0, i - 25) : i]).id
        buggy = rng.random() < 0.25
        journal.add(
            Node(
                id=f"n{i:04d}",
                step=i,
                stage="draft" if parent is None else "improve",
                parent_id=parent,
                code="x = 1\n",
                status="done",
                metric=None if buggy else 1 / (i + 2) + rng.random() * 0.2,
                is_buggy=buggy,
                exit_cause="ok",
            )
        )
    return journal


# Run in the page after its own script: where every node and label ended up, in pixels.
PROBE = """<script>
setTimeout(function () {
  var pane = document.getElementById("tree-pane").getBoundingClientRect();
  var out = {pane: [pane.left, pane.top, pane.right, pane.bottom], outside: [], small: [], shown: 0,
             layout: document.getElementById("tree").getAttribute("data-layout"), best: null};
  document.querySelectorAll("#tree g.node, #tree g.root").forEach(function (g) {
    var r = g.querySelector("circle, rect").getBoundingClientRect();
    if (r.left < pane.left || r.right > pane.right || r.top < pane.top || r.bottom > pane.bottom) {
      out.outside.push(g.getAttribute("data-idx") || "root");
    }
    var t = g.querySelector("text");
    if (getComputedStyle(t).display !== "none") {
      out.shown += 1;
      var px = t.getBoundingClientRect().height;
      if (px < 10) { out.small.push(px); }
      var b = t.getBoundingClientRect();
      if (b.left < pane.left || b.right > pane.right || b.bottom > pane.bottom) { out.outside.push("label"); }
      if (g.classList.contains("best")) { out.best = t.textContent; }
    }
  });
  document.body.setAttribute("data-geom", JSON.stringify(out));
}, 0);
</script></body>"""


@pytest.mark.skipif(
    CHROMIUM is None and not os.environ.get("AIDE_REQUIRE_CHROMIUM"),
    reason="chromium not installed (make test installs it and requires it)",
)
@pytest.mark.parametrize(
    ("n", "layout"), [(1, "top-down"), (8, "top-down"), (40, "top-down"), (1000, "radial")]
)
def test_tree_fits_the_window_with_readable_labels(tmp_path: Path, n: int, layout: str) -> None:
    journal = _tree(n)
    page = write_tree_html(tmp_path / "tree.html", make_info(), journal)
    page.write_text(page.read_text().replace("</body>", PROBE))
    dom, console = chromium_render(page, window=(1280, 800))
    assert console == []
    geom = json.loads(html_lib.unescape(re.search(r'data-geom="([^"]*)"', dom).group(1)))  # type: ignore[union-attr]
    assert geom["layout"] == layout
    assert geom["outside"] == []  # root, best and every node (and every shown label) in view
    assert geom["small"] == [] and geom["shown"] >= min(n + 1, 2)
    best = journal.best_node()
    assert best is not None and geom["best"] == f"#{best.step}"
