"""Parsing and checking `%aide` input: one clear line for every mistake, never a traceback.

Everything here is pure (no kernel, no server): the magic passes the user's namespace in, so the
checks of `--data` and `--target` happen in the kernel before anything is posted.
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
from dataclasses import dataclass
from typing import Any, NoReturn

from ..search_options import (
    DIRECTION,
    FIELDS,
    FRACTION,
    MAX_HOLDOUT,
    NAMES,
    OPTIONS,
    SECONDS,
    WHOLE,
    Option,
    SearchOptions,
)

SUBCOMMANDS = (
    "optimize",
    "improve",
    "status",
    "stop",
    "pause",
    "resume",
    "best",
    "promote",
    "list",
    "help",
)
_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*([smh]?)", re.IGNORECASE)
_UNIT_S = {"": 1.0, "s": 1.0, "m": 60.0, "h": 3600.0}


class UsageError(Exception):
    """Bad `%aide` input; its message is the one line the user sees."""


class _Parser(argparse.ArgumentParser):
    """argparse that raises instead of printing usage and exiting the kernel."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


@dataclass(kw_only=True)
class OptimizeArgs(SearchOptions):
    """A validated `%aide optimize`; `request()` is the REST body (without kernel_id)."""

    goal: str
    data_dir: str | None = None
    holdout: float | None = None
    # `improve`: the user's code is the search's root (seed). One of: the cell body, the input
    # of execution count `seed_cell` (kernel history), or the code cell above (`seed_above`).
    improve: bool = False
    seed_code: str | None = None
    seed_cell: int | None = None
    seed_above: bool = False

    def request(self) -> dict[str, Any]:
        """The POST /aide/searches body: only what the user set, so the server's defaults apply."""
        body: dict[str, Any] = {"goal": self.goal}
        for name in FIELDS:
            value = getattr(self, name)
            if value not in (None, "", []):
                body[name] = value
        return body


@dataclass
class Command:
    """A parsed `%aide` line: the subcommand and its arguments."""

    name: str
    optimize: OptimizeArgs | None = None
    search_id: str | None = None
    node_id: str | None = None
    finish_running: bool = False  # stop / pause: let running nodes finish


def parse_duration(text: str, option: str) -> float:
    """'90' or '90s', '30m', '1.5h', '1h30m' -> seconds."""
    compact = text.strip().replace(" ", "")
    pos, total = 0, 0.0
    while pos < len(compact):
        match = _DURATION.match(compact, pos)
        if match is None or match.end() == pos:
            break
        total += float(match.group(1)) * _UNIT_S[match.group(2).lower()]
        pos = match.end()
    if not compact or pos != len(compact):
        raise UsageError(f"{option}: {text!r} is not a duration (use e.g. 90s, 30m, 1.5h)")
    if total <= 0:
        raise UsageError(f"{option}: must be more than 0 seconds")
    return total


def whole_number(text: str, option: str, lo: int) -> int:
    """A whole number of at least `lo` (0 or 1), or UsageError naming the option."""
    try:
        value = int(text)
    except ValueError:
        raise UsageError(f"{option}: {text!r} is not a whole number") from None
    if value < lo:
        least = "0 or more" if lo == 0 else f"at least {lo}"
        raise UsageError(f"{option}: must be {least}, got {value}")
    return value


def _parser(command: str) -> _Parser:
    """The parser of `optimize` or `improve`, from the table of search options."""
    parser = _Parser(prog=f"%aide {command}", add_help=False, allow_abbrev=False)
    parser.add_argument("goal", nargs="*")
    for opt in OPTIONS:
        if opt.only not in ("", command):
            continue
        if opt.kind == DIRECTION:
            direction = parser.add_mutually_exclusive_group()
            direction.add_argument(opt.flag, dest=opt.name, action="store_true", default=None)
            direction.add_argument("--higher-is-better", dest=opt.name, action="store_false")
        else:
            parser.add_argument(opt.flag, dest=opt.name, default=None)
    if command == "improve":
        parser.add_argument("--cell", default=None)
        parser.add_argument("--above", action="store_true", default=False)
    return parser


def _value(opt: Option, raw: Any) -> Any:
    """The typed value of one option as the user wrote it."""
    if opt.kind == WHOLE:
        return whole_number(raw, opt.flag, opt.lo)
    if opt.kind == SECONDS:
        return parse_duration(raw, opt.flag)
    if opt.kind == FRACTION:
        return parse_holdout(raw, opt.flag)
    if opt.kind == NAMES:
        names = [n.strip() for n in raw.split(",") if n.strip()]
        bad = [n for n in names if not n.isidentifier()]
        if not names or bad:
            raise UsageError(
                f"{opt.flag}: {', '.join(bad) or repr(raw)} is not a variable name "
                "(give comma-separated names, e.g. --data train,test)"
            )
        return names
    return raw  # text, and the direction (a bool from its pair of flags)


def _arguments(ns: argparse.Namespace, goal: str, eval_text: str) -> OptimizeArgs:
    """OptimizeArgs from the parsed line: every option the user gave, checked."""
    args = OptimizeArgs(goal=goal, eval=eval_text)
    for opt in OPTIONS:
        raw = getattr(ns, opt.name, None)
        if raw is not None and opt.name != "eval":
            setattr(args, opt.name, _value(opt, raw))
    if args.holdout is not None and (not args.target or not (args.data or args.data_dir)):
        raise UsageError("--holdout needs --target and --data (a DataFrame with it) or --data-dir")
    from aide_jupyter.search.holdout import metric_typo_message

    typo = metric_typo_message(args.metric) if args.metric else None
    if typo:
        raise UsageError(f"--metric: {typo}")
    return args


def _parse_line(tokens: list[str], command: str) -> argparse.Namespace:
    ns, unknown = _parser(command).parse_known_intermixed_args(tokens)
    if unknown:
        raise UsageError(
            f"unknown option {unknown[0]!r}; see %aide help for the options of {command}"
        )
    return ns


IMPROVE_EXAMPLE = '%%aide improve --data df --target y "predict y; metric accuracy"'


def _parse_improve(tokens: list[str], cell: str | None) -> OptimizeArgs:
    """`improve`: the goal comes from the line; the user's code from the body, --cell or --above."""
    ns = _parse_line(tokens, "improve")
    goal = " ".join(ns.goal).strip()
    body = (cell or "").strip("\n")
    sources = [bool(body.strip()), ns.cell is not None, ns.above]
    if sum(sources) > 1:
        raise UsageError(
            "improve takes one starting point: the cell body, --cell N or --above, not several"
        )
    if not any(sources):
        raise UsageError(
            "improve needs your code: put it in the cell body under "
            f"{IMPROVE_EXAMPLE}, or name a cell with --cell N (its [N]) or --above"
        )
    if not goal:
        raise UsageError(
            "improve needs a goal on the line (the cell body is your code, the starting point), "
            f"e.g. {IMPROVE_EXAMPLE}"
        )
    args = _arguments(ns, goal, (ns.eval or "").strip())
    args.improve = True
    args.seed_code = body if body.strip() else None
    if ns.cell is not None:
        args.seed_cell = whole_number(ns.cell, "--cell", 1)
    args.seed_above = bool(ns.above)
    return args


def parse_holdout(text: str, option: str = "--holdout") -> float:
    """A fraction of the rows to hold out and score every node on: 0 < h <= 0.5."""
    try:
        value = float(text)
    except ValueError:
        raise UsageError(f"{option}: {text!r} is not a fraction (e.g. {option} 0.2)") from None
    if not 0 < value <= MAX_HOLDOUT:
        raise UsageError(f"{option}: must be more than 0 and at most {MAX_HOLDOUT:g}, got {text}")
    return value


def _split(line: str) -> list[str]:
    try:
        return shlex.split(line, posix=True)
    except ValueError as exc:  # an unclosed quote
        raise UsageError(f"cannot read the line: {exc} (check the quotes)") from None


def parse(line: str, cell: str | None = None) -> Command:
    """Parse a `%aide` line (and the `%%aide` cell body); raise UsageError with one line."""
    tokens = _split(line)
    if not tokens:
        return Command("help")
    name, rest = tokens[0], tokens[1:]
    if name in ("-h", "--help", "?"):
        return Command("help")
    if name not in SUBCOMMANDS:
        hint = " (did you mean: %aide optimize ...?)" if name.startswith("-") else ""
        raise UsageError(f"unknown subcommand {name!r}{hint}; use one of: {', '.join(SUBCOMMANDS)}")
    if cell is not None and cell.strip() and name not in ("optimize", "improve"):
        raise UsageError(f"%%aide {name} takes no cell body; only optimize and improve do")
    if name == "optimize":
        return Command(name, optimize=_parse_optimize(rest, cell))
    if name == "improve":
        return Command("optimize", optimize=_parse_improve(rest, cell))
    if name == "help":
        return Command(name)
    if name == "promote":
        if not rest:
            raise UsageError("promote needs a node id: %aide promote NODE [SEARCH_ID]")
        if len(rest) > 2 or any(t.startswith("-") for t in rest):
            raise UsageError("usage: %aide promote NODE [SEARCH_ID]")
        return Command(name, node_id=rest[0], search_id=rest[1] if len(rest) > 1 else None)
    finish = False
    if name in ("stop", "pause") and "--finish-running" in rest:
        finish = True
        rest = [t for t in rest if t != "--finish-running"]
    if len(rest) > 1 or any(t.startswith("-") for t in rest):
        flag = " [--finish-running]" if name in ("stop", "pause") else ""
        raise UsageError(f"usage: %aide {name}{flag} [SEARCH_ID]")
    return Command(name, search_id=rest[0] if rest else None, finish_running=finish)


def _parse_optimize(tokens: list[str], cell: str | None) -> OptimizeArgs:
    ns = _parse_line(tokens, "optimize")
    line_goal = " ".join(ns.goal).strip()
    body = (cell or "").strip()
    if body and line_goal:
        goal, eval_text = line_goal, body
    else:
        goal, eval_text = line_goal or body, ""
    if ns.eval:
        eval_text = f"{eval_text}\n{ns.eval}".strip()
    if not goal:
        raise UsageError(
            "no goal: write it in quotes after the options, e.g. "
            '%aide optimize --data df --target y "predict y; metric RMSE", '
            "or use %%aide optimize with the goal in the cell body"
        )
    return _arguments(ns, goal, eval_text)


# ---- checks against the kernel's namespace and environment ------------------------------------


def _is_frame(value: Any) -> bool:
    """A DataFrame-like object (pandas, polars, ...): has columns and a 2-d shape."""
    shape = getattr(value, "shape", None)
    return hasattr(value, "columns") and isinstance(shape, tuple) and len(shape) == 2


def frame_names(namespace: dict[str, Any]) -> list[str]:
    """The user's DataFrames, to list when a --data name is wrong."""
    return sorted(
        name
        for name, value in list(namespace.items())
        if not name.startswith("_") and _is_frame(value)
    )


def check_data(args: OptimizeArgs, namespace: dict[str, Any], cwd: str | None = None) -> None:
    """`--data` names exist, `--target` is a column of one of them, `--data-dir` is a folder."""
    missing = [n for n in args.data if n not in namespace]
    if missing:
        frames = frame_names(namespace)
        have = f"DataFrames defined here: {', '.join(frames)}" if frames else "no DataFrames here"
        noun = "is" if len(missing) == 1 else "are"
        raise UsageError(f"--data: {', '.join(missing)} {noun} not defined; {have}")
    if args.data_dir is not None:
        path = os.path.join(cwd or os.getcwd(), os.path.expanduser(args.data_dir))
        if not os.path.isdir(path):
            raise UsageError(f"--data-dir: {args.data_dir!r} is not a folder")
    if args.target is None or not args.data:
        return
    frames = {n: namespace[n] for n in args.data if _is_frame(namespace[n])}
    if not frames:
        return  # arrays (X, y): there is no column to check
    if any(args.target in list(f.columns) for f in frames.values()):
        return
    from aide_jupyter.search.columns import missing_column

    name, frame = next(iter(frames.items()))
    columns = [str(c) for c in list(frame.columns)]
    where = name if len(frames) == 1 else ", ".join(frames)
    raise UsageError(f"--target: {missing_column(args.target, columns, where)}")


def local_model(model: str | None, environ: dict[str, str] | os._Environ[str]) -> str:
    """The model of an in-kernel search: the user's, else the LLM (AIDE_MODEL or the default
    LLM model) when a key or base URL is set, else builtin."""
    from aide_jupyter.coders import default_model, llm_configured, llm_key_hint

    has_llm = llm_configured(environ)
    if model is None:
        return default_model(environ)
    if model != "builtin" and not has_llm:
        raise UsageError(llm_key_hint(model))
    return model
