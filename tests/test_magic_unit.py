"""%aide in a plain IPython shell: parsing, one-line errors, server discovery, the REST client
against a fake server, insertion of a node's code, and the progress rendering."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from IPython.core.interactiveshell import InteractiveShell

from aide_jupyter.magic import client as magic_client
from aide_jupyter.magic.args import OptimizeArgs, UsageError, check_data, parse, parse_duration
from aide_jupyter.magic.magics import _State
from aide_jupyter.magic.progress import Tracker, bundle, render_html, render_text
from tests.support_magic import NODE_CODE, FakeAide

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No server, no LLM key, an empty runtime dir of our own."""
    for var in ("AIDE_SERVER_URL", "AIDE_SERVER_TOKEN", "OPENAI_API_KEY", "OPENAI_BASE_URL"):
        monkeypatch.delenv(var, raising=False)
    runtime = tmp_path / "runtime"
    runtime.mkdir()
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(runtime))
    monkeypatch.chdir(tmp_path)
    return runtime


@pytest.fixture
def shell(env: Path, capsys: pytest.CaptureFixture[str]) -> Iterator[InteractiveShell]:
    """The shared IPython shell with the magic loaded and fresh magic state; set_next_input
    of a plain shell only pre-fills a terminal prompt, so it is recorded in `inserted`."""
    ip = InteractiveShell.instance()
    ip.run_line_magic("load_ext", "aide_jupyter")
    ip.magics_manager.registry["AideMagics"].state = _State()
    inserted: list[tuple[str, bool]] = []
    ip.set_next_input = lambda text, replace=False: inserted.append((text, replace))
    ip.inserted = inserted
    capsys.readouterr()
    ip.user_ns["df"] = pd.DataFrame({"a": [1, 2, 3], "price": [1.0, 2.0, 3.0]})
    ip.user_ns["test"] = pd.DataFrame({"a": [4]})
    ip.user_ns["X"] = [[1], [2]]
    yield ip
    ip.user_ns.pop("df", None)
    del ip.set_next_input


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch, env: Path) -> Iterator[FakeAide]:
    server = FakeAide()
    monkeypatch.setenv("AIDE_SERVER_URL", server.url)
    monkeypatch.setenv("AIDE_SERVER_TOKEN", server.token)
    monkeypatch.setattr("aide_jupyter.magic.magics.kernel_id", lambda: "k-1")
    monkeypatch.setattr(magic_client, "kernel_id", lambda: "k-1")
    server.sessions = [{"path": "work/a.ipynb", "kernel": {"id": "k-1"}}]
    yield server
    server.close()


def aide(shell: InteractiveShell, capsys: pytest.CaptureFixture[str], line: str) -> Any:
    """Run `%aide line` as a cell; return (stdout, stderr, the cell's result)."""
    result = shell.run_cell(f"%aide {line}", store_history=False)
    out, err = capsys.readouterr()
    return out, err, result


# ---- parsing ------------------------------------------------------------------------------------


def test_parse_all_options() -> None:
    cmd = parse(
        "optimize --data train,test --data-dir data --target price --metric rmse "
        "--lower-is-better --steps 7 --time 1h30m --node-timeout 90s --parallel 2 "
        '--workers 3 --policy mcts --model builtin --random-seed 7 "predict the price"'
    )
    args = cmd.optimize
    assert args is not None
    assert args.request() == {
        "goal": "predict the price",
        "data": ["train", "test"],
        "data_dir": "data",
        "target": "price",
        "metric": "rmse",
        "lower_is_better": True,
        "steps": 7,
        "time_limit_s": 5400.0,
        "node_timeout_s": 90.0,
        "parallel": 2,
        "workers": 3,
        "policy": "mcts",
        "model": "builtin",
        "random_seed": 7,
    }


def test_workers_must_be_a_count() -> None:
    with pytest.raises(UsageError, match="--workers: must be 0 or more"):
        parse('optimize --workers -1 "g"')
    with pytest.raises(UsageError, match="--workers: 'two' is not a whole number"):
        parse('optimize --workers two "g"')


def test_goal_may_come_before_options_and_cell_body_is_goal_or_eval() -> None:
    args = parse('optimize "predict y" --steps 3 --higher-is-better').optimize
    assert args is not None and args.goal == "predict y" and args.steps == 3
    assert args.lower_is_better is False
    body = parse("optimize --data df", "predict y\nmetric: accuracy\n").optimize
    assert body is not None and body.goal == "predict y\nmetric: accuracy" and body.eval == ""
    both = parse('optimize "predict y"', "5-fold CV accuracy").optimize
    assert both is not None and both.goal == "predict y" and both.eval == "5-fold CV accuracy"


@pytest.mark.parametrize(
    ("text", "seconds"), [("45", 45), ("90s", 90), ("30m", 1800), ("1.5h", 5400), ("1h 30m", 5400)]
)
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration(text, "--time") == seconds


@pytest.mark.parametrize(
    ("line", "needle"),
    [
        ("optimize --dat df 'x'", "unknown option '--dat'"),
        ("optimize --data df", "no goal"),
        ("optimize --time soon 'x'", "--time: 'soon' is not a duration"),
        ("optimize --steps 0 'x'", "--steps: must be at least 1"),
        ("optimize --steps many 'x'", "--steps: 'many' is not a whole number"),
        ("optimize --random-seed x 'x'", "--random-seed: 'x' is not a whole number"),
        ("optimize --random-seed -3 'x'", "--random-seed: must be 0 or more"),
        ("optimize --lower-is-better --higher-is-better 'x'", "not allowed with argument"),
        ("optimize --data 'a b' 'x'", "is not a variable name"),
        ("optimise 'x'", "unknown subcommand 'optimise'"),
        ("promote", "promote needs a node id"),
        ("status a b", "usage: %aide status [SEARCH_ID]"),
        ("optimize 'x", "check the quotes"),
        ("optimize --metric acuracy 'x'", "--metric: 'acuracy' is not a metric name; did you mean"),
    ],
)
def test_parse_errors_are_one_line(line: str, needle: str) -> None:
    with pytest.raises(UsageError) as info:
        parse(line)
    assert needle in str(info.value)
    assert "\n" not in str(info.value)


# ---- errors in the shell: one line on stderr, no traceback -----------------------------------


@pytest.mark.parametrize(
    ("line", "needle"),
    [
        (
            'optimize --data dff --target price "x"',
            "dff is not defined; DataFrames defined here: df, test",
        ),
        (
            'optimize --data df --target cost "x"',
            "--target: 'cost' is not a column of df; columns (2): a, price",
        ),
        ('optimize --data df,test --target nope "x"', "is not a column of df, test"),
        ('optimize --data df --data-dir nowhere "x"', "--data-dir: 'nowhere' is not a folder"),
        ('optimize --data df --model gpt-4o "x"', "set OPENAI_API_KEY"),
        ("optimize --data df", "no goal"),
        ("--steps 3", "did you mean: %aide optimize"),
        ('optimize --bogus 1 "x"', "unknown option '--bogus'"),
        ("status", "no search yet"),
    ],
)
def test_shell_errors(
    shell: InteractiveShell, capsys: pytest.CaptureFixture[str], line: str, needle: str
) -> None:
    out, err, result = aide(shell, capsys, line)
    assert result.success
    assert err.startswith("aide: ") and needle in err, err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err + out


def test_model_hint_mentions_builtin(shell: InteractiveShell, capsys: pytest.CaptureFixture[str]):
    _, err, _ = aide(shell, capsys, 'optimize --data df --target price --model gpt-4o "x"')
    assert "--model builtin" in err and "OPENAI_BASE_URL" in err


def test_target_is_only_checked_against_frames() -> None:
    ns = {"X": [[1], [2]], "y": [0, 1], "df": pd.DataFrame({"a": [1]})}
    check_data(OptimizeArgs(goal="g", data=["X", "y"], target="label"), ns)
    check_data(OptimizeArgs(goal="g", data=["X", "df"], target="a"), ns)
    with pytest.raises(UsageError, match="not a column of df"):
        check_data(OptimizeArgs(goal="g", data=["X", "df"], target="label"), ns)


def test_help_documents_everything(
    shell: InteractiveShell, capsys: pytest.CaptureFixture[str]
) -> None:
    out, _, _ = aide(shell, capsys, "help")
    for word in (
        "--data", "--data-dir", "--target", "--metric", "--lower-is-better", "--higher-is-better",
        "--steps", "--time", "--node-timeout", "--parallel", "--workers", "--policy", "--model",
        "--random-seed", "status",
        "stop", "pause", "resume", "best", "promote NODE", "list", "AIDE_SERVER_URL",
        "OPENAI_API_KEY",
    ):  # fmt: skip
        assert word in out, word
    assert shell.find_line_magic("aide").__doc__ == shell.find_cell_magic("aide").__doc__
    assert "--node-timeout" in shell.find_line_magic("aide").__doc__


# ---- server discovery -----------------------------------------------------------------------


def _server_file(runtime: Path, pid: int, url: str, token: str) -> None:
    info = {"url": url, "base_url": "/", "token": token, "pid": pid}
    (runtime / f"jpserver-{pid}.json").write_text(json.dumps(info))


def test_find_server_prefers_env_then_parent_then_scan(env: Path) -> None:
    fake, other = FakeAide(token="t1"), FakeAide(token="t2")
    try:
        fake.kernels = ["k-9"]
        other.kernels = ["k-other"]
        _server_file(env, 11, other.url, "t2")
        _server_file(env, 12, fake.url, "t1")
        server, why = magic_client.find_server("k-9", environ={})
        assert server is not None and server.url == fake.url and server.token == "t1", why
        assert magic_client.check_extension(server)[0] == {
            "name": "aide_jupyter", "version": "0", "coders": ["builtin"],
        }  # fmt: skip
        _server_file(env, os.getppid(), other.url, "t2")
        assert magic_client.find_server("k-9", environ={})[0].url == other.url  # type: ignore[union-attr]
        chosen, _ = magic_client.find_server(
            "k-9", environ={"AIDE_SERVER_URL": "http://h:1/base", "AIDE_SERVER_TOKEN": "x"}
        )
        assert chosen == magic_client.Server("http://h:1/base/", "x", "AIDE_SERVER_URL")
        (env / f"jpserver-{os.getppid()}.json").unlink()
        nobody, why = magic_client.find_server("k-unknown", environ={})
        assert nobody is None and "no running Jupyter server knows this kernel" in why
    finally:
        fake.close()
        other.close()


def test_check_extension_explains_missing_extension_and_bad_token(env: Path) -> None:
    fake = FakeAide()
    try:
        fake.health = False
        health, why = magic_client.check_extension(magic_client.Server(fake.url, fake.token))
        assert health is None and "has no aide_jupyter extension" in why
        fake.health = True
        health, why = magic_client.check_extension(magic_client.Server(fake.url, "wrong", "env"))
        assert health is None and "refused the token" in why
        dead = magic_client.Server("http://127.0.0.1:9/", "")
        assert "did not answer" in magic_client.check_extension(dead)[1]
    finally:
        fake.close()


# ---- against a fake REST server --------------------------------------------------------------


def test_optimize_posts_and_returns_at_once_then_best_inserts_code(
    shell: InteractiveShell, capsys: pytest.CaptureFixture[str], fake: FakeAide
) -> None:
    start = time.monotonic()
    out, err, _ = aide(
        shell, capsys, 'optimize --data df --target price --steps 3 --time 2m "predict the price"'
    )
    assert time.monotonic() - start < 2.0
    assert err == ""
    posts = [r for r in fake.requests if r[0] == "POST"]
    assert posts == [
        (
            "POST",
            "/aide/searches",
            {
                "goal": "predict the price",
                "data": ["df"],
                "target": "price",
                "steps": 3,
                "time_limit_s": 120.0,
                "kernel_id": "k-1",
                "notebook_path": "work/a.ipynb",
            },
        )
    ]
    assert "AIDE search s1" in out and "steps 0/3" in out
    tracker = shell.magics_manager.registry["AideMagics"].state.trackers["s1"]
    tracker.join(timeout=10)
    assert not tracker.alive and tracker.last is not None and tracker.last["status"] == "done"
    assert tracker.updates >= 2
    out, err, _ = aide(shell, capsys, "best")
    assert err == "" and "node n1, metric 0.9 (higher is better)" in out and "2 parts" in out
    text, replace = shell.inserted[-1]
    assert replace is False
    assert text.startswith("# AIDE search s1, node n1 (step 0, draft): metric 0.9")
    assert text.endswith(NODE_CODE)
    out, err, _ = aide(shell, capsys, "promote nope")
    assert "search s1: no node 'nope': name a node as the panel shows it (#3 or 3" in err
    for ref in ("#0", "0", "n"):  # as the panel labels it, a step number, an id prefix
        out, err, _ = aide(shell, capsys, f"promote {ref}")
        assert err == "" and "node n1, metric 0.9" in out, ref
    out, err, _ = aide(shell, capsys, "promote #7")
    assert "no node #7 (steps are 0 to 0)" in err


def test_an_html_error_page_never_reaches_the_notebook(
    shell: InteractiveShell, capsys: pytest.CaptureFixture[str], fake: FakeAide
) -> None:
    fake.html_errors = True
    out, err, _ = aide(shell, capsys, "status s404")
    assert "the server answered 404: HTTP 404 Not Found for GET aide/searches/s404" in err
    assert "<" not in out + err and fake.token not in out + err


def test_llm_model_needs_the_servers_key_and_server_errors_are_one_line(
    shell: InteractiveShell, capsys: pytest.CaptureFixture[str], fake: FakeAide
) -> None:
    _, err, _ = aide(shell, capsys, 'optimize --data df --model gpt-4o "x"')
    assert "no LLM key" in err and not [r for r in fake.requests if r[0] == "POST"]
    fake.coders = ["builtin", "openai"]
    _, err, _ = aide(shell, capsys, 'optimize --data df --model gpt-4o "x"')
    assert err == "" and fake.requests[-1][:2] == ("POST", "/aide/searches")
    assert fake.requests[-1][2]["model"] == "gpt-4o"
    _, err, _ = aide(shell, capsys, "stop s1")
    assert err == "" and fake.searches["s1"]["status"] == "stopped"
    assert fake.requests[-1][:3] == ("POST", "/aide/searches/s1/stop", {})
    _, err, _ = aide(shell, capsys, "stop --finish-running s1")
    assert err == "" and fake.requests[-1][2] == {"finish_running": True}
    _, err, _ = aide(shell, capsys, "stop --finish s1")
    assert "usage: %aide stop [--finish-running] [SEARCH_ID]" in err
    _, err, _ = aide(shell, capsys, "status s404")
    assert err.strip() == "aide: the server answered 404: no search at /aide/searches/s404"


def test_list_and_status_show_server_searches(
    shell: InteractiveShell, capsys: pytest.CaptureFixture[str], fake: FakeAide
) -> None:
    aide(shell, capsys, 'optimize --data df "first"')
    shell.magics_manager.registry["AideMagics"].state.trackers["s1"].stop()
    out, _, _ = aide(shell, capsys, "list")
    assert out.startswith("AIDE search s1") and "running" in out
    out, _, _ = aide(shell, capsys, "status")
    assert "AIDE search s1" in out and "journal: aide-runs/s1/journal.ipynb" in out
    # The status display is live too: it follows the search until it ends, then its thread stops.
    state = shell.magics_manager.registry["AideMagics"].state
    watcher = state.watchers[-1]
    fake.searches["s1"]["status"] = "done"
    watcher.join(timeout=10)
    assert not watcher.alive and watcher.last is not None and watcher.last["status"] == "done"


# ---- progress rendering ------------------------------------------------------------------------

SUMMARY = {
    "id": "s<1>",
    "status": "running",
    "steps_done": 2,
    "steps": 8,
    "counts": {"queued": 0, "running": 1, "good": 1, "buggy": 1},
    "best": {"node_id": "ab12", "metric": 0.96512345},
    "lower_is_better": False,
    "cost_usd": 0.0123,
    "elapsed_s": 75,
    "journal_path": "aide-runs/s1/journal.ipynb",
}


def test_render_has_every_fact_in_text_and_escaped_html() -> None:
    text = render_text(SUMMARY)
    for part in (
        "steps 2/8", "best 0.965123 (node ab12, higher is better)", "running 1", "buggy 1",
        "elapsed 1m15s", "cost $0.0123", "AIDE side panel", "aide-runs/s1/journal.ipynb",
    ):  # fmt: skip
        assert part in text, part
    page = render_html(SUMMARY)
    assert "s&lt;1&gt;" in page and "<1>" not in page and "width:25%" in page
    assert set(bundle(SUMMARY)) == {"text/html", "text/plain"}


class _Handle:
    def __init__(self) -> None:
        self.shown: list[dict[str, str]] = []

    def update(self, data: dict[str, str], raw: bool = False) -> None:
        self.shown.append(data)


def test_tracker_stops_when_the_search_ends_and_survives_fetch_errors() -> None:
    states = iter(
        [
            RuntimeError("busy"),
            dict(SUMMARY),
            dict(SUMMARY, steps_done=3),
            dict(SUMMARY, status="done"),
        ]
    )

    def fetch() -> dict[str, Any]:
        item = next(states)
        if isinstance(item, Exception):
            raise item
        return item

    handle = _Handle()
    tracker = Tracker(fetch, handle, interval_s=0.01).start()
    tracker.join(timeout=5)
    assert not tracker.alive and tracker.updates == 3
    assert "done" in handle.shown[-1]["text/plain"]
    gone = Tracker(
        lambda: (_ for _ in ()).throw(OSError("gone")), _Handle(), interval_s=0.01, give_up_s=0.05
    )
    gone.start().join(timeout=5)
    assert not gone.alive and "lost contact" in gone.handle.shown[-1]["text/plain"]


def test_progress_always_names_the_coder_and_model() -> None:
    base = {"id": "s1", "status": "running", "steps_done": 0, "steps": 5}
    builtin = render_text({**base, "coder": "builtin", "model": "builtin"})
    assert "builtin coder (offline baseline, no LLM" in builtin
    llm = {**base, "coder": "openai", "model": "gpt-4o-mini", "endpoint": "http://h:1/v1"}
    assert "coder: LLM gpt-4o-mini at http://h:1/v1" in render_text(llm)
    assert "LLM gpt-4o-mini at http://h:1/v1" in render_html(llm)
    paused = {**llm, "status": "paused", "stop_reason": "LLM endpoint http://h:1/v1: HTTP 401"}
    assert "paused (LLM endpoint http://h:1/v1: HTTP 401)" in render_text(paused)


def test_best_while_running_without_a_working_node_is_news_not_an_error(
    shell: InteractiveShell, capsys: pytest.CaptureFixture[str], fake: FakeAide
) -> None:
    fake._advance = lambda search: None  # type: ignore[method-assign]  # no node finishes
    aide(shell, capsys, 'optimize --data df --steps 3 "predict the price"')
    out, err, _ = aide(shell, capsys, "best")
    assert err == "" and "search s1 is still running (0 nodes finished, none working yet)" in out
    fake.searches["s1"]["status"] = "done"
    out, err, _ = aide(shell, capsys, "best")
    assert "search s1 is done and has no working solution" in err
