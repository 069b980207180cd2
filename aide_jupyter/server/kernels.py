"""One shared KernelExecutor per kernel.

Why shared rather than one per search: the runner inside a kernel is one per kernel anyway, and its
result notices are broadcast on iopub; with one client per kernel every notice reaches the one
executor that launched the node (several clients would each keep the others' results), the
runner is installed once, and `kernel_parallel` caps how many nodes run at once on that kernel's
host across all its searches. Each search's own `parallel` still bounds its in-flight nodes.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from aide_jupyter.executors.kernel import KernelExecutor

log = logging.getLogger(__name__)

# Launches and data previews wait behind the user's running cell (the magic's own cell, for a
# start): allow long cells rather than failing the search after the client's default 30 s.
REQUEST_TIMEOUT_S = 3600.0


class KernelPool:
    """Executors by kernel id, made on demand from the kernel manager's connection info."""

    def __init__(
        self,
        connection_info: Callable[[str], dict[str, Any]],
        *,
        parallel: int,
        memory_limit_mb: int | None,
        mode: str = "auto",
        env_allow: list[str] | tuple[str, ...] = (),
        env_drop: list[str] | tuple[str, ...] = (),
        secrets: Callable[[], list[str]] | None = None,
    ) -> None:
        self._connection_info = connection_info
        self.parallel = parallel
        self.memory_limit_mb = memory_limit_mb
        self.mode = mode
        self.env_allow = list(env_allow)
        self.env_drop = list(env_drop)
        self.secrets = secrets
        self._executors: dict[str, KernelExecutor] = {}

    def get(self, kernel_id: str) -> KernelExecutor:
        executor = self._executors.get(kernel_id)
        if executor is None:
            executor = KernelExecutor(
                self._connection_info(kernel_id),
                parallel=self.parallel,
                memory_limit_mb=self.memory_limit_mb,
                mode=self.mode,
                request_timeout_s=REQUEST_TIMEOUT_S,
                env_allow=self.env_allow,
                env_drop=self.env_drop,
                secrets=self.secrets,
            )
            self._executors[kernel_id] = executor
        return executor

    async def discard(self, kernel_id: str) -> None:
        """The kernel is gone: close its client (running nodes raise ExecutorLost)."""
        executor = self._executors.pop(kernel_id, None)
        if executor is not None:
            await executor.close()

    async def cancel_all(self) -> None:
        """End every running node on every kernel (server shutdown)."""
        for executor in list(self._executors.values()):
            try:
                await asyncio.wait_for(executor.cancel(), 10.0)
            except Exception as exc:
                log.warning("aide: could not cancel running nodes: %s", exc)

    async def close(self) -> None:
        for kernel_id in list(self._executors):
            await self.discard(kernel_id)
