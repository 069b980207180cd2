"""Server side of the holdout harness: ship `harness/` into the kernel, split once, tag launches.

A mixin of `KernelExecutor` (it uses the executor's `_execute`, `_call` and runner instance), kept
apart so the executor's messaging code stays about messaging. The split's arguments are kept per
key, so a kernel that restarted (a new runner instance) gets the same seeded split again before
the next node runs.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from aide_jupyter.executors import harness, protocol
from aide_jupyter.executors.runner.common import package_sources
from aide_jupyter.search.executor import ExecRequest

HARNESS_FILENAME = "<aide_harness>"


def harness_parts() -> list[list[str]]:
    """The harness package's parts, shipped as is (the kernel needs no aide_jupyter installed)."""
    return package_sources(harness)


class HoldoutClient:
    """prepare_holdout / release_holdout of the Executor protocol, for kernel executors."""

    _instance: str | None
    _harness_src: list[list[str]] | None = None  # the harness package's parts
    _harness_for: str | None = None  # runner instance the harness was installed under
    _holdouts: dict[str, dict[str, Any]] | None = None

    if TYPE_CHECKING:  # provided by the executor this is mixed into

        async def start(self) -> None: ...

        async def _execute(self, code: str) -> dict[str, Any]: ...

        async def _call(self, op: str, **args: Any) -> dict[str, Any]: ...

    @property
    def harness_module(self) -> str:
        if self._harness_src is None:
            self._harness_src = harness_parts()
        return protocol.module_name("_aide_harness", protocol.joined(self._harness_src))

    async def prepare_holdout(self, args: dict[str, Any]) -> dict[str, Any]:
        """Split in the kernel (idempotent per key); answers {key, rows, task, metric, ...}."""
        await self.start()
        if self._holdouts is None:
            self._holdouts = {}
        self._holdouts[str(args["key"])] = dict(args)
        await self._install_harness(force=True)
        return await self._invoke("prepare", [dict(args)], True)

    async def release_holdout(self, key: str) -> None:
        """Drop a search's split (labels, row copies) from the kernel's memory."""
        if self._holdouts:
            self._holdouts.pop(str(key), None)
        if self._harness_for is not None and self._harness_for == self._instance:
            await self._invoke("release", [str(key)], False)

    async def _ensure_harness(self, request: ExecRequest) -> ExecRequest:
        """Before a holdout node: the harness and its split exist under the current runner, and
        the request names the shipped module (the engine only knows the split's key)."""
        if not request.harness or request.harness.get("module"):
            return request  # none, or a caller's own shipped harness module (install_module)
        key = str(request.harness["key"])
        if self._harness_for != self._instance:
            args = (self._holdouts or {}).get(key)
            if args is None:
                raise RuntimeError(f"holdout {key!r} was never prepared on this executor")
            await self._install_harness(force=False)
            await self._invoke("prepare", [dict(args)], True)
        return replace(request, harness={"module": self.harness_module, "key": key})

    async def _install_harness(self, *, force: bool) -> None:
        if not force and self._harness_for == self._instance:
            return
        name = self.harness_module
        assert self._harness_src is not None
        reply = await self._execute(
            protocol.install_runner_code(name, self._harness_src, HARNESS_FILENAME)
        )
        if reply["content"].get("status") != "ok":
            raise RuntimeError(f"could not install the holdout harness: {reply['content']}")
        self._harness_for = self._instance

    async def _invoke(self, func: str, args: list[Any], pass_namespace: bool) -> Any:
        answer = await self._call(
            "invoke",
            module=self.harness_module,
            func=func,
            args=args,
            pass_namespace=pass_namespace,
        )
        return answer["value"]
