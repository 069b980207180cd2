"""The shipped examples run top to bottom headless, and binder's files name what the package needs."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples"


def _execute(notebook: Path, workdir: Path) -> nbformat.NotebookNode:
    """Run a copy of the notebook with nbconvert (no Jupyter server: the magic runs in-kernel)."""
    out = workdir / "executed.ipynb"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "nbconvert",
            "--to",
            "notebook",
            "--execute",
            "--ExecutePreprocessor.timeout=300",
            str(workdir / notebook.name),
            "--output",
            str(out),
        ],
        check=True,
        cwd=workdir,
        capture_output=True,
        timeout=400,
    )
    return nbformat.read(out, as_version=4)


def _outputs(nb: nbformat.NotebookNode) -> list[dict]:
    return [o for cell in nb.cells if cell.cell_type == "code" for o in cell.outputs]


def _text(output: dict) -> str:
    return output.get("text") or output.get("data", {}).get("text/plain", "")


@pytest.mark.parametrize(
    "folder, notebook",
    [(EXAMPLES, "quickstart.ipynb"), (EXAMPLES / "diabetes-folder", "diabetes-folder.ipynb")],
)
def test_example_runs_top_to_bottom_and_starts_a_search(tmp_path, folder, notebook):
    shutil.copy(folder / notebook, tmp_path)
    if (folder / "data").is_dir():
        shutil.copytree(folder / "data", tmp_path / "data")
    nb = _execute(folder / notebook, tmp_path)
    outputs = _outputs(nb)
    errors = [o for o in outputs if o["output_type"] == "error"]
    assert not errors, errors
    red = [o for o in outputs if o.get("name") == "stderr"]  # Run All ends green
    assert not red, red
    texts = "\n".join(_text(o) for o in outputs)
    assert "AIDE search" in texts
    journals = list(tmp_path.glob("aide-runs/*/journal.ipynb"))
    assert len(journals) == 1
    nbformat.validate(nbformat.read(journals[0], as_version=4))


def test_quickstart_uses_only_bundled_data():
    source = "\n".join(c.source for c in nbformat.read(EXAMPLES / "quickstart.ipynb", 4).cells)
    assert "load_breast_cancer" in source and "%aide optimize" in source
    assert "http" not in source.replace("https://", "")  # nothing to download


def test_binder_installs_the_extension_and_opens_the_quickstart():
    env = yaml.safe_load((REPO / "binder" / "environment.yml").read_text())
    deps = [d for d in env["dependencies"] if isinstance(d, str)]
    names = {d.split("=")[0].split(">")[0].split("<")[0].strip() for d in deps}
    assert {"python", "nodejs", "pip", "jupyterlab", "pandas", "scikit-learn"} <= names
    post_build = (REPO / "binder" / "postBuild").read_text()
    assert "pip install" in post_build and "jupyter server extension enable" in post_build
    assert (REPO / "binder" / "postBuild").stat().st_mode & 0o111, "postBuild must be executable"
    assert 'default_url = "/lab/tree/examples/quickstart.ipynb"' in post_build
    assert (REPO / "examples" / "quickstart.ipynb").is_file()
