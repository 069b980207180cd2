"""`jupyter aide run | export | show`: parse the line, run the subcommand, one-line errors."""

from __future__ import annotations

import logging
import os
import sys

from aide_jupyter.coders import CoderError
from aide_jupyter.journal import JournalError
from aide_jupyter.search.config import ConfigError

from .journal_tools import export, journal_path, show
from .options import parser
from .run import run


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    try:
        if args.command == "show":
            return show(journal_path(args.journal), sys.stdout)
        if args.command == "export":
            return export(journal_path(args.journal), args.html, args.best)
        return run(args)
    except (JournalError, CoderError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except ConfigError as exc:
        print(f"error: {option_of(exc.field)}: {exc.message}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `jupyter aide show ... | head`: the reader has what it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except OSError as exc:  # a folder or file that cannot be made or written (--out, --html...)
        if args.verbose:
            logging.exception("%s failed", args.command)
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"error: {where}{exc.strerror or exc}", file=sys.stderr)
        return 1


# SearchConfig fields whose option on the command line has another name.
_OPTION_NAMES = {"time_limit_s": "--time-limit", "node_timeout_s": "--node-timeout"}


def option_of(field: str) -> str:
    """The command-line option that sets the SearchConfig field `field`."""
    return _OPTION_NAMES.get(field, "--" + field.replace("_", "-"))
