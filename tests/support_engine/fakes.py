"""In-process fakes for engine tests: a scripted coder and an instant executor."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from aide_jupyter.search.coder import CodeReply, CoderError, ReviewReply, Usage
from aide_jupyter.search.executor import ExecRequest, ExecResult, ExecutorLost
from aide_jupyter.search.journal import Journal, Node, SearchInfo
from aide_jupyter.search.prompts import Prompt
from aide_jupyter.search.review import parse_metric

SCRIPT = "# %% compute\nvalue = {value}\n# %% report\nprint(f'validation_metric: {{value}}')\n"


def script_reply(value: float, plan: str = "Print a metric.") -> str:
    return f"{plan}\n\n```python\n{SCRIPT.format(value=value)}```\n"


class FakeCoder:
    """Answers code prompts with `next_reply(prompt)` (default: scripts printing 0.1, 0.2, ...)."""

    name = "fake"

    def __init__(
        self,
        next_reply: Callable[[Prompt], str] | None = None,
        *,
        tokens: int = 0,
        cost: float = 0.0,
        delay: float = 0.0,
        fail_review: bool = False,
    ) -> None:
        self.usage = Usage()
        self.prompts: list[Prompt] = []
        self.calls = 0
        self.tokens = tokens
        self.cost = cost
        self.delay = delay
        self.fail_review = fail_review
        self.next_reply = next_reply or (lambda p: script_reply(round(0.1 * (self.calls), 3)))

    async def _code(self, prompt: Prompt) -> CodeReply:
        self.calls += 1
        self.prompts.append(prompt)
        if self.delay:
            await asyncio.sleep(self.delay)
        text = self.next_reply(prompt)
        if text == "RAISE":
            raise CoderError("LLM unavailable after 5 attempts (HTTP 500)")
        used = Usage(self.tokens, self.tokens, self.cost, 1)
        self.usage.add(used)
        return CodeReply(text, used, self.name)

    draft = improve = debug = _code

    async def review(self, prompt: Prompt) -> ReviewReply:
        if self.fail_review:
            raise CoderError("review endpoint down")
        assert prompt.node is not None
        parsed = parse_metric(prompt.node.output)
        return ReviewReply(
            prompt.node.exit_cause != "ok" or parsed is None,
            "reviewed",
            parsed.value if parsed else None,
            parsed.lower_is_better if parsed else None,
            Usage(),
            self.name,
        )

    async def close(self) -> None:
        return None


class FakeExecutor:
    """Runs nothing: answers with what the script would print (its `value = ...` line)."""

    def __init__(
        self,
        *,
        delay: float = 0.0,
        lose_on: int | None = None,
        outcome: Callable[[ExecRequest], ExecResult] | None = None,
    ) -> None:
        self.delay = delay
        self.lose_on = lose_on
        self.requests: list[ExecRequest] = []
        self.outcome = outcome

    async def run(self, request: ExecRequest) -> ExecResult:
        self.requests.append(request)
        if self.lose_on is not None and len(self.requests) >= self.lose_on:
            raise ExecutorLost("kernel died")
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.outcome is not None:
            return self.outcome(request)
        for line in request.code.splitlines():
            if line.startswith("value = "):
                return ExecResult(
                    f"validation_metric: {line.split('=')[1].strip()}\n", exec_time_s=0.01
                )
        return ExecResult("nothing printed\n", exec_time_s=0.01)

    async def close(self) -> None:
        return None


def node(
    journal: Journal,
    node_id: str,
    stage: str = "draft",
    parent: str | None = None,
    *,
    metric: float | None = None,
    buggy: bool = False,
    status: str = "done",
    **kw: Any,
) -> Node:
    """Add a finished node to a hand-built journal."""
    n = Node(
        id=node_id,
        step=len(journal),
        stage=stage,
        parent_id=parent,
        status=status,
        code=kw.pop("code", "print(1)\n"),
        metric=None if buggy else metric,
        is_buggy=buggy if status == "done" else None,
        plan=kw.pop("plan", f"plan {node_id}"),
        **kw,
    )
    return journal.add(n)


def info(**kw: Any) -> SearchInfo:
    return SearchInfo(id=kw.pop("id", "s1"), goal=kw.pop("goal", "predict y"), **kw)
