"""The journal notebook schema (version 1): one node as nbformat cells, and back.

Per node: a markdown cell (readable summary; its `aide.node` metadata holds every Node field except
the bulky code, output and traceback) and the node's code cells (split at `# %%`), the last one
carrying the output as real stream/error outputs. Together they rebuild the Node exactly.
"""

from __future__ import annotations

import hashlib
import math
import re
from typing import Any

from aide_jupyter.search.journal import Node, SearchInfo

SCHEMA_VERSION = 1
NODE_TAG = "aide-node"
BULKY = ("code", "output", "exc_traceback")

_MARK = re.compile(r"^# ?%%.*$", re.MULTILINE)
_SECRET_RE = re.compile(
    r"(api[_\-]?key|apikey|access[_\-]?key|secret|password|passwd|credential|private[_\-]?key|token$|^auth$|"
    r"authorization|cookie)",
    re.IGNORECASE,
)
_SECRET_VALUE_RE = re.compile(r"^(sk-|sk_live_|ghp_|hf_|xox[bp]-)[A-Za-z0-9_\-]{12,}$")
_FLOAT_KEY = "__float__"


# ---- plain-JSON helpers -------------------------------------------------------------------------


def to_json(value: Any) -> Any:
    """JSON-safe copy: non-finite floats become {"__float__": "nan"} (JSON.parse rejects NaN),
    unknown objects become their str()."""
    if isinstance(value, bool) or value is None or isinstance(value, (int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else {_FLOAT_KEY: repr(value)}
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_json(v) for v in value]
    return str(value)


def from_json(value: Any) -> Any:
    """Inverse of :func:`to_json` for the float markers."""
    if isinstance(value, dict):
        if len(value) == 1 and _FLOAT_KEY in value:
            return float(value[_FLOAT_KEY])
        return {k: from_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [from_json(v) for v in value]
    return value


def finite_or_none(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def is_secret_key(key: str) -> bool:
    return bool(_SECRET_RE.search(key))


def scrub_secrets(value: Any) -> Any:
    """Drop dict entries whose key looks like a credential, at any depth, and values that look
    like API keys: the journal is shared, committed and attached to bug reports."""
    if isinstance(value, dict):
        return {
            k: scrub_secrets(v)
            for k, v in value.items()
            if not is_secret_key(str(k)) and not (isinstance(v, str) and _SECRET_VALUE_RE.match(v))
        }
    if isinstance(value, (list, tuple)):
        return [
            scrub_secrets(v)
            for v in value
            if not (isinstance(v, str) and _SECRET_VALUE_RE.match(v))
        ]
    return value


def search_meta(info: SearchInfo) -> dict[str, Any]:
    data = info.to_dict()
    data["config"] = scrub_secrets(data.get("config") or {})
    return to_json(data)


def search_from_meta(meta: dict[str, Any]) -> SearchInfo:
    return SearchInfo.from_dict(from_json(meta))


# ---- code <-> cells -----------------------------------------------------------------------------


def split_code(code: str) -> list[tuple[str, int, int]]:
    """Split at `# %%` lines like `split_cells`, but losslessly: (source, leading newlines,
    trailing newlines) per cell, so that joining gives back the exact script."""
    if not code:
        return []
    starts = [m.start() for m in _MARK.finditer(code)]
    if not starts or code[: starts[0]].strip("\n") != "":
        starts = [0, *starts]
    else:  # blank lines before the first marker go with the first cell
        starts[0] = 0
    parts: list[tuple[str, int, int]] = []
    for a, b in zip(starts, [*starts[1:], len(code)], strict=True):
        piece = code[a:b]
        body = piece.lstrip("\n")
        lead = len(piece) - len(body)
        source = body.rstrip("\n")
        parts.append((source, lead, len(body) - len(source)))
    return parts


def join_code(parts: list[tuple[str, int, int]]) -> str:
    return "".join("\n" * lead + src + "\n" * trail for src, lead, trail in parts)


def lines(text: str) -> list[str]:
    """nbformat's multiline-string form (keeps line ends; joining gives the text back)."""
    return text.splitlines(keepends=True)


def joined(source: str | list[str]) -> str:
    return source if isinstance(source, str) else "".join(source)


# ---- node <-> cells -----------------------------------------------------------------------------


def cell_id(node_id: str, suffix: str) -> str:
    digest = hashlib.sha1(node_id.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    return f"n{digest}-{suffix}"


def _summary_meta(node: Node) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "node_id": node.id,
        "parent_id": node.parent_id,
        "step": node.step,
        "stage": node.stage,
        "status": node.status,
        "metric": finite_or_none(node.metric),
        "lower_is_better": node.lower_is_better,
        "is_buggy": node.is_buggy,
        "exec_time_s": finite_or_none(node.exec_time_s),
    }
    if node.metric_source == "harness":  # trusted scores: both numbers, side by side
        meta["metric_source"] = "harness"
        meta["reported_metric"] = finite_or_none(node.reported_metric)
        meta["metric_flag"] = node.metric_flag
    return meta


def _fmt_metric(node: Node) -> str:
    if node.metric is None:
        return "none"
    direction = {True: " (lower is better)", False: " (higher is better)"}.get(
        node.lower_is_better,
        "",  # type: ignore[arg-type]
    )
    text = f"{node.metric:.6g}{direction}"
    if node.metric_source == "harness":
        own = "none" if node.reported_metric is None else f"{node.reported_metric:.6g}"
        text = f"{text} on the holdout · **reported** {own}"
    return text


def verdict(node: Node) -> str:
    if node.is_good:
        return "good"
    if node.is_finished:
        return "buggy"
    return node.status


def markdown_source(node: Node) -> str:
    """The human half of the node's markdown cell; the loader never parses it."""
    parent = f"`{node.parent_id}`" if node.parent_id else "none (draft)"
    stage = node.stage
    if node.stage == "seed":  # the root the user wrote: say so wherever the journal is read
        parent, stage = "none (the root)", "seed · the user's own code"
    out = [
        f"### Node `{node.id}` · {stage} · step {node.step}",
        "",
        f"**parent** {parent} · **status** {node.status} ({verdict(node)}) · "
        f"**metric** {_fmt_metric(node)}",
    ]
    if node.metric_flag:
        out += ["", f"> ⚠ {node.metric_flag}"]
    if node.holdout_error:
        out += ["", f"> holdout scoring failed: {node.holdout_error}"]
    if node.exec_time_s is not None:
        out[-1] += f" · **time** {node.exec_time_s:.2f} s"
    if node.instruction:
        out += ["", "#### Instruction", "", node.instruction]
    if node.plan:
        out += ["", "#### Plan", "", node.plan]
    if node.analysis:
        out += ["", "#### Review", "", node.analysis]
    if node.exc_type or node.error:
        out += ["", "#### Errors", ""]
        if node.exc_type:
            out.append(f"- exception `{node.exc_type}` (exit cause: {node.exit_cause})")
        if node.error:
            out.append(f"- {node.error}")
    return "\n".join(out)


def node_cells(node: Node) -> list[dict[str, Any]]:
    """The node as nbformat v4 cell dicts (sources as line lists, like nbformat writes them)."""
    summary = _summary_meta(node)
    fields = {k: v for k, v in node.to_dict().items() if k not in BULKY}
    md_meta = {
        "kind": "node",
        **summary,
        "has_traceback": node.exc_traceback is not None,
        "node": to_json(fields),
    }
    cells: list[dict[str, Any]] = [
        {
            "cell_type": "markdown",
            "id": cell_id(node.id, "md"),
            "metadata": {"aide": md_meta, "tags": [NODE_TAG]},
            "source": lines(markdown_source(node)),
        }
    ]
    parts = split_code(node.code)
    has_output = bool(node.output) or node.exc_type is not None or node.exc_traceback is not None
    if not parts and has_output:
        parts = [("", 0, 0)]
    for i, (source, lead, trail) in enumerate(parts):
        meta: dict[str, Any] = {"kind": "code", **summary, "part": i, "parts": len(parts)}
        if lead or trail != 1:
            meta["newlines"] = [lead, trail]
        cells.append(
            {
                "cell_type": "code",
                "execution_count": None,
                "id": cell_id(node.id, f"c{i}"),
                "metadata": {"aide": meta, "tags": [NODE_TAG]},
                "outputs": _outputs(node) if i == len(parts) - 1 else [],
                "source": lines(source),
            }
        )
    return cells


def _outputs(node: Node) -> list[dict[str, Any]]:
    outs: list[dict[str, Any]] = []
    if node.output:
        outs.append({"output_type": "stream", "name": "stdout", "text": lines(node.output)})
    if node.exc_type is not None or node.exc_traceback is not None:
        tb = node.exc_traceback
        tail = tb.rstrip("\n").rsplit("\n", 1)[-1] if tb else ""
        prefix = f"{node.exc_type}: "
        outs.append(
            {
                "output_type": "error",
                "ename": node.exc_type or "",
                "evalue": tail[len(prefix) :] if tail.startswith(prefix) else tail,
                "traceback": tb.split("\n") if tb is not None else [],
            }
        )
    return outs


class NodeRecord:
    """A node being rebuilt from its cells while loading."""

    def __init__(self, md_meta: dict[str, Any]) -> None:
        self.meta = md_meta
        self.code_parts: list[tuple[int, str, int, int]] = []
        self.output: list[str] = []
        self.traceback: list[str] | None = None

    def add_code_cell(self, cell: dict[str, Any]) -> None:
        meta = cell["metadata"]["aide"]
        lead, trail = meta.get("newlines", (0, 1))
        part = int(meta.get("part", len(self.code_parts)))
        self.code_parts.append((part, joined(cell.get("source", "")), int(lead), int(trail)))
        for out in cell.get("outputs", []):
            kind = out.get("output_type")
            if kind == "stream":
                self.output.append(joined(out.get("text", "")))
            elif kind == "error":
                self.traceback = list(out.get("traceback", []))

    def build(self) -> Node:
        fields = from_json(self.meta["node"])
        parts = sorted(self.code_parts, key=lambda p: p[0])
        fields["code"] = join_code([(src, lead, trail) for _, src, lead, trail in parts])
        fields["output"] = "".join(self.output)
        has_tb = self.meta.get("has_traceback") and self.traceback is not None
        fields["exc_traceback"] = "\n".join(self.traceback or []) if has_tb else None
        return Node.from_dict(fields)
