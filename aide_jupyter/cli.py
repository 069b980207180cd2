"""`jupyter aide run | export | show`: headless searches and journal tools for the terminal.

`run` uses its own kernel (StandaloneExecutor) and writes the same run folder as the server:
aide-runs/<id>/journal.ipynb, best_solution.py, tree.html. The first Ctrl-C stops after the running
node, a second abandons it; the journal is flushed either way, and `--resume RUN_DIR` continues.
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
from typing import Any, TextIO

from aide_jupyter.coders import CoderError, default_model
from aide_jupyter.journal import JournalError, JournalWriter, load_journal, write_tree_html
from aide_jupyter.journal.export import write_best_solution
from aide_jupyter.journal.schema import verdict
from aide_jupyter.search.config import POLICIES, ConfigError
from aide_jupyter.search.journal import Journal, SearchInfo

log = logging.getLogger(__name__)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="jupyter aide", description="AIDE tree search tools.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress details")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run a search headless in its own kernel")
    run.add_argument("--goal", help="what to solve and how it is evaluated")
    run.add_argument("--data-dir", help="folder with the data files")
    run.add_argument("--target", help="target column")
    run.add_argument("--eval", default="", help="evaluation protocol, if not in the goal")
    run.add_argument(
        "--steps",
        type=int,
        help="nodes in the tree in all (default 20); with --resume, the new total, so "
        "--steps 8 on a search of 5 nodes runs 3 more",
    )
    run.add_argument(
        "--metric",
        help="the metric to optimise, e.g. accuracy, rmse; with --holdout the harness's metric: "
        "accuracy, balanced_accuracy, f1, roc_auc, log_loss, rmse, mae, r2 or rmsle",
    )
    run.add_argument("--parallel", type=int, help="nodes run at once (default 1)")
    run.add_argument("--policy", choices=POLICIES, help="search policy (default greedy)")
    run.add_argument(
        "--model",
        help="an LLM model name, or 'builtin' (offline baseline). Default: with OPENAI_API_KEY or "
        "OPENAI_BASE_URL set, AIDE_MODEL or gpt-4o-mini; else builtin",
    )
    run.add_argument("--time-limit", type=float, help="wall-clock budget in seconds")
    run.add_argument("--node-timeout", type=float, help="seconds per node (default 600)")
    run.add_argument(
        "--random-seed", type=int, help="seed of the policy and the builtin coder (same tree)"
    )
    run.add_argument("--workers", type=int, help="extra kernels that share the nodes (default 0)")
    run.add_argument(
        "--holdout",
        type=float,
        help="trusted scores: hold out this fraction of train.csv's rows (0 < h <= 0.5) and "
        "score every node on them (needs --target)",
    )
    run.add_argument("--out", default="aide-runs", help="folder for run folders (aide-runs)")
    run.add_argument("--resume", metavar="RUN_DIR", help="continue the search in RUN_DIR")
    export = sub.add_parser("export", help="write tree.html (and best_solution.py) from a journal")
    export.add_argument("journal", help="path to journal.ipynb")
    export.add_argument("--html", help="output HTML file (default: tree.html beside the journal)")
    export.add_argument("--best", help="also write the best solution to this .py file")
    show = sub.add_parser("show", help="print the tree of a journal as a table")
    show.add_argument("journal", help="path to journal.ipynb")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    try:
        if args.command == "show":
            return show(Path(args.journal), sys.stdout)
        if args.command == "export":
            return export(Path(args.journal), args.html, args.best)
        return run(args)
    except (JournalError, CoderError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except ConfigError as exc:
        print(f"error: --{exc.field.replace('_', '-')}: {exc.message}", file=sys.stderr)
        return 2


# ---- show / export ------------------------------------------------------------------------------


def show(path: Path, out: TextIO) -> int:
    info, journal = load_journal(path)
    best = journal.best_node()
    direction = {True: "lower is better", False: "higher is better"}.get(
        journal.lower_is_better,
        "direction not set",  # type: ignore[arg-type]
    )
    totals = journal.totals()
    out.write(f"search {info.id} · {info.status} · {len(journal)} nodes · {direction}\n")
    if info.holdout:
        out.write(
            f"holdout: {info.holdout.get('fraction')} of the rows "
            f"({info.holdout.get('rows') or '?'} rows, {info.holdout.get('metric') or '?'}); "
            "metrics are the harness's scores, '!' marks a report far better than its score\n"
        )
    out.write(f"goal: {info.goal.strip().splitlines()[0] if info.goal.strip() else '-'}\n")
    cost = "unknown" if totals["cost_usd"] is None else f"${totals['cost_usd']:.4f}"
    out.write(
        f"tokens {int(totals['tokens_in'] + totals['tokens_out'])} · "
        f"cost {cost} · exec {totals['exec_time_s']:.1f} s\n\n"
    )
    rows = [("", "id", "step", "stage", "parent", "status", "metric", "time")]
    for node in journal.nodes:
        metric = "-" if node.metric is None else f"{node.metric:.6g}"
        if node.metric_source == "harness":  # holdout score, then the node's own number
            own = "-" if node.reported_metric is None else f"{node.reported_metric:.6g}"
            metric += f" (reported {own}{', !' if node.metric_flag else ''})"
        took = "-" if node.exec_time_s is None else f"{node.exec_time_s:.1f}s"
        mark = "*" if best is not None and node.id == best.id else ""
        rows.append(
            (
                mark,
                node.id,
                str(node.step),
                node.stage,
                node.parent_id or "-",
                f"{node.status}/{verdict(node)}",
                metric,
                took,
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for row in rows:
        out.write("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() + "\n")
    out.write(f"\nbest: {best.id} (metric {best.metric:.6g})\n" if best else "\nbest: none yet\n")
    return 0


def export(path: Path, html: str | None, best: str | None) -> int:
    info, journal = load_journal(path)
    target = Path(html) if html else path.with_name("tree.html")
    write_tree_html(target, info, journal)
    print(f"wrote {target}")
    if best:
        written = write_best_solution(Path(best).parent, info, journal)
        if written is None:
            print("no good node: no best solution written", file=sys.stderr)
        else:
            written.replace(best)
            print(f"wrote {best}")
    return 0


# ---- run ---------------------------------------------------------------------------------------


class Progress:
    """A one-line progress bar on stderr, redrawn on every loop event."""

    def __init__(self, info: SearchInfo, journal: Journal, steps: int, stream: TextIO) -> None:
        self.info, self.journal, self.steps, self.stream = info, journal, steps, stream
        self.tty = stream.isatty()

    def __call__(self, kind: str, payload: Any = None) -> None:
        done = sum(1 for n in self.journal.nodes if n.is_finished)
        width = 24
        filled = min(width, int(width * done / max(self.steps, 1)))
        best = self.journal.best_node()
        best_text = f"best {best.metric:.5g}" if best and best.metric is not None else "no best yet"
        running = [n for n in self.journal.nodes if n.status == "running"]
        now = f" · running {running[-1].stage} {running[-1].id}" if running else ""
        line = (
            f"[{'#' * filled}{'.' * (width - filled)}] {done}/{self.steps} · "
            f"{best_text} · {self.info.status}{now}"
        )
        if self.tty:
            self.stream.write("\r\x1b[2K" + line)
        elif kind == "search" or (
            isinstance(payload, dict) and payload.get("status") in ("done", "failed")
        ):
            self.stream.write(line + "\n")
        self.stream.flush()

    def end(self) -> None:
        if self.tty:
            self.stream.write("\n")
            self.stream.flush()


def check_target(data_dir: Path, target: str) -> str:
    """'' when `target` is a column of a table in `data_dir` (train.* first), else why not."""
    import pandas as pd

    tables = sorted(
        (p for p in data_dir.rglob("*") if p.suffix.lower() in (".csv", ".parquet", ".tsv")),
        key=lambda p: (not p.stem.lower().startswith("train"), len(p.parts), p.name),
    )
    if not tables:
        return ""  # no table to check (images, text, ...): the coder reads the files itself
    first: tuple[Path, list[str]] | None = None
    for path in tables:
        try:
            if path.suffix.lower() == ".parquet":
                columns = [str(c) for c in pd.read_parquet(path).columns]
            else:
                sep = "\t" if path.suffix.lower() == ".tsv" else ","
                columns = [str(c) for c in pd.read_csv(path, nrows=0, sep=sep).columns]
        except Exception as exc:  # unreadable table: the search will say more
            log.info("cannot read the header of %s: %s", path, exc)
            continue
        if target in columns:
            return ""
        first = first or (path, columns)
    if first is None:
        return ""
    from aide_jupyter.search.columns import missing_column

    return missing_column(target, first[1], str(first[0].relative_to(data_dir)))


def _config_from(saved: dict[str, Any], **overrides: Any) -> Any:
    from aide_jupyter.search.config import SearchConfig

    known = {f.name for f in fields(SearchConfig)}
    values = {k: v for k, v in saved.items() if k in known}
    values.update({k: v for k, v in overrides.items() if v is not None})
    return SearchConfig(**values)


def _holdout(args: argparse.Namespace) -> dict[str, Any] | None:
    """--holdout and --metric as SearchInfo.holdout; ValueError names the bad option."""
    from aide_jupyter.search.holdout import resolve_metric

    if args.holdout is None:
        return None
    if not 0 < args.holdout <= 0.5:
        raise ValueError(f"--holdout must be more than 0 and at most 0.5, got {args.holdout}")
    if not args.target:
        raise ValueError("--holdout needs --target (the column scored on the held-out rows)")
    try:
        metric = resolve_metric(args.metric, f"{args.goal}\n{args.eval}")
    except ValueError as exc:
        raise ValueError(f"--metric: {exc}") from None
    return {"fraction": args.holdout, "metric": metric}


def run(args: argparse.Namespace) -> int:
    if args.random_seed is not None and args.random_seed < 0:
        print("error: --random-seed must be 0 or more", file=sys.stderr)
        return 2
    if args.resume:
        writer = JournalWriter(args.resume)
        if writer.loaded is None:
            raise JournalError(Path(args.resume) / "journal.ipynb", "no journal to resume")
        info, journal = writer.loaded
        config = _config_from(
            info.config,
            steps=args.steps,
            model=args.model,
            time_limit_s=args.time_limit,
            node_timeout_s=args.node_timeout,
            parallel=args.parallel,
            workers=args.workers,
            policy=args.policy,
        )
        queued = sum(1 for n in journal.nodes if n.status == "queued")
        if len(journal) >= config.steps and not queued:
            print(
                f"error: the search already has {len(journal)} nodes and --steps is the total: "
                f"give more, e.g. --steps {len(journal) + 5} for 5 more",
                file=sys.stderr,
            )
            return 2
        more = max(0, config.steps - len(journal)) + queued
        print(
            f"resuming {info.id}: {len(journal)} nodes so far, up to {config.steps} in all "
            f"({more} to run)",
            file=sys.stderr,
        )
    else:
        if not args.goal or not args.data_dir:
            print("error: run needs --goal and --data-dir (or --resume RUN_DIR)", file=sys.stderr)
            return 2
        data_dir = Path(args.data_dir).resolve()
        if not data_dir.is_dir():
            print(f"error: --data-dir {data_dir} is not a folder", file=sys.stderr)
            return 2
        if args.target:
            problem = check_target(data_dir, args.target)
            if problem:
                print(f"error: --target: {problem}", file=sys.stderr)
                return 2
        search_id = f"{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}"
        evaluation = args.eval
        if args.metric:
            evaluation = f"{evaluation}\nMetric: {args.metric}".strip()
        try:
            holdout = _holdout(args)
        except ValueError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        info = SearchInfo(
            id=search_id,
            goal=args.goal,
            eval=evaluation,
            data_dir=str(data_dir),
            target=args.target,
            holdout=holdout,
        )
        journal = Journal()
        config = _config_from(
            {},
            steps=args.steps,
            model=args.model or default_model(),
            time_limit_s=args.time_limit,
            node_timeout_s=args.node_timeout,
            parallel=args.parallel,
            workers=args.workers,
            policy=args.policy,
            random_seed=args.random_seed,
        )
        writer = JournalWriter(Path(args.out) / search_id)
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


if __name__ == "__main__":
    sys.exit(main())
