"""Server started by Playwright: galata's test settings, the extension, a throw-away root dir."""

from __future__ import annotations

import os
import tempfile

from jupyterlab.galata import configure_jupyter_server

configure_jupyter_server(c)  # noqa: F821 - `c` is the config object Jupyter injects

c.ServerApp.allow_root = True  # noqa: F821 - this machine and CI run as root
c.ServerApp.port = int(os.environ.get("AIDE_UI_TEST_PORT", "8917"))  # noqa: F821
c.ServerApp.root_dir = tempfile.mkdtemp(prefix="aide-ui-tests-")  # noqa: F821
c.ServerApp.open_browser = False  # noqa: F821
