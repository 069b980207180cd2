"""Exports beside the journal: `best_solution.py` and a self-contained `tree.html`.

tree.html has no external resources (a CSP forbids them): CSS, JS and SVG are inline and the node
data is JSON in a `<script type="application/json">` with `<`, `>` and `&` escaped, so node code
containing `</script>` cannot break out of it.
"""

from __future__ import annotations

import json
import logging
import os
import re
import time
from functools import lru_cache
from html import escape
from importlib.resources import files
from pathlib import Path
from typing import Any

from aide_jupyter.journal.atomic import atomic_write
from aide_jupyter.journal.schema import finite_or_none, scrub_secrets, to_json
from aide_jupyter.journal.treeview import NodeView, best_index, chart_svg, tree_svg
from aide_jupyter.search.journal import Journal, Node, SearchInfo

log = logging.getLogger(__name__)

BEST_SOLUTION = "best_solution.py"
TREE_HTML = "tree.html"
_SLOT = re.compile(r"@@([A-Z]+)@@")
_JS_UNSAFE = {
    "<": "\\u003c",
    ">": "\\u003e",
    "&": "\\u0026",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
}
_JS_UNSAFE_RE = re.compile("[<>&\u2028\u2029]")


@lru_cache(maxsize=1)
def _template() -> str:
    return (files("aide_jupyter.journal") / "tree_template.html").read_text(encoding="utf-8")


def script_json(value: Any) -> str:
    """JSON that is safe inside a <script> element (no `</script>`, no `<!--`)."""
    text = json.dumps(to_json(value), ensure_ascii=False, allow_nan=False)
    return _JS_UNSAFE_RE.sub(lambda m: _JS_UNSAFE[m[0]], text)


def node_json(node: Node, view: NodeView | None = None) -> str:
    """One node's entry in the page's data (cached per node by the writer)."""
    view = view or NodeView.of(node)
    return script_json(
        {
            "id": node.id,
            "parent_id": node.parent_id,
            "step": node.step,
            "stage": node.stage,
            "status": node.status,
            "verdict": view.verdict,
            "metric": finite_or_none(node.metric),
            "metric_source": node.metric_source,
            "reported_metric": finite_or_none(node.reported_metric),
            "metric_flag": node.metric_flag,
            "holdout_error": node.holdout_error,
            "exec_time_s": finite_or_none(node.exec_time_s),
            "plan": node.plan,
            "code": node.code,
            "output": node.output,
            "traceback": node.exc_traceback,
            "exc_type": node.exc_type,
            "error": node.error,
            "analysis": node.analysis,
        }
    )


def render_tree_html(
    info: SearchInfo, views: list[NodeView], node_jsons: list[str], lower_is_better: bool | None
) -> str:
    """The whole page from per-node snapshots and their (cached) JSON."""
    best = best_index(views, lower_is_better)
    good = sum(v.is_good for v in views)
    buggy = sum(v.verdict == "buggy" for v in views)
    direction = {True: "lower is better", False: "higher is better"}.get(
        lower_is_better,
        "direction not set",  # type: ignore[arg-type]
    )
    best_text = "none yet"
    if best is not None:
        best_text = f"{views[best].metric:.6g} (node {views[best].id})"
    stats = [
        f"search {info.id}",
        f"status {info.status}",
        f"{len(views)} nodes",
        f"{good} good",
        f"{buggy} buggy",
        f"best {best_text}",
        direction,
    ]
    if info.holdout:
        flagged = sum(1 for v in views if v.flagged)
        stats.append(
            f"holdout {info.holdout.get('fraction')} ({info.holdout.get('rows') or '?'} rows, "
            f"{info.holdout.get('metric') or 'metric not set'}): scores are the harness's"
            + (f", {flagged} flagged" if flagged else "")
        )
    search = {k: v for k, v in info.to_dict().items() if k != "config"}
    search["config"] = scrub_secrets(info.config)
    data = (
        f'{{"search":{script_json(search)},"best":{json.dumps(best)},'
        f'"nodes":[{",".join(node_jsons)}]}}'
    )
    slots = {
        "TITLE": escape(f"AIDE search {info.id}"),
        "GOAL": escape(info.goal),
        "STATS": "".join(f"<span>{escape(s)}</span>" for s in stats),
        "TREE": tree_svg(views, lower_is_better, best),
        "CHART": chart_svg(views, lower_is_better),
        "DATA": data,
    }
    return _SLOT.sub(lambda m: slots[m[1]], _template())


def tree_html(info: SearchInfo, journal: Journal) -> str:
    views = [NodeView.of(n) for n in journal.nodes]
    datas = [node_json(n, v) for n, v in zip(journal.nodes, views, strict=True)]
    return render_tree_html(info, views, datas, journal.lower_is_better)


def write_tree_html(path: str | os.PathLike[str], info: SearchInfo, journal: Journal) -> Path:
    target = Path(path)
    atomic_write(target, tree_html(info, journal))
    return target


def _comment(text: str) -> list[str]:
    return [f"#   {line}".rstrip() for line in text.strip().splitlines()] or ["#"]


def best_solution_text(info: SearchInfo, node: Node, lower_is_better: bool | None) -> str:
    """The best node's script with a header naming the search, node and metric."""
    direction = {True: "lower is better", False: "higher is better"}.get(
        lower_is_better,
        "direction not set",  # type: ignore[arg-type]
    )
    stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime())
    header = [
        f"# Best solution of AIDE search {info.id} (written {stamp}; rewritten as the search goes)",
        "# Goal:",
        *_comment(info.goal),
        f"# Node {node.id}: step {node.step}, stage {node.stage}, "
        f"parent {node.parent_id or 'none'}",
        f"# Metric: {node.metric:.6g} ({direction}, {node.metric_source or 'source unknown'})",
    ]
    if node.metric_source == "harness":
        own = "none" if node.reported_metric is None else f"{node.reported_metric:.6g}"
        header.append(f"# (scored on the holdout by the harness; the script reported {own})")
    header.append("")
    return "\n".join(header) + "\n" + node.code + ("" if node.code.endswith("\n") else "\n")


def write_best_solution(
    run_dir: str | os.PathLike[str], info: SearchInfo, journal: Journal
) -> Path | None:
    """Write `best_solution.py`; None (and nothing written) while no node is good."""
    best = journal.best_node()
    if best is None:
        return None
    target = Path(run_dir) / BEST_SOLUTION
    atomic_write(target, best_solution_text(info, best, journal.lower_is_better))
    return target
