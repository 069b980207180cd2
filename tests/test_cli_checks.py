"""`jupyter aide run | show | export` refuse what cannot work up front, in one line, and take
a run folder wherever they take a journal."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from support_journal import make_info, make_journal

from aide_jupyter.cli import check_data_dir, main
from aide_jupyter.journal import load_journal, write_journal


def _nested(tmp_path: Path) -> Path:
    """diabetes-folder/ with its tables one level down, in data/."""
    top = tmp_path / "diabetes-folder"
    (top / "data").mkdir(parents=True)
    (top / "README.txt").write_text("the diabetes data\n")
    frame = pd.DataFrame({"age": [1.0, 2.0, 3.0], "target": [10.0, 20.0, 30.0]})
    frame.to_csv(top / "data" / "train.csv", index=False)
    frame.drop(columns="target").to_csv(top / "data" / "test.csv", index=False)
    return top


def test_tables_in_a_subfolder_are_named_for_the_builtin_coder_and_fine_for_an_llm(
    tmp_path: Path,
) -> None:
    top = _nested(tmp_path)
    problem = check_data_dir(top, "target", top_level_only=True)
    assert problem.startswith("--data-dir: no table at its top")
    assert f"the tables are in data/: pass --data-dir {top / 'data'}" in problem
    assert check_data_dir(top, "target", top_level_only=False) == ""  # an LLM reads subfolders
    assert check_data_dir(top / "data", "target", top_level_only=True) == ""
    miss = check_data_dir(top, "targt", top_level_only=False)
    assert miss.startswith("--target: 'targt' is not a column of data/train.csv; closest: target")


def test_a_target_only_in_a_subfolder_is_named_when_the_top_has_other_tables(
    tmp_path: Path,
) -> None:
    top = _nested(tmp_path)
    pd.DataFrame({"id": [1], "note": ["x"]}).to_csv(top / "notes.csv", index=False)
    problem = check_data_dir(top, "target", top_level_only=True)
    assert problem.startswith("--target: 'target' is a column only of tables in a subfolder")
    assert f"pass --data-dir {top / 'data'}" in problem


def test_run_with_a_nested_folder_fails_before_any_node(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    top = _nested(tmp_path)
    args = ["run", "--goal", "predict target", "--data-dir", str(top), "--target", "target"]
    assert main([*args, "--model", "builtin"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "pass --data-dir" in err and "data" in err
    assert not (tmp_path / "aide-runs").exists()


def test_run_without_a_key_for_an_llm_says_so_and_leaves_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    top = _nested(tmp_path) / "data"
    assert main(["run", "--goal", "g", "--data-dir", str(top), "--model", "gpt-4o-mini"]) == 2
    err = capsys.readouterr().err
    assert "--model gpt-4o-mini: no LLM key: set OPENAI_API_KEY" in err and "--model builtin" in err
    assert not (tmp_path / "aide-runs").exists()


@pytest.mark.parametrize(
    ("option", "value"), [("--time-limit", "-1"), ("--node-timeout", "0"), ("--workers", "-1")]
)
def test_a_bad_number_names_the_option_as_typed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], option: str, value: str
) -> None:
    top = _nested(tmp_path) / "data"
    assert main(["run", "--goal", "g", "--data-dir", str(top), option, value]) == 2
    assert capsys.readouterr().err.startswith(f"error: {option}: must be")


def test_run_refuses_a_misspelt_metric(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    top = _nested(tmp_path) / "data"
    assert main(["run", "--goal", "g", "--data-dir", str(top), "--metric", "acuracy"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --metric: 'acuracy' is not a metric name; did you mean accuracy?")
    assert not (tmp_path / "aide-runs").exists()


def test_show_export_and_resume_take_a_run_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    runs = tmp_path / "aide-runs"
    path = write_journal(runs / "20261202-1" / "journal.ipynb", make_info(), make_journal(4))
    assert main(["show", str(path.parent)]) == 0
    assert "best:" in capsys.readouterr().out
    assert main(["export", str(path.parent)]) == 0
    assert (path.parent / "tree.html").is_file()
    assert main(["show", str(runs)]) == 2  # a folder of run folders: say which to give
    err = capsys.readouterr().err
    assert "a run folder here, the newest" in err and "20261202-1" in err
    assert main(["show", str(path.with_name("tree.html"))]) == 2
    assert "not a journal; give a run folder or its journal.ipynb" in capsys.readouterr().err
    assert main(["export", str(path.parent), "--html", str(tmp_path / "no" / "t.html")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "No such file or directory" in err and "Trace" not in err
    assert main(["show", str(tmp_path / "nowhere")]) == 2
    assert "no such file or folder" in capsys.readouterr().err
    assert main(["run", "--resume", str(path), "--steps", "2"]) == 2  # the journal file works too
    assert "already has 4 nodes and --steps is the total" in capsys.readouterr().err
    assert main(["run", "--resume", str(path), "--seed", "mine.py"]) == 2
    assert "--seed starts a new search" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("name", "text", "needle"),
    [
        ("seed.ipynb", "{}", "is a notebook; give a .py script"),
        ("empty.py", "  \n", "is empty"),
        ("missing.py", None, "no such file"),
    ],
)
def test_a_bad_seed_file_is_one_line(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    text: str | None,
    needle: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    if text is not None:
        (tmp_path / name).write_text(text)
    top = _nested(tmp_path) / "data"
    assert main(["run", "--goal", "g", "--data-dir", str(top), "--seed", name]) == 2
    err = capsys.readouterr().err
    assert f"--seed: {name}" in err and needle in err and err.count("\n") == 1
    assert not (tmp_path / "aide-runs").exists()


SEED = """\
from pathlib import Path

import pandas as pd
from sklearn.linear_model import Ridge
from sklearn.model_selection import cross_val_score

DATA = Path(DATA_PATH)

df = pd.read_csv(DATA / "train.csv")
X, y = df.drop(columns="y"), df["y"]
model = Ridge().fit(X, y)
rmse = -cross_val_score(Ridge(), X, y, cv=3, scoring="neg_root_mean_squared_error").mean()
print(f"validation rmse: {rmse:.4f}")
"""


def test_run_from_a_seed_file_makes_it_the_root(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    frame = pd.DataFrame({"a": range(60), "b": [i % 7 for i in range(60)]})
    frame["y"] = 2 * frame.a - frame.b
    frame.to_csv(data / "train.csv", index=False)
    seed = SEED.replace("DATA_PATH", repr(str(data)))
    (tmp_path / "mine.py").write_text(seed)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    cmd = [sys.executable, "-m", "aide_jupyter.cli", "run", "--goal", "predict y; metric RMSE"]
    cmd += ["--data-dir", str(data), "--target", "y", "--steps", "2", "--seed", "mine.py"]
    cmd += ["--seed-drafts", "0", "--random-seed", "1", "--out", str(tmp_path / "runs")]
    done = subprocess.run(cmd, cwd=tmp_path, env=env, text=True, capture_output=True, timeout=240)
    assert done.returncode == 0, done.stderr
    assert "warning" not in done.stderr
    info, journal = load_journal(next((tmp_path / "runs").glob("*/journal.ipynb")))
    root, child = journal.nodes
    assert root.stage == "seed" and root.code == seed and root.is_good, root.output
    assert info.seed is not None and info.seed["node_id"] == root.id
    assert info.config["seed_drafts"] == 0
    assert child.parent_id == root.id and child.stage == "improve"  # built on the user's code


def test_a_seed_reading_data_by_a_relative_path_is_warned_about(tmp_path: Path) -> None:
    from aide_jupyter.cli.data_checks import relative_data_paths

    data = _nested(tmp_path) / "data"
    code = 'import pandas as pd\ndf = pd.read_csv("train.csv")\nname = "model"\n'
    assert relative_data_paths(code, [tmp_path, data]) == ["train.csv"]
    assert relative_data_paths(f"open({str(data / 'train.csv')!r})", [tmp_path, data]) == []
    assert relative_data_paths('p = DATA / "train.csv"\nos.path.join(d, "train.csv")', [data]) == []
    assert relative_data_paths("def broken(:", [data]) == []
