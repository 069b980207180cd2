"""Worker kernels for a search (`workers` N): start, give them the data, spread nodes, shut down.

The kernel manager (local, or a gateway's: then each worker may be a pod or a host elsewhere)
starts N kernels of the user's kernelspec. The user's kernel pickles the named data once
(cloudpickle when it has it) and each worker loads that one snapshot, streamed in chunks
(`worker_data`), into its namespace, so nodes forked there see the same names. Nodes are spread over the workers and the user's kernel
(`executors.spread`); the workers are shut down when the search's run ends, and at server exit.
"""

from __future__ import annotations

import logging
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any

from aide_jupyter.executors.spread import Member, SpreadExecutor

from .worker_data import copy_named_data, snapshot_key

if TYPE_CHECKING:
    from .kernels import KernelPool
    from .record import SearchRecord

log = logging.getLogger(__name__)


class WorkerKernels:
    """Starts and stops the worker kernels of searches through the server's kernel manager."""

    def __init__(self, kernel_manager: Any, pool: KernelPool) -> None:
        self.km = kernel_manager
        self.pool = pool
        self._by_search: dict[str, list[str]] = {}

    async def start(self, rec: SearchRecord, user_executor: Any) -> SpreadExecutor:
        """N workers with the search's data; raises RuntimeError saying what failed."""
        assert rec.kernel_id is not None
        count = rec.config.workers
        name = getattr(self.km.get_kernel(rec.kernel_id), "kernel_name", None) or "python3"
        path = str(PurePosixPath(rec.notebook_path).parent) if rec.notebook_path else ""
        ids: list[str] = []
        self._by_search[rec.id] = ids
        for _ in range(count):
            ids.append(await self.km.start_kernel(kernel_name=name, path=path or None))
        log.info("aide: search %s started %d worker kernels (%s)", rec.id, count, name)
        members = [Member(rec.kernel_id, user_executor, worker=False, host=self.pool.host())]
        members += [
            Member(kid, self.pool.get(kid), worker=True, host=self.pool.host()) for kid in ids
        ]
        if rec.info.data:
            size = await copy_named_data(
                user_executor,
                [m.executor for m in members[1:]],
                list(rec.info.data),
                snapshot_key(rec.id),
            )
            log.info("aide: search %s gave its workers %d bytes of data", rec.id, size)
        spread = SpreadExecutor(members)
        rec.spread = spread
        return spread

    async def stop(self, rec: SearchRecord) -> None:
        """Shut the search's workers down (its summary keeps them, `running: false`)."""
        ids = self._by_search.pop(rec.id, [])
        for kid in ids:
            await self.pool.discard(kid)
            if kid not in self.km:
                continue  # it died or was shut down already
            try:
                await self.km.shutdown_kernel(kid, now=True)
            except Exception as exc:
                log.warning("aide: could not shut down worker kernel %s: %s", kid, exc)
        spread = rec.spread
        if spread is not None:  # only now: `running: false` in the summary means gone
            rec.workers = [dict(w, running=False) for w in spread.summary()]
            rec.spread = None
        if ids:
            log.info("aide: search %s shut down its %d worker kernels", rec.id, len(ids))

    def ids(self, search_id: str) -> list[str]:
        return list(self._by_search.get(search_id, []))
