"""Parse and check request bodies with what the server alone knows (never asking the kernel).

Why no kernel round trip: the %aide magic posts from inside a running cell of the very kernel the
search will use and waits for the answer, so anything that needs the kernel must happen later, in
the search's own task.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aide_jupyter.search import holdout as holdout_metrics
from aide_jupyter.search.config import POLICIES
from aide_jupyter.search.seeding import MAX_SEED_CHARS
from aide_jupyter.search_options import (
    FIELDS,
    MAX_GOAL_CHARS,
    MAX_HOLDOUT,
    OPTIONS,
    SECONDS,
    WHOLE,
    SearchOptions,
    option,
)

from .errors import BadRequest, TooLarge

ModelCheck = Callable[[str], str]  # model name -> problem, or "" when usable
MAX_BODY_BYTES = 1_000_000
MAX_CODE_CHARS = 1_000_000
CREATE_FIELDS = ("kernel_id", "notebook_path", "goal", *FIELDS, "seed")
SEED_FIELDS = ("code", "cell_id")


@dataclass(kw_only=True)
class CreateRequest(SearchOptions):
    """A validated `POST /aide/searches` body; paths are resolved inside the server root."""

    kernel_id: str
    goal: str
    notebook_path: str | None = None
    notebook_dir: Path | None = None
    data_dir: Path | None = None
    seed_code: str | None = None  # the user's own code: the root node of the search
    seed_cell_id: str | None = None  # the notebook cell it came from, when known
    holdout: dict[str, Any] | None = None  # {fraction, metric (a harness name or None)}


def parse_body(raw: bytes, *, allowed: tuple[str, ...]) -> dict[str, Any]:
    """JSON object body, at most 1 MB, with no unknown keys (a typo must not pass silently)."""
    if len(raw) > MAX_BODY_BYTES:
        raise TooLarge(f"body: {len(raw)} bytes is over the {MAX_BODY_BYTES} byte limit")
    if not raw.strip():
        return {}
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadRequest("body", f"not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise BadRequest("body", "must be a JSON object")
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise BadRequest(unknown[0], f"unknown field; expected some of {', '.join(allowed)}")
    return data


def confined(root: Path, value: str, name: str, base: Path | None = None) -> Path:
    """Resolve a client path inside the server root; refuse traversal and symlink escapes.

    A relative path is taken from `base` (a folder inside the root), else from the root."""
    if not isinstance(value, str) or not value.strip() or "\x00" in value:
        raise BadRequest(name, "must be a non-empty path")
    root = root.resolve()
    path = Path(value)
    start = base.resolve() if base is not None else root
    resolved = (path if path.is_absolute() else start / value.lstrip("/")).resolve()
    if resolved != root and root not in resolved.parents:
        raise BadRequest(name, "is outside the server's root directory")
    return resolved


def _text(data: dict[str, Any], name: str, *, limit: int | None = None) -> str | None:
    """A string field, at most `limit` characters (by default the option's)."""
    limit = option(name).chars if limit is None else limit
    value = data.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise BadRequest(name, "must be a string")
    if len(value) > limit:
        raise BadRequest(name, f"is longer than {limit} characters")
    return value


def _int(data: dict[str, Any], name: str, lo: int, hi: float) -> int | None:
    value = data.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadRequest(name, f"must be an integer, got {value!r}")
    if not lo <= value <= hi:
        raise BadRequest(name, f"must be between {lo} and {hi}, got {value}")
    return value


def _seconds(data: dict[str, Any], name: str, hi: float) -> float | None:
    value = data.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise BadRequest(name, f"must be a number of seconds, got {value!r}")
    if not 0 < value <= hi:
        raise BadRequest(name, f"must be more than 0 and at most {hi:g} s, got {value}")
    return float(value)


def parse_create(
    data: dict[str, Any],
    *,
    root: Path,
    max_steps: int,
    max_parallel: int,
    models: ModelCheck,
    max_workers: int = 4,
    remote_kernels: bool = False,
) -> CreateRequest:
    """Check every field of a create body; raise BadRequest naming the first bad one.

    With `remote_kernels` (a gateway), `data_dir` is a path on the kernel's host: it is kept as
    given and checked in the kernel before the search runs."""
    kernel_id = data.get("kernel_id")
    if not isinstance(kernel_id, str) or not kernel_id.strip():
        raise BadRequest("kernel_id", "is required (the id of a running kernel)")
    goal = _text(data, "goal", limit=MAX_GOAL_CHARS)
    if goal is None or not goal.strip():
        raise BadRequest("goal", "must say what to solve and how it is evaluated")
    req = CreateRequest(kernel_id=kernel_id, goal=goal.strip())
    notebook = _text(data, "notebook_path", limit=4096)
    if notebook:
        path = confined(root, notebook, "notebook_path")
        if not path.parent.is_dir():
            raise BadRequest("notebook_path", "its folder does not exist")
        req.notebook_path = path.relative_to(root.resolve()).as_posix()
        req.notebook_dir = path.parent
    req.eval = _text(data, "eval") or ""
    names = data.get("data")
    if names is not None:
        if not isinstance(names, list) or not all(
            isinstance(n, str) and n.isidentifier() for n in names
        ):
            raise BadRequest("data", "must be a list of variable names in the kernel")
        req.data = list(dict.fromkeys(names))
    data_dir = _text(data, "data_dir")
    if data_dir and remote_kernels:
        req.data_dir = Path(data_dir)
    elif data_dir:
        # Relative to the notebook's folder: that is the kernel's working directory, where the
        # magic checked the path and where the user sees it.
        req.data_dir = confined(root, data_dir, "data_dir", base=req.notebook_dir)
        if not req.data_dir.is_dir():
            raise BadRequest("data_dir", "is not a folder")
    req.target = _text(data, "target") or None
    req.metric = _text(data, "metric") or None
    typo = holdout_metrics.metric_typo_message(req.metric) if req.metric else None
    if typo:
        raise BadRequest("metric", typo)
    lower = data.get("lower_is_better")
    if lower is not None and not isinstance(lower, bool):
        raise BadRequest("lower_is_better", "must be true, false or null")
    req.lower_is_better = lower
    limits = {"max_steps": max_steps, "max_parallel": max_parallel, "max_workers": max_workers}
    for opt in OPTIONS:
        if opt.kind == WHOLE:
            setattr(req, opt.name, _int(data, opt.name, opt.lo, opt.upper(limits)))
        elif opt.kind == SECONDS:
            setattr(req, opt.name, _seconds(data, opt.name, opt.upper(limits)))
    policy = _text(data, "policy")
    if policy is not None and policy not in POLICIES:
        raise BadRequest("policy", f"unknown policy {policy!r}; one of {', '.join(POLICIES)}")
    req.policy = policy
    model = _text(data, "model")
    if model is not None:
        problem = models(model)
        if problem:
            raise BadRequest("model", problem)
    req.model = model
    req.seed_code, req.seed_cell_id = _seed(data.get("seed"))
    req.holdout = parse_holdout(data, req)
    return req


def parse_holdout(data: dict[str, Any], req: CreateRequest) -> dict[str, Any] | None:
    """`holdout` (0 < h <= 0.5) needs a target and data; its metric must be one it can score."""
    value = data.get("holdout")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise BadRequest("holdout", f"must be a fraction of the rows such as 0.2, got {value!r}")
    if not 0 < value <= MAX_HOLDOUT:
        raise BadRequest("holdout", f"must be more than 0 and at most {MAX_HOLDOUT:g}, got {value}")
    if not req.target:
        raise BadRequest("holdout", "needs `target`: the column whose held-out values are scored")
    if not req.data and req.data_dir is None:
        raise BadRequest(
            "holdout", "needs `data` (a DataFrame with the target) or `data_dir` (with train.csv)"
        )
    try:
        metric = holdout_metrics.resolve_metric(req.metric, f"{req.goal}\n{req.eval}")
    except ValueError as exc:
        raise BadRequest("metric", str(exc)) from None
    lower = holdout_metrics.METRICS.get(metric or "")
    if metric is not None and req.lower_is_better not in (None, lower):
        raise BadRequest(
            "lower_is_better",
            f"contradicts the holdout metric {metric}; leave it out (it follows the metric)",
        )
    return {"fraction": float(value), "metric": metric}


def _seed(value: Any) -> tuple[str | None, str | None]:
    """`seed: {code, cell_id?}`: the code a search starts from, and the cell that held it."""
    if value is None:
        return None, None
    if not isinstance(value, dict):
        raise BadRequest("seed", "must be an object {code, cell_id?} holding the user's code")
    unknown = sorted(set(value) - set(SEED_FIELDS))
    if unknown:
        raise BadRequest(f"seed.{unknown[0]}", "unknown field; expected code and cell_id")
    code = value.get("code")
    if not isinstance(code, str) or not code.strip():
        raise BadRequest("seed.code", "must be a non-empty string of Python code")
    if len(code) > MAX_SEED_CHARS:
        raise BadRequest(
            "seed.code", f"is {len(code)} characters, over the {MAX_SEED_CHARS} character limit"
        )
    cell_id = value.get("cell_id")
    if cell_id is not None and (not isinstance(cell_id, str) or not 0 < len(cell_id) <= 200):
        raise BadRequest("seed.cell_id", "must be a notebook cell id (a string of 1-200 chars)")
    return code, cell_id
