"""`jupyter aide show | export`: read a journal, print its tree or write its exports."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TextIO

from aide_jupyter.journal import JournalError, load_journal, write_tree_html
from aide_jupyter.journal.export import write_best_solution
from aide_jupyter.journal.schema import verdict

JOURNAL_NAME = "journal.ipynb"


def journal_path(given: str) -> Path:
    """The journal a command means: a journal file, or a run folder holding one. A folder of run
    folders (aide-runs/) or a missing path is a JournalError naming what to give instead."""
    path = Path(given).expanduser()
    if not path.exists():
        raise JournalError(path, "no such file or folder; give a run folder (aide-runs/<id>)")
    if not path.is_dir():
        if path.suffix.lower() != ".ipynb":
            raise JournalError(path, f"not a journal; give a run folder or its {JOURNAL_NAME}")
        return path
    if (path / JOURNAL_NAME).is_file():
        return path / JOURNAL_NAME
    runs = sorted(
        (p for p in path.iterdir() if (p / JOURNAL_NAME).is_file()),
        key=lambda p: (p / JOURNAL_NAME).stat().st_mtime,
    )
    if runs:
        noun = "a run folder" if len(runs) == 1 else f"{len(runs)} run folders"
        hint = f"{noun} here, the newest {runs[-1]}: give one of them"
        raise JournalError(path, hint)
    raise JournalError(path, f"a folder without {JOURNAL_NAME}; give a run folder (aide-runs/<id>)")


def show(path: Path, out: TextIO) -> int:
    info, journal = load_journal(path)
    best = journal.best_node()
    direction = {True: "lower is better", False: "higher is better"}.get(
        journal.lower_is_better,
        "direction not set",  # type: ignore[arg-type]
    )
    totals = journal.totals()
    out.write(f"search {info.id} · {info.status} · {len(journal)} nodes · {direction}\n")
    if info.holdout:
        out.write(
            f"holdout: {info.holdout.get('fraction')} of the rows "
            f"({info.holdout.get('rows') or '?'} rows, {info.holdout.get('metric') or '?'}); "
            "metrics are the harness's scores, '!' marks a report far better than its score\n"
        )
    out.write(f"goal: {info.goal.strip().splitlines()[0] if info.goal.strip() else '-'}\n")
    cost = "unknown" if totals["cost_usd"] is None else f"${totals['cost_usd']:.4f}"
    out.write(
        f"tokens {int(totals['tokens_in'] + totals['tokens_out'])} · "
        f"cost {cost} · exec {totals['exec_time_s']:.1f} s\n\n"
    )
    rows = [("", "id", "step", "stage", "parent", "status", "metric", "time")]
    for node in journal.nodes:
        metric = "-" if node.metric is None else f"{node.metric:.6g}"
        if node.metric_source == "harness":  # holdout score, then the node's own number
            own = "-" if node.reported_metric is None else f"{node.reported_metric:.6g}"
            metric += f" (reported {own}{', !' if node.metric_flag else ''})"
        took = "-" if node.exec_time_s is None else f"{node.exec_time_s:.1f}s"
        mark = "*" if best is not None and node.id == best.id else ""
        rows.append(
            (
                mark,
                node.id,
                str(node.step),
                node.stage,
                node.parent_id or "-",
                f"{node.status}/{verdict(node)}",
                metric,
                took,
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for row in rows:
        out.write("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() + "\n")
    out.write(f"\nbest: {best.id} (metric {best.metric:.6g})\n" if best else "\nbest: none yet\n")
    return 0


def export(path: Path, html: str | None, best: str | None) -> int:
    info, journal = load_journal(path)
    target = Path(html) if html else path.with_name("tree.html")
    write_tree_html(target, info, journal)
    print(f"wrote {target}")
    if best:
        written = write_best_solution(Path(best).parent, info, journal)
        if written is None:
            print("no good node: no best solution written", file=sys.stderr)
        else:
            written.replace(best)
            print(f"wrote {best}")
    return 0
