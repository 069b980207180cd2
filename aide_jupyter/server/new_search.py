"""A new search's record from a checked create request: its config, ids, run folder and seed.

Kept apart from the manager so the manager is about running searches; this part only turns what
the client asked for into the engine's data (SearchConfig overrides, SearchInfo, the seed node).
"""

from __future__ import annotations

import os
import time
import uuid
from pathlib import Path

from aide_jupyter.search.config import SearchConfig
from aide_jupyter.search.data_folder import folder_problem
from aide_jupyter.search.journal import Journal, SearchInfo
from aide_jupyter.search.seeding import add_seed

from .errors import BadRequest
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


def check_data_folder(req: CreateRequest, config: SearchConfig, root: Path) -> None:
    """BadRequest when the search could not read its data from `data_dir` (only that folder
    feeds it): tables in a subfolder for the builtin coder or a holdout, a target no table has.
    A folder on a gateway kernel's host is checked there instead (prepare.py)."""
    if req.data_dir is None or req.data:
        return
    top_level_only = config.model == "builtin" or req.holdout is not None
    problem = folder_problem(req.data_dir, req.target, top_level_only=top_level_only)
    if problem is None:
        return
    message = problem.reason + problem.fix(req.data_dir)
    if problem.subfolder is not None:  # as the client wrote it: relative to the notebook's folder
        given = os.path.relpath(problem.subfolder, req.notebook_dir or root)
        message += f": give data_dir {Path(given).as_posix()}"
    raise BadRequest(problem.field, message)
