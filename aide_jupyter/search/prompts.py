"""Prompts for draft, improve, debug and review, assembled from named sections.

Named sections make prompts testable (which parts are present, how big) and let non-LLM coders
read the same request. Memory follows AIDE: a summary of every good node of the journal (plan,
metric, finding), capped in tokens, so a prompt's size does not grow with the journal.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .holdout import contract_text
from .journal import Journal, Node

SECTION_TITLES: dict[str, str] = {
    "introduction": "Introduction",
    "task": "Task goal and evaluation",
    "user_instruction": "Instruction from the user",
    "seed": "The user's starting point",
    "notebook_context": "The user's notebook so far",
    "memory": "Memory: what earlier solutions tried and scored",
    "data_overview": "Data overview",
    "previous_solution": "Previous solution",
    "solutions_to_combine": "Solutions to combine",
    "execution_output": "Execution output",
    "previous_reply_problem": "Problem with your previous reply",
    "installed_packages": "Installed packages",
    "implementation_guidelines": "Implementation guidelines",
    "scoring": "How the solution is scored",
    "time_left": "Time left",
    "response_format": "Response format",
}

_INTRO = {
    "draft": "You are an expert machine learning engineer. Write a first solution to the task "
    "below: a complete Python script.",
    "improve": "You are an expert machine learning engineer. Improve the previous solution "
    "below with one focused, concrete change, and return the whole new script.",
    "debug": "You are an expert machine learning engineer. The previous solution below failed. "
    "Find the bug and return the whole fixed script.",
    "ensemble": "You are an expert machine learning engineer. Below are the best solutions the "
    "search has found. Write one script that trains each of their models (each with its own "
    "preprocessing) and combines them into an ensemble: average their predictions (class "
    "probabilities for a classification), weight them, or stack them with a simple "
    "meta-model, whichever suits the task and the time limit. Validate the ensemble exactly as "
    "the solutions were validated, so its metric is comparable.",
    "crossover": "You are an expert machine learning engineer. Below are two good solutions "
    "from different lines of the search. Write one new script that merges their ideas: keep "
    "the stronger solution's backbone and bring in the other's most useful choices (features, "
    "preprocessing, model settings). Return the whole new script, validated the same way.",
    "review": "You are reviewing one run of a machine learning script: decide whether it ran "
    "correctly and report its validation metric exactly as printed.",
}

CODE_STAGES: tuple[str, ...] = ("draft", "improve", "debug", "ensemble", "crossover")
CODE_FORMAT = (
    "Reply with a short plan in plain prose (3 to 6 sentences), then exactly one fenced "
    "```python code block holding the whole script. No other code blocks.\n"
    "Separate the logical steps of the script (load, features, model, validation, submission) "
    "with lines starting with `# %%` and a short title; each step becomes a notebook cell."
)
GUIDELINES = (
    "- The script must be complete and self-contained: it runs as is, top to bottom.\n"
    "- Evaluate on held-out data (a validation split or cross-validation) and print the result "
    "on its own line exactly as `validation_metric: <number>`, optionally followed by "
    "`(<metric name>, higher is better)` or `(<metric name>, lower is better)`.\n"
    "- Use only the installed packages listed below. Do not install anything.\n"
    "- In-memory data named in the task is already defined as global variables: use them by name, "
    "do not reload or modify them in place.\n"
    "- Write any files (for example submission.csv) to the current working directory.\n"
    "- Keep the run time well within the node's time limit; prefer fast models on large data."
)
REVIEW_FORMAT = (
    "Call the function `submit_review` with: is_bug (true if the script failed, raised an "
    "error, or did not print a valid validation metric), summary (2-4 sentences on what "
    "happened and what to try next), metric (the validation metric as printed, or null), and "
    "lower_is_better (true for losses and errors such as RMSE, false for accuracy, AUC, R2)."
)
REVIEW_JSON_FORMAT = (
    "Reply with only a JSON object, no prose and no code fence: "
    '{"is_bug": <bool>, "summary": "<2-4 sentences>", "metric": <number or null>, '
    '"lower_is_better": <bool>}'
)


@dataclass
class TaskContext:
    """The structured facts of the task, for coders that do not read prose (the builtin coder)."""

    goal: str
    eval: str = ""
    data: list[str] = field(default_factory=list)
    data_dir: str | None = None
    target: str | None = None
    lower_is_better: bool | None = None
    seed: int = 0
    packages: list[str] = field(default_factory=list)
    node_timeout_s: float = 600.0
    holdout: dict[str, Any] | None = None  # trusted scores: {fraction, metric, rows, ...}


@dataclass
class Prompt:
    """One request to a coder: ordered named sections plus the structured context behind them."""

    stage: str
    sections: dict[str, str]
    context: TaskContext
    parent: Node | None = None
    node: Node | None = None
    instruction: str | None = None
    draft_index: int = 0  # for drafts: how many drafts came before this one
    tried_codes: list[str] = field(default_factory=list)  # earlier children of `parent`
    step: int = 0
    others: list[Node] = field(default_factory=list)  # ensemble/crossover: nodes besides parent
    seed_code: str | None = None  # the user's own code at the root, when the search has one

    @property
    def system(self) -> str:
        return self.sections.get("introduction", "")

    def render(self) -> str:
        """The user message: every section but the introduction, as markdown headings."""
        parts = [
            f"# {SECTION_TITLES.get(k, k)}\n\n{v.strip()}"
            for k, v in self.sections.items()
            if k != "introduction" and v.strip()
        ]
        return "\n\n".join(parts)

    def size(self) -> int:
        return sum(len(v) for v in self.sections.values())


def truncate_middle(text: str, max_chars: int) -> str:
    """Keep the head and the tail (tracebacks and metrics are at the end), mark the cut."""
    if len(text) <= max_chars:
        return text
    keep = max(0, max_chars - 40)
    head, tail = keep // 3, keep - keep // 3
    return f"{text[:head]}\n... [{len(text) - head - tail} characters cut] ...\n{text[-tail:]}"


def _task_text(ctx: TaskContext) -> str:
    lines = [ctx.goal.strip()]
    if ctx.eval.strip():
        lines.append(f"Evaluation: {ctx.eval.strip()}")
    if ctx.target:
        lines.append(f"Target column: {ctx.target}")
    if ctx.data:
        lines.append("In-memory data (already defined as global variables): " + ", ".join(ctx.data))
    if ctx.data_dir:
        lines.append(f"Data folder: {ctx.data_dir}")
    if ctx.lower_is_better is not None:
        lines.append(
            "The metric is " + ("lower" if ctx.lower_is_better else "higher") + " is better."
        )
    return "\n".join(lines)


CHARS_PER_TOKEN = 4  # the memory's token cap is estimated from its length, whatever the model


def estimate_tokens(text: str) -> int:
    """A model-independent token estimate (about 4 characters a token for English and code)."""
    return -(-len(text) // CHARS_PER_TOKEN)


def _head(text: str, limit: int) -> str:
    """The first sentence (or `limit` characters) of a plan or analysis, on one line."""
    flat = " ".join((text or "").split())
    cut = flat.find(". ")
    first = flat[: cut + 1] if 0 < cut < limit else flat[:limit]
    return first + ("..." if len(first) < len(flat) and not first.endswith(".") else "")


def _good_line(journal: Journal, node: Node) -> str:
    parent = journal.parent(node)
    origin = node.stage if parent is None else f"{node.stage} of step {parent.step}"
    change = _head(node.plan, 240)
    result = _head(node.analysis, 160)
    metric = f"metric {node.metric:.6g}"
    if node.metric_source == "harness" and node.reported_metric is not None:
        metric = f"holdout metric {node.metric:.6g} (own report {node.reported_metric:.6g})"
    line = f"- step {node.step} ({origin}), {metric}: {change}"
    return line + (f" Result: {result}" if result and result != change else "")


def _failed_line(node: Node) -> str:
    what = node.exc_type or node.exit_cause or ("no code" if not node.code else "bug")
    return f"- step {node.step} ({node.stage}), FAILED ({what}): {_head(node.plan, 240)}"


def memory_section(
    journal: Journal, anchor: Node | None, *, stage: str, max_items: int, max_tokens: int
) -> str:
    """What the search has learnt so far, as AIDE's memory: every good node of the whole journal
    (its plan, i.e. the key change, its metric and the review's finding), capped in tokens.

    Under the cap the best nodes are kept (best first, until the next would not fit); they are
    listed in step order, so the text only grows at its end while the set is unchanged. A debug prompt instead gets the failed attempts of its
    own debug chain (AIDE's debug prompt has no memory; these are the fixes that did not work).
    """
    if max_items <= 0 or max_tokens <= 0:
        return ""
    if stage == "debug":
        chain: list[Node] = []
        current = anchor
        while current is not None:  # the anchor, its debug ancestors and the node they fix
            chain.append(current)
            if current.stage != "debug":
                break
            current = journal.parent(current)
        candidates = [_failed_line(n) for n in reversed(chain[1:])]  # the anchor is in the prompt
        return _capped(candidates, max_items, max_tokens)
    kept: list[tuple[int, str]] = []
    budget = max_tokens
    for node in journal.ranked(finite=False):  # best first, until the cap: the best are kept
        line = _good_line(journal, node)
        cost = estimate_tokens(line) + 1
        if len(kept) >= max_items or cost > budget:
            break
        kept.append((node.step, line))
        budget -= cost
    lines = [line for _, line in sorted(kept)]
    failed = journal.failed_count()
    left = journal.good_count() - len(kept)
    note = (
        f"({left} more working solutions not listed; {failed} attempts failed.)"
        if left
        else f"({failed} attempts failed.)"
        if failed
        else ""
    )
    if note and estimate_tokens(note) < budget:
        lines.append(note)
    return "\n".join(lines)


def _capped(lines: list[str], max_items: int, max_tokens: int) -> str:
    out: list[str] = []
    budget = max_tokens
    for line in lines[-max_items:]:
        cost = estimate_tokens(line) + 1
        if cost > budget:
            break
        out.append(line)
        budget -= cost
    return "\n".join(out)


def _output_text(node: Node, max_chars: int) -> str:
    text = node.output or ""
    if node.exc_traceback and node.exc_traceback not in text:
        text = f"{text}\n{node.exc_traceback}"
    if node.exit_cause and node.exit_cause not in ("ok", "exception"):
        text += f"\n[the run ended with: {node.exit_cause}]"
    if node.exec_time_s is not None:
        text += f"\n[execution time: {node.exec_time_s:.1f} s]"
    if node.holdout_error:
        text += f"\n[holdout scoring failed: {node.holdout_error}]"
    elif node.metric_flag:
        text += f"\n[holdout check: {node.metric_flag}]"
    return truncate_middle(text.strip(), max_chars)


def _combine_text(nodes: list[Node], max_chars: int) -> str:
    """Each solution's metric, plan and code; the outputs' tails share `max_chars`."""
    share = max(200, max_chars // max(1, len(nodes)))
    parts = []
    for i, n in enumerate(nodes, 1):
        metric = "-" if n.metric is None else f"{n.metric:.6g}"
        parts.append(
            f"## Solution {i} (step {n.step}, metric {metric})\n\n{_head(n.plan, 400)}\n\n"
            f"```python\n{n.code.rstrip()}\n```\n\nEnd of its output:\n"
            f"{truncate_middle(_output_text(n, share * 4), share)}"
        )
    return "\n\n".join(parts)


def _time_text(time_left_s: float | None, node_timeout_s: float) -> str:
    text = f"This script may run for at most {node_timeout_s:.0f} seconds."
    if time_left_s is not None:
        text += f" About {max(0.0, time_left_s) / 60:.1f} minutes are left for the whole search."
    return text


def seed_section(seed: Node, parent: Node | None, max_chars: int) -> str:
    """The user's own code (the root of the tree) and how it fared, so every step builds on it."""
    if not seed.is_finished:
        outcome = "It has not finished running yet."
    elif seed.is_good:
        outcome = f"It ran and scored a validation metric of {seed.metric:.6g}."
    else:
        what = seed.exc_type or seed.exit_cause or "no validation metric"
        outcome = f"It did not give a usable result ({what})."
    head = (
        "The user wrote this code before calling you; it is the root of this search. Keep what "
        "it does well (its data handling, features and model choices) unless a change is "
        f"clearly better. {outcome}"
    )
    if parent is not None and parent.id == seed.id:
        return head + " It is the previous solution below."
    return f"{head}\n\n```python\n{truncate_middle(seed.code.rstrip(), max_chars)}\n```"


def build_code_prompt(
    stage: str,
    journal: Journal,
    context: TaskContext,
    *,
    parent: Node | None,
    data_overview: str,
    config: Any,
    time_left_s: float | None = None,
    instruction: str | None = None,
    step: int = 0,
    node: Node | None = None,
    others: list[Node] | None = None,
    notebook_context: str = "",
) -> Prompt:
    """A draft, improve, debug, ensemble or crossover prompt (a fork is an improve).

    `config` is a SearchConfig (its caps and timeouts); `others` are the nodes an ensemble or a
    crossover combines with `parent`."""
    others = list(others or [])
    coder_stage = stage if stage in CODE_STAGES else "improve"
    anchor = parent
    sections: dict[str, str] = {"introduction": _INTRO[coder_stage], "task": _task_text(context)}
    if instruction:
        sections["user_instruction"] = instruction.strip()
    seed = journal.seed_node
    if seed is not None:
        sections["seed"] = seed_section(seed, parent, config.output_max_chars)
    if notebook_context.strip():
        sections["notebook_context"] = truncate_middle(notebook_context, config.overview_max_chars)
    sections["memory"] = memory_section(
        journal,
        anchor,
        stage=coder_stage,
        max_items=config.memory_max_items,
        max_tokens=config.memory_max_tokens,
    )
    sections["data_overview"] = truncate_middle(data_overview, config.overview_max_chars)
    if coder_stage in ("ensemble", "crossover") and parent is not None:
        sections["solutions_to_combine"] = _combine_text([parent, *others], config.output_max_chars)
    elif parent is not None and coder_stage != "draft":
        sections["previous_solution"] = f"```python\n{parent.code.rstrip()}\n```"
        sections["execution_output"] = _output_text(parent, config.output_max_chars)
    sections["installed_packages"] = ", ".join(context.packages)
    sections["implementation_guidelines"] = GUIDELINES
    if context.holdout:
        sections["scoring"] = contract_text(context.holdout)
    sections["time_left"] = _time_text(time_left_s, context.node_timeout_s)
    sections["response_format"] = CODE_FORMAT
    index = 0
    if coder_stage == "draft":
        drafts = [n.id for n in journal.draft_nodes]
        index = drafts.index(node.id) if node is not None and node.id in drafts else len(drafts)
    tried = (
        [n.code for n in journal.children(parent.id)[-config.memory_max_items :] if n.code]
        if parent is not None
        else []
    )
    return Prompt(
        coder_stage,
        sections,
        context,
        parent=parent,
        node=node,
        instruction=instruction,
        draft_index=index,
        step=step,
        tried_codes=tried,
        others=others,
        seed_code=seed.code if seed is not None else None,
    )


def build_review_prompt(
    node: Node, context: TaskContext, *, config: Any, use_tools: bool = True
) -> Prompt:
    """The review prompt for a node that has run (its code, output and exit cause)."""
    sections = {
        "introduction": _INTRO["review"],
        "task": _task_text(context),
        "previous_solution": f"```python\n{node.code.rstrip()}\n```",
        "execution_output": _output_text(node, config.output_max_chars),
        "response_format": REVIEW_FORMAT if use_tools else REVIEW_JSON_FORMAT,
    }
    return Prompt("review", sections, context, node=node, step=node.step)
