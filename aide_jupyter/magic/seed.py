"""Where `%aide improve` finds the user's code: the cell body, a cell by its [N], the cell above.

The kernel cannot read the notebook: it only knows what it executed. So `--cell N` takes the
input of execution count N from the kernel's history (works in every front end), and `--above`
asks the Jupyter server for the saved notebook (`GET /api/contents/<path>`) and takes the code
cell above this one, found by the cell id JupyterLab sends with every execute request. Unsaved
edits of that cell are not seen: the error and the docs say to save first.
"""

from __future__ import annotations

import urllib.parse
from typing import Any

from .args import OptimizeArgs, UsageError
from .client import Server, ServerError

ABOVE_NEEDS = (
    "--above reads the saved notebook through the Jupyter server and needs JupyterLab's cell id; "
    "{why}. Use --cell N (the [N] of the cell) or put the code in a %%aide improve cell"
)


def this_cell_id(shell: Any) -> str | None:
    """The id of the cell being executed, when the front end sent it (JupyterLab does)."""
    kernel = getattr(shell, "kernel", None)
    get_parent = getattr(kernel, "get_parent", None)
    if get_parent is None:
        return None
    try:
        parent = get_parent("shell") or {}
    except TypeError:  # ipykernel < 6: no channel argument
        parent = get_parent() or {}
    cell_id = (parent.get("metadata") or {}).get("cellId")
    return cell_id if isinstance(cell_id, str) and cell_id else None


def history_cell(shell: Any, number: int) -> str:
    """The input of execution count `number` as the user typed it."""
    history = list(getattr(shell.history_manager, "input_hist_raw", []) or [])
    current = int(getattr(shell, "execution_count", len(history)))
    if not 0 < number < min(len(history), current):
        last = min(len(history), current) - 1
        raise UsageError(
            f"--cell {number}: no such input in this kernel (cells run so far: 1 to {last}); "
            "N is the number in the cell's [N] label"
        )
    code = history[number]
    if code.lstrip().startswith(("%aide", "%%aide")):
        raise UsageError(f"--cell {number} is an %aide cell itself; name the cell with your model")
    if not code.strip():
        raise UsageError(f"--cell {number} is empty")
    return code


def cell_above(server: Server | None, path: str | None, cell_id: str | None) -> tuple[str, str]:
    """(code, cell id) of the nearest non-empty code cell above `cell_id` in the saved notebook."""
    if server is None:
        raise UsageError(ABOVE_NEEDS.format(why="no Jupyter server with AIDE was found"))
    if not path:
        raise UsageError(ABOVE_NEEDS.format(why="this kernel belongs to no notebook session"))
    if not cell_id:
        raise UsageError(ABOVE_NEEDS.format(why="the front end did not send a cell id"))
    quoted = urllib.parse.quote(path)
    try:
        model = server.request("GET", f"api/contents/{quoted}?type=notebook&content=1")
    except ServerError as exc:
        raise UsageError(f"--above: cannot read {path} from the server ({exc.message})") from None
    cells = (model.get("content") or {}).get("cells") or []
    index = next((i for i, c in enumerate(cells) if c.get("id") == cell_id), None)
    if index is None:
        raise UsageError(
            f"--above: this cell is not in the saved {path}; save the notebook (Ctrl+S) and run "
            "the cell again"
        )
    for cell in reversed(cells[:index]):
        source = cell.get("source")
        code = "".join(source) if isinstance(source, list) else str(source or "")
        if cell.get("cell_type") == "code" and code.strip():
            return code, str(cell.get("id") or "")
    raise UsageError(f"--above: there is no code cell above this one in the saved {path}")


def resolve_seed(
    args: OptimizeArgs, shell: Any, server: Server | None, path: str | None
) -> dict[str, Any]:
    """The `seed` of the POST body: {code, cell_id?} from the body, --cell or --above."""
    own_id = this_cell_id(shell)
    if args.seed_code is not None:
        seed: dict[str, Any] = {"code": args.seed_code, "cell_id": own_id}
    elif args.seed_cell is not None:
        seed = {"code": history_cell(shell, args.seed_cell), "cell_id": None}
    else:
        code, above_id = cell_above(server, path, own_id)
        seed = {"code": code, "cell_id": above_id or None}
    return {k: v for k, v in seed.items() if v is not None}
