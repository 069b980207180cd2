"""Kernel messaging helpers for the executor: install shipped modules, call the runner.

Kept apart from `kernel.py` so the wire format (what the server sends into a kernel) is in one
small place. Nothing here touches files or PIDs on the kernel's host.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
from dataclasses import fields
from pathlib import Path
from typing import Any

from aide_jupyter.executors import runner as runner_pkg
from aide_jupyter.executors.runner.common import redact
from aide_jupyter.executors.runner.portable import PACKAGE_INSTALLER
from aide_jupyter.search.executor import ExecRequest, ExecResult

RUNNER_FILENAME = runner_pkg.FILENAME
PREVIEW_FILENAME = "<aide_preview>"

_INSTALLER = """\
import sys, types
if NAME not in sys.modules:
    m = types.ModuleType(NAME)
    exec(compile(SRC, FILENAME, "exec"), m.__dict__)
    m._SOURCE = SRC
    sys.modules[NAME] = m
"""


_PACKAGE_INSTALL = "exec(INSTALLER)\n_install(NAME, PARTS, FILENAME)\n"


def runner_parts() -> list[list[str]]:
    """The runner package's parts as [[part, text], ...] in install order (shipped as is, so
    the kernel needs no aide_jupyter installed)."""
    return runner_pkg.sources()


def runner_source() -> str:
    """All the runner's text in one string (what its module name is a hash of)."""
    return joined(runner_parts())


def joined(parts: list[list[str]]) -> str:
    """A shipped package's parts in one string (what its module name is a hash of)."""
    return "\n".join(f"# --- {part}\n{text}" for part, text in parts)


def install_runner_code(name: str, parts: list[list[str]], filename: str = RUNNER_FILENAME) -> str:
    """Code that registers a shipped package (the runner; the holdout harness) as `name`, its
    parts as `name.<part>`, in the kernel."""
    env = {"INSTALLER": PACKAGE_INSTALLER, "NAME": name, "PARTS": parts, "FILENAME": filename}
    return f"exec({_PACKAGE_INSTALL!r}, {env!r})"


def preview_source() -> str | None:
    """The engine's data preview module as text, or None when it is not available."""
    spec = importlib.util.find_spec("aide_jupyter.search.preview")
    if spec is None or not spec.origin:
        return None
    return Path(spec.origin).read_text(encoding="utf-8")


def module_name(prefix: str, source: str) -> str:
    """Name keyed by a hash of the text: a newer server never talks to an older runner."""
    return f"{prefix}_{hashlib.sha256(source.encode()).hexdigest()[:12]}"


def install_code(name: str, source: str, filename: str) -> str:
    """Code that registers `source` as module `name` in the kernel, touching no user globals."""
    env = {"NAME": name, "SRC": source, "FILENAME": filename}
    return f"exec({_INSTALLER!r}, {env!r})"


def call_expression(name: str, op: str, args: dict[str, Any]) -> str:
    """A user_expression calling `runner.call`; its text/plain is the JSON answer."""
    return f"__import__('sys').modules[{name!r}].call({op!r}, {json.dumps(args)!r}, globals())"


def parse_expression(reply: dict[str, Any], key: str = "r") -> tuple[dict[str, Any] | None, str]:
    """(answer, "") on success, or (None, error text) when the expression failed."""
    content = reply.get("content", {})
    if content.get("status") != "ok":
        return None, f"{content.get('ename', 'error')}: {content.get('evalue', '')}"
    expr = content.get("user_expressions", {}).get(key)
    if expr is None:
        return None, "no user_expressions in reply"
    if expr.get("status") != "ok":
        return None, f"{expr.get('ename', 'error')}: {expr.get('evalue', '')}"
    return json.loads(expr["data"]["text/plain"]), ""


_RESULT_FIELDS = tuple(f.name for f in fields(ExecResult))


def launch_spec(
    request: ExecRequest,
    *,
    mode: str,
    threads: int,
    memory_limit_mb: int | None,
    max_procs: int,
    max_output_bytes: int,
    env_allow: list[str] | tuple[str, ...] = (),
    env_drop: list[str] | tuple[str, ...] = (),
) -> dict[str, Any]:
    """The runner's launch spec for one node (the same for a remote and an in-process runner).

    `env_allow`: variables nodes keep although their names look secret; `env_drop`: variables
    removed although they do not (the LLM key's variable)."""
    spec = {
        "node_id": request.node_id,
        "code": request.code,
        "workdir": request.workdir,
        "timeout_s": float(request.timeout_s),
        "memory_limit_mb": request.memory_limit_mb or memory_limit_mb,
        "data_names": list(request.data_names),
        "mode": mode,
        "threads": threads,
        "max_procs": max_procs,
        "max_output_bytes": max_output_bytes,
        "env_allow": list(env_allow),
        "env_drop": list(env_drop),
        # one data snapshot per search in the portable mode: the run folder names the search
        "snapshot_key": os.path.dirname(os.path.dirname(os.path.abspath(request.workdir))),
    }
    if request.harness:
        spec["harness"] = {"module": request.harness["module"], "key": request.harness["key"]}
    return spec


# the runner's own bookkeeping keys, not part of a result
_RUNNER_KEYS = frozenset({"node_id", "seq", "wall_s", "mode", "instance", "timing"})


def result_from_runner(raw: dict[str, Any], secrets: list[str] | None = None) -> ExecResult:
    """The runner's result dict as an ExecResult (output never None). Keys a harness's `score`
    added go into `harness`; `secrets` (values the server knows) are masked in the text."""
    values = {k: raw[k] for k in _RESULT_FIELDS if raw.get(k) is not None}
    added = {k: v for k, v in raw.items() if k not in _RESULT_FIELDS and k not in _RUNNER_KEYS}
    if added:
        harness = dict(values.get("harness") or {})
        harness.update(added)
        values["harness"] = harness
    values.setdefault("output", "")
    if secrets:
        for key in ("output", "exc_traceback", "detail"):
            if isinstance(values.get(key), str):
                values[key] = redact(values[key], secrets)
    return ExecResult(**values)
