"""The `%aide` magic (`%load_ext aide_jupyter`): a thin client of the server extension.

`magics` holds the IPython Magics class; `args` parses the command line, `client` finds and talks
to the server, `progress` renders the live display, and `local` runs the engine inside the kernel
when no server extension is reachable.
"""

from __future__ import annotations

from .magics import AideMagics, load_ipython_extension

__all__ = ["AideMagics", "load_ipython_extension"]
