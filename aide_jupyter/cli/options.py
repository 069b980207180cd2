"""The options of `jupyter aide` (argparse): what each subcommand takes, with its help."""

from __future__ import annotations

import argparse

from aide_jupyter.search.config import POLICIES


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="jupyter aide", description="AIDE tree search tools.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress details")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser(
        "run",
        help="run a search headless in its own kernel",
        description="Run a search headless in its own kernel; it writes aide-runs/<id>/ "
        "(journal.ipynb, best_solution.py, tree.html). Ctrl-C stops after the running node.",
        epilog='example: jupyter aide run --goal "predict progression; metric RMSE" '
        "--data-dir data --target progression --steps 10",
    )
    run.add_argument("--goal", metavar="TEXT", help="what to solve and how it is evaluated")
    run.add_argument("--data-dir", metavar="DIR", help="folder with the data files")
    run.add_argument("--target", metavar="COL", help="target column")
    run.add_argument(
        "--eval", metavar="TEXT", default="", help="evaluation protocol, if not in the goal"
    )
    run.add_argument(
        "--steps",
        metavar="N",
        type=int,
        help="nodes in the tree in all (default 20); with --resume, the new total, so "
        "--steps 8 on a search of 5 nodes runs 3 more",
    )
    run.add_argument(
        "--metric",
        metavar="NAME",
        help="the metric to optimise, e.g. accuracy, rmse; with --holdout the harness's metric: "
        "accuracy, balanced_accuracy, f1, roc_auc, log_loss, rmse, mae, r2 or rmsle",
    )
    run.add_argument("--parallel", metavar="K", type=int, help="nodes run at once (default 1)")
    run.add_argument("--policy", choices=POLICIES, help="search policy (default greedy)")
    run.add_argument(
        "--model",
        metavar="NAME",
        help="an LLM model name, or 'builtin' (offline baseline). Default: with OPENAI_API_KEY or "
        "OPENAI_BASE_URL set, AIDE_MODEL or gpt-4o-mini; else builtin",
    )
    run.add_argument(
        "--time-limit", metavar="SECONDS", type=float, help="wall-clock budget in seconds"
    )
    run.add_argument(
        "--node-timeout", metavar="SECONDS", type=float, help="seconds per node (default 600)"
    )
    run.add_argument(
        "--random-seed",
        metavar="N",
        type=int,
        help="seed of the policy and the builtin coder (same tree)",
    )
    run.add_argument(
        "--workers", metavar="N", type=int, help="extra kernels that share the nodes (default 0)"
    )
    run.add_argument(
        "--holdout",
        metavar="FRACTION",
        type=float,
        help="trusted scores: hold out this fraction of train.csv's rows (0 < h <= 0.5) and "
        "score every node on them (needs --target)",
    )
    run.add_argument(
        "--seed",
        metavar="FILE",
        help="start from your own code: a .py script that loads, fits and prints its metric; "
        "it is the root node, debugged or improved first (it runs in its own folder: read data "
        "by absolute path)",
    )
    run.add_argument(
        "--seed-drafts",
        metavar="N",
        type=int,
        help="with --seed: fresh drafts made beside your code (default 2; 0: only build on it)",
    )
    run.add_argument(
        "--out", metavar="DIR", default="aide-runs", help="folder for run folders (aide-runs)"
    )
    run.add_argument("--resume", metavar="RUN_DIR", help="continue the search in RUN_DIR")
    export = sub.add_parser("export", help="write tree.html (and best_solution.py) from a journal")
    export.add_argument("journal", help="a run folder (aide-runs/<id>) or its journal.ipynb")
    export.add_argument("--html", help="output HTML file (default: tree.html beside the journal)")
    export.add_argument("--best", help="also write the best solution to this .py file")
    show = sub.add_parser("show", help="print the tree of a journal as a table")
    show.add_argument("journal", help="a run folder (aide-runs/<id>) or its journal.ipynb")
    return parser
