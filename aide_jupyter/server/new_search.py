"""A new search's record from a checked create request: its config, ids, run folder and seed.

Kept apart from the manager so the manager is about running searches; this part only turns what
the client asked for into the engine's data (SearchConfig overrides, SearchInfo, the seed node).
"""

from __future__ import annotations

import time
import uuid
from pathlib import Path

from aide_jupyter.search.config import SearchConfig
from aide_jupyter.search.journal import Journal, SearchInfo
from aide_jupyter.search.seeding import add_seed

from .record import SearchRecord
from .validation import CreateRequest


def new_record(req: CreateRequest, config: SearchConfig, root: Path, runs_dir: str) -> SearchRecord:
    """The record of a new search, its journal empty but for the user's code (the seed), if any."""
    search_id = f"{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:4]}"
    run_dir = (req.notebook_dir or root) / runs_dir / search_id
    evaluation = req.eval
    if req.metric:
        evaluation = f"{evaluation}\nMetric: {req.metric}".strip()
    info = SearchInfo(
        id=search_id,
        goal=req.goal,
        eval=evaluation,
        data=req.data,
        data_dir=str(req.data_dir) if req.data_dir else None,
        target=req.target,
        notebook_path=req.notebook_path,
        kernel_id=req.kernel_id,
        holdout=req.holdout,
    )
    journal = Journal()
    if req.seed_code is not None:
        seed = add_seed(journal, req.seed_code)
        info.seed = {"node_id": seed.id, "cell_id": req.seed_cell_id}
    return SearchRecord(info, journal, config, run_dir, root)
