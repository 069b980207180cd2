"""The layering rules, checked on the source: search/ and coders/ import nothing from Jupyter, the
engine imports nothing from the coders (the Coder protocol is the engine's port, search/coder.py),
and no import circles anywhere in aide_jupyter/ (package `__init__` re-exports aside)."""

from __future__ import annotations

import ast
import graphlib
import subprocess
import sys
from pathlib import Path

import aide_jupyter

JUPYTER_TOP_LEVEL = ("jupyter_server", "jupyter_client", "ipykernel", "IPython", "tornado", "zmq")
ROOT = Path(aide_jupyter.__file__).parent

PROBE = f"""
import importlib, pkgutil, sys
import aide_jupyter.search as search, aide_jupyter.coders as coders
for package in (search, coders):
    for module in pkgutil.iter_modules(package.__path__):
        importlib.import_module(package.__name__ + "." + module.name)
loaded = sorted({{name.split(".")[0] for name in sys.modules}} & set({JUPYTER_TOP_LEVEL!r}))
print(",".join(loaded))
"""


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_module(name: str) -> bool:
    """Is `name` (an aide_jupyter dotted name) a module or package of ours, not a name in one?"""
    where = ROOT.parent.joinpath(*name.split("."))
    return where.with_suffix(".py").is_file() or (where / "__init__.py").is_file()


def import_graph() -> dict[str, set[str]]:
    """Module -> the aide_jupyter modules it imports anywhere in its source (top level, inside
    functions, under TYPE_CHECKING): a lazy import is still a dependency. `__init__` modules are
    left out as importers, since their re-exports are how a package shows its surface."""
    graph: dict[str, set[str]] = {}
    for path in sorted(ROOT.rglob("*.py")):
        name = _module_name(path)
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        edges: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                edges |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*anchor, base] if base else anchor)
                for alias in node.names:
                    sub = f"{base}.{alias.name}"
                    ours = base.split(".")[0] == ROOT.name
                    edges.add(sub if ours and _is_module(sub) else base)
        edges = {e for e in edges if e.split(".")[0] == ROOT.name and e != name}
        graph[name] = set() if path.name == "__init__.py" else edges
    return graph


def test_the_import_graph_sees_lazy_and_type_checking_imports() -> None:
    graph = import_graph()
    assert "aide_jupyter.search.journal" in graph["aide_jupyter.search.loop"]
    assert "aide_jupyter.magic.local" in graph["aide_jupyter.magic.magics"]  # inside a method
    assert "aide_jupyter.server.manager" in graph["aide_jupyter.server.routes"]  # TYPE_CHECKING


def test_no_import_circles_in_aide_jupyter() -> None:
    try:
        tuple(graphlib.TopologicalSorter(import_graph()).static_order())
    except graphlib.CycleError as exc:
        raise AssertionError(f"import circle: {' -> '.join(exc.args[1])}") from None


# The house's layers (docs/architecture.md): a package imports only packages of lower layers, and
# the adapters of the middle layer know the engine, not each other. The package root (the version)
# may be imported from anywhere. `search_options` (the table of a search's options, stdlib only)
# sits beside the engine: the magic and the server both read it.
LAYERS = (
    ("search", "search_options"),
    ("coders", "executors", "journal"),
    ("server", "magic", "cli"),
)


def test_each_layer_imports_only_the_layers_below() -> None:
    layer_of = {package: rank for rank, names in enumerate(LAYERS) for package in names}
    wrong = set()
    for module, targets in import_graph().items():
        package = module.split(".")[1] if "." in module else ""
        for target in targets:
            other = target.split(".")[1] if "." in target else ""
            if package not in layer_of or other in ("", package):
                continue
            if other not in layer_of or layer_of[other] >= layer_of[package]:
                wrong.add(f"{module} imports {target}")
    assert not wrong, f"imports against the layers: {sorted(wrong)}"
    assert set(layer_of) | {"_version"} >= {m.split(".")[1] for m in import_graph() if "." in m}


def test_search_imports_nothing_from_the_coders() -> None:
    wrong = {
        f"{module} imports {target}"
        for module, targets in import_graph().items()
        if module.startswith("aide_jupyter.search")
        for target in targets
        if target.startswith("aide_jupyter.coders")
    }
    assert not wrong, f"the engine must not know the coders: {sorted(wrong)}"


def test_search_and_coders_load_without_any_jupyter_module() -> None:
    # A fresh interpreter: this test process has Jupyter loaded by the other tests.
    done = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == "", f"search/ or coders/ pulled in: {done.stdout.strip()}"
