"""Give worker kernels the search's named data: pickled once by the user's kernel, streamed.

The snapshot stays in the user's kernel (on `sys`, never in the user's namespace) and travels in
chunks of `CHUNK_BYTES`, so the server holds one chunk at a time and every message stays under
the 10 MB a Tornado websocket accepts by default (a gateway's kernels are reached that way).
Each worker joins the chunks and binds the names in its own namespace.
"""

from __future__ import annotations

import ast
import asyncio
import logging
import re
from typing import Any

log = logging.getLogger(__name__)

# Raw bytes per message: base64 makes it 4/3 larger, ~5.3 MB, under the 10 MB websocket cap.
CHUNK_BYTES = 4 * 1024 * 1024

# In the user's kernel: pickle the named globals (cloudpickle when it has it) onto `sys`; the size.
_PREPARE = (
    "(lambda sys, g, names: (setattr(sys, {key!r}, "
    "(__import__('cloudpickle') if __import__('importlib.util').util.find_spec('cloudpickle') "
    "else __import__('pickle')).dumps({{n: g[n] for n in names}}, protocol=4)), "
    "len(getattr(sys, {key!r})))[1])(__import__('sys'), globals(), {names!r})"
)
_CHUNK = (
    "__import__('base64').b64encode(getattr(__import__('sys'), {key!r})[{start}:{end}])"
    ".decode('ascii')"
)
_FORGET = "(lambda sys: sys.__dict__.pop({key!r}, None) and None)(__import__('sys'))"
# In a worker: gather the chunks on `sys`, then bind the names and forget the chunks.
_APPEND = (
    "import sys as _s; _s.__dict__.setdefault({key!r}, []).append("
    "__import__('base64').b64decode({blob!r})); del _s\n"
)
_LOAD = (
    "import sys as _s; globals().update(__import__('pickle').loads("
    "b''.join(_s.__dict__.pop({key!r}, [])))); del _s\n"
)
_DROP = "import sys as _s; _s.__dict__.pop({key!r}, None); del _s\n"


def snapshot_key(search_id: str) -> str:
    """A `sys` attribute name for one search's snapshot."""
    return "_aide_worker_data_" + re.sub(r"\W", "_", search_id)


async def copy_named_data(source: Any, targets: list[Any], names: list[str], key: str) -> int:
    """Bind `names` of the `source` kernel in every target kernel; returns the snapshot's size.

    `source` and `targets` are kernel executors (`evaluate`, `execute`). On a failure the chunks
    are dropped on both sides and a RuntimeError says which step failed and why.
    """
    step = "pickling " + ", ".join(names) + " in the user's kernel"
    try:
        size = int(await source.evaluate(_PREPARE.format(key=key, names=list(names))))
        for start in range(0, size, CHUNK_BYTES):
            step = f"reading bytes {start}-{min(size, start + CHUNK_BYTES)} of {size}"
            text = await source.evaluate(
                _CHUNK.format(key=key, start=start, end=start + CHUNK_BYTES)
            )
            step = f"sending bytes {start}-{min(size, start + CHUNK_BYTES)} to the workers"
            code = _APPEND.format(key=key, blob=ast.literal_eval(text))
            await asyncio.gather(*(t.execute(code) for t in targets))
        step = "loading the data in the workers"
        await asyncio.gather(*(t.execute(_LOAD.format(key=key)) for t in targets))
        return size
    except Exception as exc:
        await asyncio.gather(
            *(t.execute(_DROP.format(key=key)) for t in targets), return_exceptions=True
        )
        raise RuntimeError(f"giving the workers their data failed while {step}: {exc}") from exc
    finally:
        try:
            await source.evaluate(_FORGET.format(key=key))
        except Exception as exc:  # the kernel went away, and its snapshot with it
            log.warning("could not drop the worker data snapshot in the user's kernel: %s", exc)
