"""Worker data travels in chunks: the user's frame arrives whole in every worker, nothing is left."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from jupyter_client.manager import KernelManager

from aide_jupyter.executors import KernelExecutor
from aide_jupyter.server import worker_data
from tests.support_executor import user_kernel_running

pytestmark = pytest.mark.timeout(180)

CHECKSUM = "int(__import__('pandas').util.hash_pandas_object(df).sum())"


@pytest.fixture(scope="module")
def worker_kernel() -> Iterator[dict]:
    """A kernel of our own, as a worker is: nothing in its namespace yet."""
    km = KernelManager(kernel_name="python3")
    km.start_kernel()
    try:
        client = km.blocking_client()
        client.start_channels(hb=False)
        client.wait_for_ready(timeout=60)
        client.stop_channels()
        yield km.get_connection_info(session=False)
    finally:
        km.shutdown_kernel(now=True)


@pytest.fixture(scope="module")
def user_kernel() -> Iterator[dict]:
    """The user's kernel, holding the 1,000-row frame `df`."""
    with user_kernel_running() as info:
        yield info


async def test_a_frame_over_many_chunks_arrives_whole(
    user_kernel: dict, worker_kernel: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(worker_data, "CHUNK_BYTES", 4096)  # the 1,000-row frame: 5 chunks
    user, worker = KernelExecutor(user_kernel), KernelExecutor(worker_kernel)
    try:
        before = await user.evaluate("sorted(k for k in globals() if not k.startswith('_'))")
        key = worker_data.snapshot_key("20261202-0800-ab12")
        size = await worker_data.copy_named_data(user, [worker], ["df"], key)
        assert size > 4 * 4096
        assert await worker.evaluate(CHECKSUM) == await user.evaluate(CHECKSUM)
        assert await worker.evaluate("df.shape") == "(1000, 2)"
        # Nothing left behind: no chunks on either side, the user's names unchanged.
        gone = f"hasattr(__import__('sys'), {key!r})"
        assert await user.evaluate(gone) == "False"
        assert await worker.evaluate(gone) == "False"
        after = await user.evaluate("sorted(k for k in globals() if not k.startswith('_'))")
        assert after == before
    finally:
        await user.close()
        await worker.close()


async def test_unpicklable_data_fails_with_the_step_and_leaves_nothing(
    user_kernel: dict, worker_kernel: dict
) -> None:
    user, worker = KernelExecutor(user_kernel), KernelExecutor(worker_kernel)
    try:
        await user.execute("import threading\nlock = threading.Lock()")
        key = worker_data.snapshot_key("s")
        with pytest.raises(RuntimeError, match="while pickling lock in the user's kernel"):
            await worker_data.copy_named_data(user, [worker], ["lock"], key)
        assert await user.evaluate(f"hasattr(__import__('sys'), {key!r})") == "False"
        assert await worker.evaluate("'lock' in globals()") == "False"
    finally:
        await user.close()
        await worker.close()
