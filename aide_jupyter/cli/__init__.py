"""`jupyter aide run | export | show`: headless searches and journal tools for the terminal.

`entry.main` is the console script (`jupyter-aide`, so `jupyter aide`); options.py holds the
options, run.py the headless search, journal_tools.py `show` and `export`.
"""

from __future__ import annotations

from .entry import main
from .journal_tools import export, show
from .run import check_target, run, spread_over

__all__ = ["check_target", "export", "main", "run", "show", "spread_over"]
