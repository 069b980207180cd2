"""What the server asks a kernel besides running nodes: its data-like variables, an overview of
the named data (for the prompts), installed packages, and shipping extra modules.

A base of `KernelExecutor`. The data overview touches the user's data, so it runs in a child
like a node (forked, or the portable worker), bounded in time and memory: a big frame or file
can neither block the user's kernel nor grow its memory. Only the package list, which reads no
data, runs in the kernel itself.
"""

from __future__ import annotations

import uuid
from typing import Any

from aide_jupyter.executors import protocol

PREVIEW_TIMEOUT_S = 120.0
PREVIEW_MEMORY_MB = 2048  # on top of what the child already maps (fork: the shared snapshot)


class KernelIntrospection:
    """Mixed into KernelExecutor, which provides the messaging methods used here."""

    mode: str
    env_allow: list[str]
    env_drop: list[str]
    _preview_src: str | None
    _installed_preview: str | None

    # provided by KernelExecutor
    async def start(self) -> None: ...
    async def _execute(self, code: str, expressions: Any = None, timeout: Any = None) -> Any: ...
    async def _call(self, op: str, timeout: float | None = None, **args: Any) -> Any: ...
    async def _launch_and_wait(self, spec: dict[str, Any], timeout_s: float) -> Any: ...

    async def install_module(self, name: str, source: str) -> None:
        """Ship a standard-library-only module into the kernel as `sys.modules[name]` (with its
        text as `_SOURCE`, so the portable path can re-install it in a fresh interpreter), e.g. a
        launch spec's harness module. Installed once per kernel; a restart needs it again."""
        await self.start()
        reply = await self._execute(protocol.install_code(name, source, f"<{name}>"))
        if reply["content"].get("status") != "ok":
            content = reply["content"]
            raise RuntimeError(
                f"could not install module {name}: {content.get('ename')}: {content.get('evalue')}"
            )

    async def list_variables(self) -> list[dict[str, Any]]:
        """The user's globals that look like data: [{name, type, shape}] (no data is read)."""
        await self.start()
        return list((await self._call("variables"))["variables"])

    async def describe_data(self, names: list[str], max_chars: int = 8000) -> str:
        """The engine's preview of the named objects, computed in a child of the kernel."""
        return await self._preview_in_child("describe_objects", [list(names), max_chars], names)

    async def describe_dir(self, path: str, max_chars: int = 8000) -> str:
        """The engine's preview of a data folder on the kernel's host, read in a child."""
        return await self._preview_in_child("describe_dir", [path, max_chars], None)

    async def environment(self) -> list[str]:
        """Installed ML packages in the kernel's interpreter, one 'name version' per item."""
        name = await self._install_preview()
        answer = await self._call(
            "invoke", module=name, func="describe_environment", args=[], pass_namespace=False
        )
        return [line for line in str(answer["value"]).splitlines() if line.strip()]

    async def _install_preview(self) -> str:
        await self.start()
        source = self._preview_src or protocol.preview_source()
        if source is None:
            raise RuntimeError("aide_jupyter.search.preview is not available")
        name = protocol.module_name("_aide_preview", source)
        if self._installed_preview != name:
            reply = await self._execute(
                protocol.install_code(name, source, protocol.PREVIEW_FILENAME)
            )
            if reply["content"].get("status") != "ok":
                raise RuntimeError(f"could not install the preview: {reply['content']}")
            self._installed_preview = name
        return name

    async def _preview_in_child(self, func: str, args: list[Any], names: list[str] | None) -> str:
        try:
            module = await self._install_preview()
        except RuntimeError:
            self._installed_preview = None
            raise
        spec = {
            "node_id": f"preview-{uuid.uuid4().hex[:8]}",
            "code": "",
            "workdir": None,  # a temporary folder on the kernel's host
            "timeout_s": PREVIEW_TIMEOUT_S,
            "memory_limit_mb": PREVIEW_MEMORY_MB,
            "data_names": list(names or []),
            "mode": self.mode,
            "threads": 1,
            "max_procs": 16,
            "max_output_bytes": 4000,
            "env_allow": self.env_allow,
            "env_drop": self.env_drop,
            "invoke": {
                "module": module,
                "func": func,
                "args": args,
                "pass_namespace": names is not None,
            },
        }
        raw = await self._launch_and_wait(spec, PREVIEW_TIMEOUT_S)
        if raw.get("exit_cause") == "ok" and "value" in raw:
            return str(raw["value"])
        if raw.get("exit_cause") == "exception":
            raise RuntimeError(f"the data preview failed: {raw.get('exc_traceback') or raw}")
        why = raw.get("detail") or raw.get("exit_cause")
        self._installed_preview = None if raw.get("exit_cause") == "error" else module
        return f"(no data overview: its child process ended early: {why})"
