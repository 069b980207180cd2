"""`python -m aide_jupyter.cli`: the same as `jupyter aide`."""

from __future__ import annotations

import sys

from .entry import main

sys.exit(main())
