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

if os.environ.get("AIDE_BENCH") == "1":
    # A synthetic 1,000-node search for tests/bench.spec.ts, found by the server's start-up scan.
    import random

    from aide_jupyter.journal import write_journal
    from aide_jupyter.search.journal import Journal, Node, SearchInfo

    rng = random.Random(0)
    journal = Journal(lower_is_better=False)
    for i in range(1000):
        parent = None if i < 5 else f"n{rng.randrange(max(1, i - 50), i):04d}"
        buggy = rng.random() < 0.2
        journal.add(
            Node(
                id=f"n{i:04d}",
                step=i,
                stage="draft" if parent is None else "improve",
                parent_id=parent,
                plan=f"synthetic node {i}",
                code=f"# %% step {i}\nx = {i}\n# %% fit\nprint({i})\n",
                status="done",
                metric=None if buggy else round(0.8 + 0.15 * rng.random(), 4),
                lower_is_better=False,
                is_buggy=buggy,
                exec_time_s=0.1,
            )
        )
    info = SearchInfo(id="bench-1000", goal="synthetic 1,000-node search", status="done")
    write_journal(
        os.path.join(c.ServerApp.root_dir, "aide-runs", "bench-1000", "journal.ipynb"),  # noqa: F821
        info,
        journal,
    )
