"""Inline SVG for tree.html: the search tree and the metric-by-step chart.

Drawn on the Python side from small per-node snapshots (`NodeView`), so the page needs no layout
library and the writer can redraw it from cached snapshots without touching live nodes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from html import escape

from aide_jupyter.search.journal import Node, better

X_GAP, Y_GAP, PAD = 34.0, 64.0, 28.0


@dataclass(frozen=True)
class NodeView:
    """What the drawing and the best-node choice need from one node (immutable snapshot)."""

    id: str
    parent_id: str | None
    step: int
    stage: str
    status: str
    metric: float | None
    is_good: bool
    verdict: str
    code: str
    reported: float | None = None  # the node's own number when a holdout scored it
    flagged: bool = False  # its own number is far better than its holdout score

    @classmethod
    def of(cls, node: Node) -> NodeView:
        metric = node.metric if node.metric is not None and not math.isnan(node.metric) else None
        good = node.is_good and metric is not None
        if good:
            verdict = "good"
        elif node.is_finished:
            verdict = "buggy"
        else:
            verdict = node.status if node.status in ("running", "queued") else "queued"
        return cls(
            node.id,
            node.parent_id,
            node.step,
            node.stage,
            node.status,
            metric,
            good,
            verdict,
            node.code,
            node.reported_metric if node.metric_source == "harness" else None,
            bool(node.metric_flag),
        )


def _finite(value: float | None) -> bool:
    return value is not None and math.isfinite(value)


def best_index(views: list[NodeView], lower_is_better: bool | None) -> int | None:
    """Same rule as `Journal.best_node`: best good metric, the earliest wins a tie."""
    lower = bool(lower_is_better)
    best: int | None = None
    for i, view in enumerate(views):
        if not view.is_good or view.metric is None:
            continue
        if best is None or better(view.metric, views[best].metric, lower):  # type: ignore[arg-type]
            best = i
    return best


def best_path(views: list[NodeView], best: int | None) -> set[int]:
    if best is None:
        return set()
    index = {v.id: i for i, v in enumerate(views)}
    path, current = set(), best
    while current is not None and current not in path:
        path.add(current)
        parent = views[current].parent_id
        current = index.get(parent) if parent is not None else None
    return path


def layout(views: list[NodeView]) -> list[tuple[float, int]]:
    """Tidy tree in grid units: (column, depth). Depth 0 is the task (the drafts' common root,
    drawn as its own node), leaves take consecutive columns, a parent sits over the middle of its
    children. The page turns units into pixels for its window (fit, pan, zoom)."""
    index = {v.id: i for i, v in enumerate(views)}
    children: dict[int | None, list[int]] = {}
    for i, v in enumerate(views):
        parent = index.get(v.parent_id) if v.parent_id is not None else None
        children.setdefault(parent, []).append(i)
    pos: list[tuple[float, int]] = [(0.0, 1)] * len(views)
    column = 0
    stack: list[tuple[int, int, bool]] = [(r, 1, False) for r in reversed(children.get(None, []))]
    seen: set[int] = set()
    while stack:
        i, depth, done = stack.pop()
        kids = [k for k in children.get(i, []) if k not in seen]
        if done or not kids:
            seen.add(i)
            if kids and done:
                xs = [pos[k][0] for k in kids]
                x = (min(xs) + max(xs)) / 2
            elif children.get(i) and done:
                x = pos[children[i][0]][0]
            else:
                x, column = float(column), column + 1
            pos[i] = (x, depth)
            continue
        stack.append((i, depth, True))
        stack.extend((k, depth + 1, False) for k in reversed(kids))
    return pos


def _root_column(views: list[NodeView], pos: list[tuple[float, int]]) -> float:
    drafts = [pos[i][0] for i, v in enumerate(views) if pos[i][1] == 1]
    return (min(drafts) + max(drafts)) / 2 if drafts else 0.0


def _quality(views: list[NodeView], lower: bool) -> dict[int, float]:
    """0 (worst good node) .. 1 (best), for size and shade."""
    good = {i: v.metric for i, v in enumerate(views) if v.is_good and _finite(v.metric)}
    if not good:
        return {}
    lo, hi = min(good.values()), max(good.values())
    span = hi - lo
    if span <= 0:
        return dict.fromkeys(good, 1.0)
    return {i: ((hi - m) if lower else (m - lo)) / span for i, m in good.items()}  # type: ignore[operator]


def tree_svg(views: list[NodeView], lower_is_better: bool | None, best: int | None) -> str:
    """The tree as SVG in grid units (`data-col`, `data-depth`); placed at X_GAP/Y_GAP so it
    reads without the script, which then fits it to the window and adds pan and zoom."""
    pos = layout(views)
    path = best_path(views, best)
    quality = _quality(views, bool(lower_is_better))
    index = {v.id: i for i, v in enumerate(views)}
    root_col = _root_column(views, pos)

    def xy(col: float, depth: int) -> tuple[float, float]:
        return PAD + col * X_GAP, PAD + depth * Y_GAP

    cols = max((c for c, _ in pos), default=0.0) + 1
    depth = max((d for _, d in pos), default=0) + 1
    width, height = PAD * 2 + (cols - 1) * X_GAP, PAD * 2 + (depth - 1) * Y_GAP
    out = [
        f'<svg id="tree" xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" '
        f'height="{height:.0f}" viewBox="0 0 {width:.0f} {height:.0f}" role="img" '
        f'aria-label="search tree" data-cols="{cols:g}" data-depth="{depth}">'
    ]
    rx, ry = xy(root_col, 0)
    for i, v in enumerate(views):
        parent = index.get(v.parent_id) if v.parent_id is not None else None
        (x2, y2) = xy(*pos[i])
        if parent is None:
            x1, y1, cls, frm = rx, ry, "edge" + (" best" if i in path else ""), "root"
        else:
            (x1, y1) = xy(*pos[parent])
            cls = "edge best" if i in path and parent in path else "edge"
            frm = str(parent)
        out.append(
            f'<path class="{cls}" data-from="{frm}" data-to="{i}" d="M{x1:.1f},{y1:.1f} '
            f'C{x1:.1f},{(y1 + y2) / 2:.1f} {x2:.1f},{(y1 + y2) / 2:.1f} {x2:.1f},{y2:.1f}"/>'
        )
    out.append(
        f'<g class="root" data-col="{root_col:g}" data-depth="0" '
        f'transform="translate({rx:.1f},{ry:.1f})"><title>the task: drafts start here</title>'
        f'<rect x="-7" y="-7" width="14" height="14" rx="3"/>'
        f'<text class="label" dy="-12">task</text></g>'
    )
    for i, v in enumerate(views):
        x, y = xy(*pos[i])
        q = quality.get(i)
        radius = 7.0 + 6.0 * q if q is not None else 7.0
        style = f' style="fill:hsl(140,55%,{68 - 36 * q:.0f}%)"' if q is not None else ""
        classes = f"node {v.verdict}" + (" onbest" if i in path else "")
        classes += " best" if i == best else ""
        classes += " flagged" if v.flagged else ""
        metric = f"{v.metric:.6g}" if v.metric is not None else "no metric"
        if v.reported is not None:
            metric = f"holdout {metric} · reported {v.reported:.6g}"
        if v.flagged:
            metric += " · ⚠ reported far better than holdout"
        out.append(
            f'<g class="{classes}" data-idx="{i}" data-col="{pos[i][0]:g}" '
            f'data-depth="{pos[i][1]}" data-r="{radius:.1f}" tabindex="0" '
            f'transform="translate({x:.1f},{y:.1f})">'
            f"<title>#{v.step} · {escape(v.id)} · {escape(v.stage)} · {escape(v.verdict)} · "
            f"{metric}</title>"
            f'<circle r="{radius:.1f}"{style}/>'
            f'<text class="label" dy="{radius + 12:.1f}">#{v.step}</text></g>'
        )
    out.append("</svg>")
    return "".join(out)


def chart_svg(
    views: list[NodeView], lower_is_better: bool | None, w: int = 480, h: int = 190
) -> str:
    """Metric of each good node by step, and the best-so-far line."""
    pts = [(i, v.step, v.metric) for i, v in enumerate(views) if v.is_good and _finite(v.metric)]
    head = (
        f'<svg id="chart" xmlns="http://www.w3.org/2000/svg" width="100%" height="{h}" '
        f'viewBox="0 0 {w} {h}" role="img" aria-label="metric by step">'
    )
    if not pts:
        return head + f'<text x="{w / 2}" y="{h / 2}" class="empty">no metric yet</text></svg>'
    left, right, top, bottom = 62.0, 30.0, 14.0, 34.0
    steps = [s for _, s, _ in pts]
    metrics = [m for _, _, m in pts]
    s0, s1 = min(steps), max(steps)
    m0, m1 = min(metrics), max(metrics)  # type: ignore[type-var]
    s_span, m_span = (s1 - s0) or 1, (m1 - m0) or 1.0  # type: ignore[operator]

    inset = 8.0  # points keep off the axes and their labels

    def sx(step: int) -> float:
        return left + inset + (step - s0) / s_span * (w - left - right - inset)

    def sy(metric: float) -> float:
        return top + (1 - (metric - m0) / m_span) * (h - top - bottom - inset)  # type: ignore[operator]

    lower = bool(lower_is_better)
    line, best_so_far = [], None
    for _, step, metric in sorted(pts, key=lambda p: p[1]):
        if best_so_far is None or better(metric, best_so_far, lower):  # type: ignore[arg-type]
            best_so_far = metric
        line.append(f"{sx(step):.1f},{sy(best_so_far):.1f}")  # type: ignore[arg-type]
    out = [
        head,
        f'<line class="axis" x1="{left}" y1="{h - bottom}" x2="{w - right}" y2="{h - bottom}"/>',
        f'<line class="axis" x1="{left}" y1="{top}" x2="{left}" y2="{h - bottom}"/>',
        f'<text class="tick" x="{left - 5}" y="{top + 4}" text-anchor="end">{m1:.4g}</text>',
        f'<text class="tick" x="{left - 5}" y="{h - bottom - inset + 4}" text-anchor="end">'
        f"{m0:.4g}</text>",
        f'<text class="tick" x="{left + inset}" y="{h - bottom + 14}" text-anchor="middle">'
        f"{s0}</text>",
        f'<text class="tick" x="{w - right}" y="{h - bottom + 14}" text-anchor="middle">{s1}</text>',
        f'<text class="axis-title" x="{(left + w - right) / 2}" y="{h - 4}" '
        'text-anchor="middle">step</text>',
        f'<text class="axis-title" x="12" y="{(top + h - bottom) / 2}" text-anchor="middle" '
        f'transform="rotate(-90 12 {(top + h - bottom) / 2})">metric</text>',
        f'<polyline class="bestline" points="{" ".join(line)}"/>',
    ]
    for i, step, metric in pts:
        out.append(
            f'<circle class="pt" data-idx="{i}" cx="{sx(step):.1f}" cy="{sy(metric):.1f}" '  # type: ignore[arg-type]
            f'r="3.5"><title>step {step}: {metric:.6g}</title></circle>'
        )
    out.append("</svg>")
    return "".join(out)
