"""`jupyter aide run | export | show`: headless searches and journal tools for the terminal.

`entry.main` is the console script (`jupyter-aide`, so `jupyter aide`); options.py holds the
options, run.py the headless search (data_checks.py its up-front checks of the data folder),
journal_tools.py `show` and `export`.
"""

from __future__ import annotations

from .data_checks import check_data_dir
from .entry import main
from .journal_tools import export, show
from .run import run, spread_over

__all__ = ["check_data_dir", "export", "main", "run", "show", "spread_over"]
