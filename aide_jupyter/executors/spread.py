"""One Executor over several kernels: the user's kernel plus worker kernels (scale-out).

Each node goes to the member with the fewest nodes running (ties in turn), and its result names
the kernel that ran it. A worker that dies or restarts loses only the node it was running (that
node fails with `exit_cause="lost"`) and gets no more nodes; losing the user's own kernel still
raises `ExecutorLost`, which pauses the search.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, replace
from typing import Any

from aide_jupyter.search.executor import ExecRequest, ExecResult, ExecutorLost

log = logging.getLogger(__name__)


@dataclass
class Member:
    kernel_id: str
    executor: Any  # KernelExecutor (run, cancel, close)
    worker: bool
    host: str | None = None
    running: int = 0
    ran: int = 0
    alive: bool = True


class SpreadExecutor:
    """Executor protocol over `members`; the first is the user's kernel."""

    def __init__(self, members: list[Member]) -> None:
        if not members:
            raise ValueError("SpreadExecutor needs at least one kernel")
        self.members = members
        self._turn = 0
        self._where: dict[str, Member] = {}

    def _pick(self) -> Member:
        alive = [m for m in self.members if m.alive]
        if not alive:
            raise ExecutorLost("every kernel of this search is gone")
        n = len(alive)
        order = [alive[(self._turn + i) % n] for i in range(n)]
        self._turn += 1
        return min(order, key=lambda m: m.running)

    async def run(self, request: ExecRequest) -> ExecResult:
        member = self._pick()
        member.running += 1
        self._where[request.node_id] = member
        try:
            result = await member.executor.run(request)
        except ExecutorLost as exc:
            if not member.worker:
                raise
            member.alive = False
            log.warning("aide: worker kernel %s lost: %s", member.kernel_id, exc)
            return ExecResult(
                output="",
                exit_cause="lost",
                detail=f"worker kernel {member.kernel_id} was lost while this node ran: {exc}",
                kernel_id=member.kernel_id,
            )
        finally:
            member.running -= 1
            self._where.pop(request.node_id, None)
        member.ran += 1
        return replace(result, kernel_id=member.kernel_id)

    async def cancel(self, node_ids: list[str] | None = None) -> list[str]:
        """End these running nodes (all, with None) on whichever kernel runs them."""
        by_member: dict[int, list[str]] = {}
        wanted = list(self._where) if node_ids is None else node_ids
        for node_id in wanted:
            member = self._where.get(node_id)
            if member is not None:
                by_member.setdefault(id(member), []).append(node_id)
        members = {id(m): m for m in self.members}
        done: list[str] = []
        for key, ids in by_member.items():
            cancel = getattr(members[key].executor, "cancel", None)
            if cancel is not None:
                with contextlib.suppress(ExecutorLost, asyncio.TimeoutError):
                    done += list(await cancel(ids))
        return done

    def summary(self) -> list[dict[str, Any]]:
        """The workers as the search summary lists them: {kernel_id, host?, running, nodes}."""
        out = []
        for m in self.members:
            if m.worker:
                item: dict[str, Any] = {"kernel_id": m.kernel_id, "running": m.alive}
                if m.host:
                    item["host"] = m.host
                item["nodes"] = m.ran
                out.append(item)
        return out

    async def prepare_holdout(self, args: dict[str, Any]) -> dict[str, Any]:
        """The same seeded split in every kernel (each holds the same named data); the answer is
        the user's kernel's. A worker that cannot split gets no more nodes."""
        first = await self.members[0].executor.prepare_holdout(args)
        for member in self.members[1:]:
            if not member.alive:
                continue
            try:
                answer = await member.executor.prepare_holdout(args)
            except Exception as exc:
                member.alive = False
                log.warning("aide: worker %s cannot hold out rows: %s", member.kernel_id, exc)
                continue
            if answer.get("rows") != first.get("rows"):
                member.alive = False
                log.warning("aide: worker %s split differently; it gets no nodes", member.kernel_id)
        return first

    async def release_holdout(self, key: str) -> None:
        for member in self.members:
            with contextlib.suppress(Exception):
                await member.executor.release_holdout(key)

    async def close(self) -> None:
        """Nothing to close: the members belong to the kernel pool."""
        return None
