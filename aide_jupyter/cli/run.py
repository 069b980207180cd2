"""`jupyter aide run`: a headless search in its own kernel (StandaloneExecutor).

It writes the same run folder as the server: aide-runs/<id>/journal.ipynb, best_solution.py,
tree.html. The first Ctrl-C stops after the running node, a second abandons it; the journal is
flushed either way, and `--resume RUN_DIR` continues.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import math
import os
import signal
import sys
import time
import uuid
from dataclasses import fields
from pathlib import Path
from typing import Any

from aide_jupyter.coders import default_model, llm_configured, llm_key_hint
from aide_jupyter.journal import JournalError, JournalWriter
from aide_jupyter.search.journal import Journal, SearchInfo
from aide_jupyter.search.seeding import add_seed
from aide_jupyter.search_options import MAX_HOLDOUT

from .data_checks import check_data_dir, read_seed_file
from .progress import Progress

log = logging.getLogger(__name__)


def _config_from(saved: dict[str, Any], args: argparse.Namespace, **more: Any) -> Any:
    """The search's settings: the saved ones (a resumed journal's), then those on the line."""
    from aide_jupyter.search.config import SearchConfig

    given = {
        "steps": args.steps,
        "model": args.model,
        "time_limit_s": args.time_limit,
        "node_timeout_s": args.node_timeout,
        "parallel": args.parallel,
        "workers": args.workers,
        "policy": args.policy,
        "seed_drafts": args.seed_drafts,
        **more,
    }
    known = {f.name for f in fields(SearchConfig)}
    values = {k: v for k, v in saved.items() if k in known}
    values.update({k: v for k, v in given.items() if v is not None})
    return SearchConfig(**values)


def _holdout(args: argparse.Namespace) -> dict[str, Any] | None:
    """--holdout and --metric as SearchInfo.holdout; ValueError names the bad option."""
    from aide_jupyter.search.holdout import resolve_metric

    if args.holdout is None:
        return None
    if not 0 < args.holdout <= MAX_HOLDOUT:
        raise ValueError(
            f"--holdout must be more than 0 and at most {MAX_HOLDOUT:g}, got {args.holdout}"
        )
    if not args.target:
        raise ValueError("--holdout needs --target (the column scored on the held-out rows)")
    try:
        metric = resolve_metric(args.metric, f"{args.goal}\n{args.eval}")
    except ValueError as exc:
        raise ValueError(f"--metric: {exc}") from None
    return {"fraction": args.holdout, "metric": metric}


class Refused(Exception):
    """An input `run` cannot work with: the one line to print (exit status 2)."""


Prepared = tuple[SearchInfo, Journal, Any, JournalWriter]


def _resumed(args: argparse.Namespace) -> Prepared:
    """The search in --resume's run folder, with the settings on the line applied."""
    from .journal_tools import journal_path

    if args.seed:
        raise Refused("--seed starts a new search; a resumed one keeps its own")
    writer = JournalWriter(journal_path(args.resume).parent)  # a run folder or its journal
    if writer.loaded is None:
        raise JournalError(Path(args.resume) / "journal.ipynb", "no journal to resume")
    info, journal = writer.loaded
    config = _config_from(info.config, args)  # its seed stays: the same tree goes on
    queued = sum(1 for n in journal.nodes if n.status == "queued")
    if len(journal) >= config.steps and not queued:
        raise Refused(
            f"the search already has {len(journal)} nodes and --steps is the total: "
            f"give more, e.g. --steps {len(journal) + 5} for 5 more"
        )
    _check_llm(config.model)
    more = max(0, config.steps - len(journal)) + queued
    print(
        f"resuming {info.id}: {len(journal)} nodes so far, up to {config.steps} in all "
        f"({more} to run)",
        file=sys.stderr,
    )
    return info, journal, config, writer


def _new_search(args: argparse.Namespace) -> Prepared:
    """A new search from the line, every input checked before a run folder is made."""
    from aide_jupyter.search.holdout import metric_typo_message

    if not args.goal or not args.data_dir:
        raise Refused("run needs --goal and --data-dir (or --resume RUN_DIR)")
    data_dir = Path(args.data_dir).resolve()
    if not data_dir.is_dir():
        raise Refused(f"--data-dir {data_dir} is not a folder")
    model = args.model or default_model()
    problem = check_data_dir(
        data_dir, args.target, top_level_only=model == "builtin" or args.holdout is not None
    )
    if problem:
        raise Refused(problem)
    typo = metric_typo_message(args.metric) if args.metric else None
    if typo:
        raise Refused(f"--metric: {typo}")
    evaluation = args.eval
    if args.metric:
        evaluation = f"{evaluation}\nMetric: {args.metric}".strip()
    try:
        holdout = _holdout(args)
        seed_code = read_seed_file(args.seed) if args.seed else None
    except ValueError as exc:
        raise Refused(str(exc)) from None
    config = _config_from({}, args, model=model, random_seed=args.random_seed)
    _check_llm(config.model)
    info = SearchInfo(
        id=f"{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}",
        goal=args.goal,
        eval=evaluation,
        data_dir=str(data_dir),
        target=args.target,
        holdout=holdout,
    )
    journal = Journal()
    if seed_code is not None:  # the user's code is the root node (stage seed)
        _warn_relative_paths(seed_code, data_dir)
        info.seed = {"node_id": add_seed(journal, seed_code).id, "cell_id": None}
    return info, journal, config, JournalWriter(Path(args.out) / info.id)


def run(args: argparse.Namespace) -> int:
    try:
        if args.random_seed is not None and args.random_seed < 0:
            raise Refused("--random-seed must be 0 or more")
        info, journal, config, writer = _resumed(args) if args.resume else _new_search(args)
    except Refused as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    writer.bind(info, journal)
    try:
        reason = asyncio.run(_run_search(info, journal, config, writer))
    finally:
        writer.close()
    best = journal.best_node()
    print(f"run folder: {writer.run_dir}")
    print(f"{info.status}: {reason}")
    if info.status == "paused":
        print(f"resume: jupyter aide run --resume {writer.run_dir}")
    if best is not None and best.metric is not None and math.isfinite(best.metric):
        solution = writer.run_dir / "best_solution.py"
        print(f"best: node {best.id} metric {best.metric:.6g} -> {solution}")
    else:
        print("best: no working solution yet")
    if info.pause_cause == "llm":
        return 1  # the endpoint could not serve: a script must notice
    return 0 if info.status in ("done", "stopped", "paused") else 1


def _check_llm(model: str) -> None:
    """Refused for an LLM model without a key or an endpoint to call."""
    if model != "builtin" and not llm_configured():
        raise Refused(llm_key_hint(model))


def _warn_relative_paths(code: str, data_dir: Path) -> None:
    from .data_checks import relative_data_paths

    paths = relative_data_paths(code, [Path.cwd(), data_dir])
    if paths:
        shown = ", ".join(repr(p) for p in paths[:3])
        sys.stderr.write(
            f"warning: --seed reads {shown} by a relative path, but every node runs in its own "
            f"folder: use absolute paths (the data folder is {data_dir})\n"
        )


def _coder_line(model: str, coder: Any) -> str:
    if model == "builtin":
        return "builtin (offline baseline, no LLM: set OPENAI_API_KEY or OPENAI_BASE_URL for one)"
    return f"LLM {model} at {getattr(coder, 'endpoint', '?')}"


async def _run_search(
    info: SearchInfo, journal: Journal, config: Any, writer: JournalWriter
) -> str:
    from aide_jupyter.coders import make_coder
    from aide_jupyter.executors.standalone import StandaloneExecutor
    from aide_jupyter.search.loop import SearchLoop
    from aide_jupyter.search.preview import describe_dir, installed_packages

    data_dir = info.data_dir or os.getcwd()
    coder = make_coder(config.model)
    sys.stderr.write(f"coder: {_coder_line(config.model, coder)}\n")
    progress = Progress(info, journal, config.steps, sys.stderr)
    writer.run_dir.mkdir(parents=True, exist_ok=True)
    kernels = [
        StandaloneExecutor(
            cwd=data_dir,
            kernel_log=str(writer.run_dir / "kernel.log"),  # keep the progress bar readable
            parallel=config.parallel,
            memory_limit_mb=config.memory_limit_mb,
        )
        for _ in range(1 + config.workers)
    ]
    executor: Any = kernels[0]
    if config.workers:  # one kernel per worker, each in the data folder: nodes spread over all
        executor = await spread_over(kernels)
    search = SearchLoop(
        info,
        journal,
        config,
        coder,
        executor,
        writer.run_dir,
        data_overview=describe_dir(data_dir, config.overview_max_chars),
        packages=[f"{k} {v}" for k, v in installed_packages().items()],
        listeners=[writer, progress],
    )
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    interrupts = 0

    def on_sigint() -> None:
        nonlocal interrupts
        interrupts += 1
        if interrupts == 1:
            sys.stderr.write("\nstopping after the running node (Ctrl-C again to abandon it)\n")
            search.request_stop()
        elif task is not None:
            task.cancel()

    loop.add_signal_handler(signal.SIGINT, on_sigint)
    try:
        if info.holdout:  # describe the training copy the nodes get, not the whole folder
            from aide_jupyter.search.holdout import HoldoutSetupError

            split = None
            with contextlib.suppress(HoldoutSetupError):  # run() then fails, saying why
                split = await search.prepare_holdout()
            if split and split.get("data_dir"):
                search.data_overview = describe_dir(split["data_dir"], config.overview_max_chars)
        return await search.run()
    except asyncio.CancelledError:
        return info.stop_reason or "cancelled"
    finally:
        loop.remove_signal_handler(signal.SIGINT)
        progress.end()
        for kernel in kernels:
            await kernel.close()


async def spread_over(kernels: list[Any]) -> Any:
    """Start the standalone kernels and spread nodes over them (the first is the main one)."""
    from aide_jupyter.executors.spread import Member, SpreadExecutor

    members = []
    for i, kernel in enumerate(kernels):
        await kernel.start()
        members.append(Member(str(kernel.km.kernel_id), kernel, worker=i > 0))
    return SpreadExecutor(members)
