"""The live progress display of a search: one rendering (HTML + plain text) and a daemon thread
that refreshes it about once a second while the user keeps running other cells.

The thread only reads (a REST GET, or the in-kernel loop's summary) and publishes an
`update_display_data` message; it takes no lock the kernel's shell needs, and it is a daemon,
so it dies with the kernel.
"""

from __future__ import annotations

import contextvars
import html
import logging
import math
import threading
import time
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

ENDED = ("stopped", "done", "failed", "paused", "removed")
_COLORS = {
    "running": "var(--jp-brand-color1, #1976d2)",
    "queued": "var(--jp-ui-font-color2, #757575)",
    "stopping": "var(--jp-warn-color1, #f57c00)",
    "paused": "var(--jp-warn-color1, #f57c00)",
    "done": "var(--jp-success-color1, #388e3c)",
    "stopped": "var(--jp-ui-font-color2, #757575)",
    "failed": "var(--jp-error-color1, #d32f2f)",
    "removed": "var(--jp-ui-font-color2, #757575)",
}


def _metric(value: Any) -> str:
    if isinstance(value, (int, float)) and math.isfinite(value):
        return f"{value:.6g}"
    return "-"


def _duration(seconds: Any) -> str:
    s = int(seconds or 0)
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m{s % 60:02d}s"
    return f"{s // 3600}h{(s % 3600) // 60:02d}m"


def _facts(summary: dict[str, Any]) -> dict[str, str]:
    counts = summary.get("counts") or {}
    best = summary.get("best") or None
    lower = summary.get("lower_is_better")
    direction = {True: "lower is better", False: "higher is better"}.get(lower, "")
    holdout = summary.get("holdout") or None
    if best:
        best_text = f"{_metric(best.get('metric'))} (node {best.get('node_id')}"
        best_text += f", {direction})" if direction else ")"
        if holdout:  # trusted scores: the number is the harness's, on rows no node saw
            best_text = f"{_metric(best.get('metric'))} holdout {holdout.get('metric') or ''}"
            best_text += f" (node {best.get('node_id')}" + (f", {direction})" if direction else ")")
    else:
        best_text = "none yet"
    steps = summary.get("steps")
    return {
        "id": str(summary.get("id", "?")),
        "status": str(summary.get("status", "?")),
        "reason": str(summary.get("stop_reason") or ""),
        "steps": f"{summary.get('steps_done', 0)}/{steps if steps is not None else '?'}",
        "best": best_text,
        "running": str(counts.get("running", 0)),
        "buggy": str(counts.get("buggy", 0)),
        "elapsed": _duration(summary.get("elapsed_s")),
        "cost": "unknown (no price for the model)"
        if summary.get("cost_usd") is None and summary.get("coder") == "openai"
        else f"${float(summary.get('cost_usd') or 0.0):.4f}",
        "journal": str(summary.get("journal_path") or summary.get("run_dir") or ""),
        "where": str(summary.get("where") or "the AIDE side panel"),
        "mode": str(summary.get("mode") or ""),
        "coder": coder_text(summary),
        "holdout": (
            f"scored by the harness on {holdout.get('rows') or '?'} held-out rows "
            f"({holdout.get('fraction')})"
            if holdout
            else ""
        ),
    }


def coder_text(summary: dict[str, Any]) -> str:
    """Which coder writes the code: the LLM's model and endpoint, or the offline baseline."""
    model = str(summary.get("model") or "?")
    if summary.get("coder") == "builtin" or model == "builtin":
        return "builtin coder (offline baseline, no LLM: set OPENAI_API_KEY for one)"
    endpoint = summary.get("endpoint")
    return f"LLM {model}" + (f" at {endpoint}" if endpoint else "")


def render_text(summary: dict[str, Any]) -> str:
    """Plain text for front ends that do not render HTML (consoles, some editors)."""
    f = _facts(summary)
    status = f["status"] + (f" ({f['reason']})" if f["reason"] else "")
    mode = f" [{f['mode']}]" if f["mode"] else ""
    lines = [
        f"AIDE search {f['id']}{mode} · {status} · steps {f['steps']} · best {f['best']}",
        f"  running {f['running']} · buggy {f['buggy']} · elapsed {f['elapsed']} · cost {f['cost']}",
        f"  coder: {f['coder']}",
        f"  tree: {f['where']}" + (f" · journal: {f['journal']}" if f["journal"] else ""),
    ]
    if f["holdout"]:
        lines.insert(1, f"  {f['holdout']}")
    return "\n".join(lines)


def render_html(summary: dict[str, Any]) -> str:
    """A compact card with a progress bar; theme variables so light and dark both work."""
    f = {k: html.escape(v) for k, v in _facts(summary).items()}
    done = int(summary.get("steps_done") or 0)
    total = int(summary.get("steps") or 0)
    pct = 0 if total <= 0 else min(100, round(100 * done / total))
    color = _COLORS.get(summary.get("status", ""), _COLORS["queued"])
    reason = f" <span style='opacity:.7'>({f['reason']})</span>" if f["reason"] else ""
    mode = f" <span style='opacity:.7'>[{f['mode']}]</span>" if f["mode"] else ""
    journal = f" · journal <code>{f['journal']}</code>" if f["journal"] else ""
    return (
        "<div class='aide-progress' style='font-family:var(--jp-ui-font-family,sans-serif);"
        "font-size:var(--jp-ui-font-size1,13px);border:1px solid var(--jp-border-color2,#ddd);"
        "border-radius:4px;padding:6px 10px;max-width:760px'>"
        f"<div><b>AIDE search</b> <code>{f['id']}</code>{mode} · "
        f"<b style='color:{color}'>{f['status']}</b>{reason}</div>"
        "<div style='background:var(--jp-layout-color3,#eee);height:6px;border-radius:3px;"
        f"margin:4px 0'><div style='width:{pct}%;height:6px;border-radius:3px;"
        f"background:{color}'></div></div>"
        f"<div>steps <b>{f['steps']}</b> · best <b>{f['best']}</b> · running {f['running']}"
        f" · buggy {f['buggy']} · elapsed {f['elapsed']} · cost {f['cost']}</div>"
        f"<div>coder: {f['coder']}</div>"
        + (f"<div>{f['holdout']}</div>" if f["holdout"] else "")
        + f"<div style='opacity:.8'>tree: {f['where']}{journal}</div></div>"
    )


def bundle(summary: dict[str, Any]) -> dict[str, str]:
    """One MIME bundle: HTML with its plain-text fallback."""
    return {"text/html": render_html(summary), "text/plain": render_text(summary)}


class Tracker:
    """Refreshes one display handle from `fetch()` until the search ends or `stop()`.

    `fetch` returns a summary dict, or raises; after `give_up_s` of failures the display says
    so and the thread ends. The thread runs in a copy of the caller's context, so in ipykernel
    its updates carry the magic cell's parent header.
    """

    def __init__(
        self,
        fetch: Callable[[], dict[str, Any]],
        handle: Any,
        *,
        interval_s: float = 1.0,
        give_up_s: float = 30.0,
    ) -> None:
        self.fetch = fetch
        self.handle = handle
        self.interval_s = interval_s
        self.give_up_s = give_up_s
        self.updates = 0
        self.last: dict[str, Any] | None = None
        self._stop = threading.Event()
        ctx = contextvars.copy_context()
        self._thread = threading.Thread(
            target=ctx.run, args=(self._run,), name="aide-progress", daemon=True
        )

    def start(self) -> Tracker:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()

    def join(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def _run(self) -> None:
        failing_since: float | None = None
        shown = ""
        while not self._stop.wait(self.interval_s):
            try:
                summary = self.fetch()
            except Exception as exc:  # server gone or busy: keep the last view, retry
                now = time.monotonic()
                failing_since = failing_since or now
                if now - failing_since < self.give_up_s:
                    continue
                summary = dict(self.last or {}, stop_reason=f"lost contact: {exc}")
                summary.setdefault("status", "unknown")
                self._show(summary)
                log.debug("progress display gave up", exc_info=True)
                return
            failing_since = None
            self.last = summary
            text = render_text(summary)
            if text != shown:
                shown = text
                self._show(summary)
            if summary.get("status") in ENDED:
                return

    def _show(self, summary: dict[str, Any]) -> None:
        try:
            self.handle.update(bundle(summary), raw=True)
            self.updates += 1
        except Exception:  # the front end went away; nothing to show it to
            log.debug("progress update failed", exc_info=True)
