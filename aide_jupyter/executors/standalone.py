"""An executor with its own kernel, for headless runs (CLI, benchmarks, tests)."""

from __future__ import annotations

import logging
from types import TracebackType
from typing import Any

from jupyter_client.manager import AsyncKernelManager

from aide_jupyter.executors.kernel import KernelExecutor
from aide_jupyter.search.executor import ExecRequest, ExecResult

log = logging.getLogger(__name__)


class StandaloneExecutor:
    """Starts a kernel, optionally runs `setup_code` in it (e.g. load the data), then runs nodes
    there exactly like the live-kernel executor does."""

    def __init__(
        self,
        *,
        kernel_name: str = "python3",
        setup_code: str | None = None,
        cwd: str | None = None,
        kernel_log: str | None = None,
        **executor_options: Any,
    ) -> None:
        self.kernel_name = kernel_name
        self.setup_code = setup_code
        self.cwd = cwd
        self.kernel_log = kernel_log  # the kernel's stdout/stderr go here, not to the terminal
        self.executor_options = executor_options
        self.km: AsyncKernelManager | None = None
        self.executor: KernelExecutor | None = None

    async def start(self) -> None:
        if self.executor is not None:
            return
        self.km = AsyncKernelManager(kernel_name=self.kernel_name)
        if self.kernel_log:
            with open(self.kernel_log, "ab") as log_file:  # the kernel keeps its own descriptor
                await self.km.start_kernel(cwd=self.cwd, stdout=log_file, stderr=log_file)
        else:
            await self.km.start_kernel(cwd=self.cwd)
        self.executor = KernelExecutor(
            self.km.get_connection_info(session=False), **self.executor_options
        )
        await self.executor.start()
        if self.setup_code:
            await self.run_code(self.setup_code)

    async def run_code(self, code: str, timeout_s: float = 600.0) -> dict[str, Any]:
        """Run code in the kernel itself (not forked), like a user's cell; raises on error."""
        assert self.executor is not None
        reply = await self.executor._execute(code, timeout=timeout_s)
        content = reply["content"]
        if content.get("status") != "ok":
            raise RuntimeError(
                f"kernel code failed: {content.get('ename')}: {content.get('evalue')}"
            )
        return content

    async def run(self, request: ExecRequest) -> ExecResult:
        await self.start()
        assert self.executor is not None
        return await self.executor.run(request)

    async def prepare_holdout(self, args: dict[str, Any]) -> dict[str, Any]:
        await self.start()
        assert self.executor is not None
        return await self.executor.prepare_holdout(args)

    async def release_holdout(self, key: str) -> None:
        if self.executor is not None:
            await self.executor.release_holdout(key)

    async def close(self) -> None:
        if self.executor is not None:
            await self.executor.close()
            self.executor = None
        if self.km is not None:
            await self.km.shutdown_kernel(now=True)
            self.km = None

    async def __aenter__(self) -> StandaloneExecutor:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()
