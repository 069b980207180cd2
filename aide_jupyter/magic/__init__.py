"""The `%aide` magic (`%load_ext aide_jupyter`): a thin client of the server extension.

`magics` holds the IPython Magics class; `args` parses the command line, `text` is what it
prints (help, one-line messages), `client` finds and talks to the server, `progress` renders the
live display, `promote` puts a node's code in the next cell, `seed` finds the code `improve`
starts from, and `local` runs the engine inside the kernel when no server extension is reachable.
"""

from __future__ import annotations

from .magics import AideMagics, load_ipython_extension

__all__ = ["AideMagics", "load_ipython_extension"]
