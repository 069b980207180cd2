"""The data overview runs in a child of the kernel (fork or the portable worker), sampled and
bounded: previewing a large on-disk Parquet file leaves the user kernel's memory where it was."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import psutil
import pytest

from aide_jupyter.executors import KernelExecutor
from tests.support_executor import Frontend, needs_fork, user_kernel_running

pytestmark = pytest.mark.timeout(240)
ROWS = 3_000_000


@pytest.fixture(scope="module")
def user_kernel() -> Iterator[dict]:
    with user_kernel_running() as info:
        yield info


@pytest.fixture(scope="module")
def big_parquet(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("bigdata")
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(ROWS, 12)), columns=[f"f{i}" for i in range(12)])
    frame.to_parquet(folder / "train.parquet", row_group_size=100_000)  # ~290 MB in memory
    return folder


async def _watch_rss(proc: psutil.Process, peak: list[float], stop: asyncio.Event) -> None:
    """The kernel's highest resident memory while the preview runs (freed arrays lower RSS
    again, so only the peak tells whether the kernel itself read the file)."""
    while not stop.is_set():
        peak[0] = max(peak[0], proc.memory_info().rss / 2**20)
        await asyncio.sleep(0.01)


@pytest.mark.parametrize("mode", [pytest.param("fork", marks=needs_fork), "spawn"])
async def test_preview_of_a_big_parquet_file_keeps_kernel_memory(
    user_kernel: dict, big_parquet: Path, mode: str
) -> None:
    user = Frontend(user_kernel)
    ex = KernelExecutor(user_kernel, mode=mode)
    try:
        await ex.start()
        kernel = psutil.Process(int(await user.evaluate("__import__('os').getpid()")))
        before = kernel.memory_info().rss / 2**20
        peak, stop = [before], asyncio.Event()
        watcher = asyncio.ensure_future(_watch_rss(kernel, peak, stop))
        text = await ex.describe_dir(str(big_parquet))
        stop.set()
        await watcher
        assert "train.parquet" in text and f"of {ROWS} rows" in text, text
        assert "f11" in text
        assert peak[0] - before < 40, (before, peak[0])
        frames = await ex.describe_data(["df"])
        assert "1000 rows x 2 columns" in frames
    finally:
        await ex.close()
        user.close()
