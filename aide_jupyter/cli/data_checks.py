"""Up-front checks of `jupyter aide run`'s inputs (the data folder, the target, the seed file):
fail in one line before the search starts, not in every node.
"""

from __future__ import annotations

from pathlib import Path

from aide_jupyter.search.data_folder import folder_problem


def check_data_dir(data_dir: Path, target: str | None, *, top_level_only: bool) -> str:
    """'' when a search can read its data from `data_dir`, else the one-line reason, starting
    with the option to change. `top_level_only`: the builtin coder or a holdout will read it."""
    problem = folder_problem(data_dir, target, top_level_only=top_level_only)
    if problem is None:
        return ""
    option = "--" + problem.field.replace("_", "-")
    line = f"{option}: {problem.reason}{problem.fix(data_dir)}"
    return line + (f": pass --data-dir {problem.subfolder}" if problem.subfolder else "")


def read_seed_file(given: str) -> str:
    """The code of `--seed FILE`; ValueError with the one-line reason when it cannot be used."""
    from aide_jupyter.search.seeding import MAX_SEED_CHARS

    path = Path(given).expanduser()
    if path.suffix.lower() == ".ipynb":
        raise ValueError(
            f"--seed: {given} is a notebook; give a .py script (jupyter nbconvert --to script "
            "makes one), or use %%aide improve on the cell in the notebook"
        )
    try:
        code = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ValueError(f"--seed: {given}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"--seed: cannot read {given} as UTF-8 text ({exc})") from None
    if not code.strip():
        raise ValueError(f"--seed: {given} is empty; give the script to start from")
    if len(code) > MAX_SEED_CHARS:
        raise ValueError(
            f"--seed: {given} has {len(code):,} characters, more than {MAX_SEED_CHARS:,}"
        )
    return code


def relative_data_paths(code: str, bases: list[Path]) -> list[str]:
    """Files the seed opens by a relative path that exists from one of `bases`, as the first
    argument of a call (`pd.read_csv("train.csv")`, not `DATA / "train.csv"`): they will not be
    found, since every node runs in its own folder."""
    import ast

    try:
        tree = ast.parse(code)
    except SyntaxError:
        return []  # the seed runs as written; the debug step will see the error
    found: list[str] = []
    for call in ast.walk(tree):
        if not isinstance(call, ast.Call) or not call.args:
            continue
        first = call.args[0]
        if not isinstance(first, ast.Constant) or not isinstance(first.value, str):
            continue
        text = first.value
        if not text or "\n" in text or len(text) > 300 or Path(text).is_absolute():
            continue
        if any((base / text).is_file() for base in bases) and text not in found:
            found.append(text)
    return found
