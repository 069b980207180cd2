"""SpreadExecutor: nodes spread over kernels; a lost worker costs only its running node."""

from __future__ import annotations

import asyncio

import pytest

from aide_jupyter.executors.spread import Member, SpreadExecutor
from aide_jupyter.search.executor import ExecRequest, ExecResult, ExecutorLost


class Kernel:
    def __init__(self, lose: bool = False) -> None:
        self.lose = lose
        self.ran: list[str] = []

    async def run(self, request: ExecRequest) -> ExecResult:
        await asyncio.sleep(0.02)
        if self.lose:
            raise ExecutorLost("worker died")
        self.ran.append(request.node_id)
        return ExecResult("ok")


def _req(i: int) -> ExecRequest:
    return ExecRequest(node_id=f"n{i}", code="", workdir="/tmp/x")


async def test_nodes_spread_and_a_dead_worker_loses_only_its_node() -> None:
    user, good, bad = Kernel(), Kernel(), Kernel(lose=True)
    spread = SpreadExecutor(
        [Member("u", user, worker=False), Member("w1", good, True), Member("w2", bad, True)]
    )
    results = await asyncio.gather(*(spread.run(_req(i)) for i in range(3)))
    assert {r.kernel_id for r in results} == {"u", "w1", "w2"}
    lost = [r for r in results if r.exit_cause == "lost"]
    assert len(lost) == 1 and lost[0].kernel_id == "w2" and "w2" in (lost[0].detail or "")
    more = await asyncio.gather(*(spread.run(_req(i)) for i in range(3, 9)))
    assert all(r.ok and r.kernel_id in ("u", "w1") for r in more)  # w2 gets no more nodes
    summary = spread.summary()
    assert [w["kernel_id"] for w in summary] == ["w1", "w2"]
    assert [w["running"] for w in summary] == [True, False]


async def test_losing_the_users_kernel_still_pauses() -> None:
    spread = SpreadExecutor([Member("u", Kernel(lose=True), worker=False)])
    with pytest.raises(ExecutorLost):
        await spread.run(_req(0))
