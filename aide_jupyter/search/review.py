"""Reading what coders and scripts say: code and plan from a reply, the metric from the output, and
the verdict on a node (buggy or not, which metric, where it came from).

Metric convention (asked for in every prompt): the script prints one line
``validation_metric: <number>``, optionally followed by a note such as
``(accuracy, higher is better)``. The last such line wins. Fallbacks, in order: the last line of the
form ``<something metric-like>: <number>`` (validation/val/cv/score/accuracy/auc/rmse/...).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from .executor import ExecResult

_NUMBER = r"([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|nan|inf|-inf)"
_CONVENTION = re.compile(
    r"^\s*validation_metric\s*[:=]\s*" + _NUMBER + r"(.*)$", re.IGNORECASE | re.MULTILINE
)
_FALLBACK = re.compile(
    r"^.*?\b((?:val(?:idation)?|cv|holdout|test|eval)?[ _-]?"
    r"(?:metric|score|accuracy|acc|auc|roc[ _-]?auc|rmse|mse|mae|r2|f1|log[ _-]?loss|loss|"
    r"precision|recall|mape|rmsle))\b[^:=\n]{0,30}[:=]\s*" + _NUMBER,
    re.IGNORECASE | re.MULTILINE,
)
LOWER_IS_BETTER_NAMES = (
    "rmse",
    "mse",
    "mae",
    "loss",
    "logloss",
    "log_loss",
    "mape",
    "rmsle",
    "error",
    "deviance",
)
HIGHER_IS_BETTER_NAMES = (
    "accuracy",
    "acc",
    "auc",
    "roc_auc",
    "f1",
    "r2",
    "precision",
    "recall",
    "score",
)


class ReplyError(ValueError):
    """A coder reply that cannot be used (no code, code that does not compile, truncated)."""


@dataclass
class ParsedMetric:
    value: float
    line: str
    name: str | None = None
    lower_is_better: bool | None = None
    convention: bool = True


@dataclass
class Verdict:
    is_buggy: bool
    metric: float | None
    metric_source: str | None
    lower_is_better: bool | None
    analysis: str


def code_blocks(text: str) -> tuple[list[tuple[str, str]], bool]:
    """Closed fenced blocks as (language, body), and whether a block was left open (truncation)."""
    blocks: list[tuple[str, str]] = []
    lang: str | None = None
    body: list[str] = []
    for line in text.splitlines():
        stripped = line.strip()
        if lang is None and stripped.startswith("```"):
            lang, body = stripped[3:].strip().split(" ")[0].lower(), []
        elif lang is not None and stripped == "```":
            blocks.append((lang, "\n".join(body)))
            lang = None
        elif lang is not None:
            body.append(line)
    return blocks, lang is not None


def extract_code(text: str) -> str | None:
    """The longest closed fenced block that is Python (or untagged); None when there is none."""
    blocks, _ = code_blocks(text)
    python = [
        b.strip("\n") for lang, b in blocks if lang in ("", "python", "py", "python3") and b.strip()
    ]
    return max(python, key=len) if python else None


def extract_plan(text: str) -> str:
    """The prose before the first code fence (the model's plan), stripped."""
    return text.split("```", 1)[0].strip()


def check_code(code: str) -> str | None:
    """A syntax error message, or None when the code compiles."""
    try:
        compile(code, "<solution>", "exec")
    except SyntaxError as exc:
        return f"SyntaxError: {exc.msg} (line {exc.lineno})"
    except ValueError as exc:  # e.g. null bytes
        return f"ValueError: {exc}"
    return None


def parse_code_reply(text: str, *, truncated: bool = False) -> tuple[str, str]:
    """(plan, code) from a coder reply, or ReplyError saying what is wrong with it."""
    if truncated:
        raise ReplyError("the reply was cut off (length limit); send a shorter, complete script")
    if code_blocks(text)[1]:
        raise ReplyError("the reply has an unterminated code block (truncated?)")
    code = extract_code(text)
    if code is None:
        raise ReplyError("the reply has no ```python code block")
    problem = check_code(code)
    if problem:
        raise ReplyError(f"the code does not compile: {problem}")
    return extract_plan(text), code + "\n"


def direction_from_text(text: str) -> bool | None:
    """Direction from a note like 'lower is better' or a metric name like RMSE; None if unsure."""
    low = text.lower()
    if "lower is better" in low or "lower=better" in low or "minimi" in low:
        return True
    if "higher is better" in low or "greater is better" in low or "maximi" in low:
        return False
    words = set(re.findall(r"[a-z0-9_]+", low.replace("-", "_")))
    if words & set(LOWER_IS_BETTER_NAMES):
        return True
    if words & set(HIGHER_IS_BETTER_NAMES):
        return False
    return None


def parse_metric(output: str) -> ParsedMetric | None:
    """The validation metric printed by a script (convention line first, then fallbacks)."""
    matches = list(_CONVENTION.finditer(output))
    if matches:
        m = matches[-1]
        note = m.group(2).strip(" ()[]#,")
        name = re.split(r"[,;(\s]", note, maxsplit=1)[0] or None if note else None
        return ParsedMetric(
            float(m.group(1)),
            m.group(0).strip(),
            name,
            direction_from_text(note) if note else None,
            True,
        )
    matches = list(_FALLBACK.finditer(output))
    held_out = [
        m
        for m in matches
        if re.match(r"(val|cv|holdout|test|eval)", m.group(1).strip(), re.IGNORECASE)
    ]
    if held_out or matches:
        m = (held_out or matches)[-1]
        name = m.group(1).strip(" _-")
        return ParsedMetric(
            float(m.group(2)), m.group(0).strip(), name, direction_from_text(name), False
        )
    return None


def number_in_text(value: float, text: str) -> bool:
    """Whether `value` appears in `text` at some printed precision (to catch invented metrics)."""
    for token in re.findall(_NUMBER, text, re.IGNORECASE):
        try:
            seen = float(token)
        except ValueError:
            continue
        if math.isclose(seen, value, rel_tol=1e-9, abs_tol=1e-12):
            return True
        shown = repr(float(value))
        places = len(shown.split(".")[1]) if "." in shown and "e" not in shown else 0
        if places and round(seen, places) == value:
            return True
        decimals = len(token.split(".")[1]) if "." in token and "e" not in token.lower() else 0
        if decimals and abs(round(value, decimals) - seen) < 10**-decimals / 2 + 1e-12:
            return True
    return False


def build_verdict(
    result: ExecResult,
    *,
    review_is_bug: bool | None = None,
    review_metric: float | None = None,
    review_lower: bool | None = None,
    review_summary: str = "",
    fixed_lower: bool | None = None,
) -> Verdict:
    """Combine the run, the parsed output and the reviewer's opinion into one verdict.

    Buggy = the script did not finish cleanly (exception, timeout, crash), the reviewer says it is
    a bug, or there is no usable metric. A metric printed by the convention line beats the
    reviewer's number; a reviewer number that appears nowhere in the output is not trusted.
    """
    notes = [review_summary.strip()] if review_summary.strip() else []
    parsed = parse_metric(result.output)
    metric: float | None = None
    source: str | None = None
    if parsed is not None and (parsed.convention or review_metric is None):
        metric, source = parsed.value, "parsed"
        if review_metric is not None and not math.isclose(
            review_metric, parsed.value, rel_tol=1e-3, abs_tol=1e-6
        ):
            notes.append(
                f"The reviewer reported {review_metric:g} but the output printed "
                f"{parsed.value:g}; the printed value is used."
            )
    elif review_metric is not None:
        if number_in_text(review_metric, result.output):
            metric, source = review_metric, "reported"
        else:
            notes.append(f"The reviewer's metric {review_metric:g} does not appear in the output.")
    lower = fixed_lower
    if lower is None:
        lower = (
            review_lower
            if review_lower is not None
            else (parsed.lower_is_better if parsed else None)
        )
    buggy = False
    if not result.ok:
        buggy = True
        cause = {
            "timeout": f"timed out after {result.exec_time_s:.0f} s",
            "exception": f"raised {result.exc_type or 'an exception'}",
            "memory": "ran out of memory",
            "signal": "was killed by a signal",
            "exit": "exited early",
            "lost": "was lost with its kernel",
            "error": "could not be run",
        }.get(result.exit_cause, result.exit_cause)
        notes.append(f"The script {cause}." + (f" {result.detail}" if result.detail else ""))
    if review_is_bug:
        buggy = True
    if metric is None or not math.isfinite(metric):
        if metric is not None:
            notes.append(f"The metric {metric} is not a finite number.")
        elif result.ok:
            notes.append(
                "No validation metric was found in the output "
                "(expected a line 'validation_metric: <number>')."
            )
        buggy = True
        metric, source = None, None
    return Verdict(buggy, metric, source, lower, " ".join(n for n in notes if n))
