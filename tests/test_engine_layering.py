"""The layering rule: the search engine and the coders import nothing from Jupyter."""

from __future__ import annotations

import subprocess
import sys

JUPYTER_TOP_LEVEL = ("jupyter_server", "jupyter_client", "ipykernel", "IPython", "tornado", "zmq")

PROBE = f"""
import importlib, pkgutil, sys
import aide_jupyter.search as search, aide_jupyter.coders as coders
for package in (search, coders):
    for module in pkgutil.iter_modules(package.__path__):
        importlib.import_module(package.__name__ + "." + module.name)
loaded = sorted({{name.split(".")[0] for name in sys.modules}} & set({JUPYTER_TOP_LEVEL!r}))
print(",".join(loaded))
"""


def test_search_and_coders_load_without_any_jupyter_module() -> None:
    # A fresh interpreter: this test process has Jupyter loaded by the other tests.
    done = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == "", f"search/ or coders/ pulled in: {done.stdout.strip()}"
