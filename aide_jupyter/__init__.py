"""aide-jupyter: AIDE's tree search over ML solution scripts, inside Jupyter."""

from __future__ import annotations

try:
    from ._version import __version__
except ImportError:  # pragma: no cover - only in a source tree that was never built
    import warnings

    warnings.warn(
        "Importing 'aide_jupyter' outside a proper installation (pip install -e .).", stacklevel=2
    )
    __version__ = "dev"


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    return [{"src": "labextension", "dest": "aide-jupyter"}]


def load_ipython_extension(ipython: object) -> None:
    """`%load_ext aide_jupyter`: registers the `%aide` magic (imported lazily, IPython only)."""
    from .magic import load_ipython_extension as load

    load(ipython)


def _jupyter_server_extension_points() -> list[dict[str, object]]:
    from .server.app import AideExtension

    return [{"module": "aide_jupyter", "app": AideExtension}]
