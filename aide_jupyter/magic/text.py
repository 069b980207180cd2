"""What `%aide` prints: its help, and the one-line messages of every subcommand."""

from __future__ import annotations

import sys

from ..search_options import help_lines

_HELP = """Run AIDE's tree search over ML solution scripts in this kernel.

Start a search (returns at once; a live progress display keeps updating):
  %aide optimize [options] "GOAL"
  %%aide optimize [options]          (the goal and evaluation in the cell body)

Start from your own code (it becomes the root of the tree; the search debugs or improves it):
  %%aide improve [options] "GOAL"    (your code in the cell body)
  %aide improve --cell N [options] "GOAL"   (the cell whose label is [N])
  %aide improve --above [options] "GOAL"    (the code cell above, from the saved notebook)
{improve}

Options of optimize:
{options}

Steer searches (SEARCH_ID defaults to the last one started here):
  %aide status [SEARCH_ID]      the progress, updating until the search ends
  %aide stop [--finish-running] [SEARCH_ID]   no new nodes; running ones end now (or finish)
  %aide pause [SEARCH_ID]       like stop, but resume continues it
  %aide resume [SEARCH_ID]      continue a paused search
  %aide best [SEARCH_ID]        put the best solution's code in a new cell below (while the
                                search has none yet, says so: run it again later)
  %aide promote NODE [SEARCH_ID]  put node NODE's code in a new cell below; NODE as the panel
                                shows it (#3, or 3: the step) or a node id or id prefix
  %aide list                    all searches
  %aide help                    this text (also %aide?)

Solutions are inserted as one cell whose parts are separated by `# %%` lines (front ends keep
only one "next input" per execution). The tree is in the AIDE side panel; every search also
writes aide-runs/<search-id>/journal.ipynb, best_solution.py and tree.html beside the notebook.

Server: found through AIDE_SERVER_URL and AIDE_SERVER_TOKEN when set, else the Jupyter server
that started this kernel. Without one (VS Code, jupyter console, another server) the search
runs inside this kernel in a background thread, with the same engine and journal.
"""
HELP = _HELP.format(improve="\n".join(help_lines("improve")), options="\n".join(help_lines()))


def error(message: str) -> None:
    print(f"aide: {message}", file=sys.stderr)


def say(message: str) -> None:
    print(f"aide: {message}")
