"""`%aide improve`: the user's code (cell body, --cell N, --above) as the root of a server search.

A real kernel of a real Jupyter server; execute requests carry the `cellId` metadata the way
JupyterLab sends it, and the notebook for `--above` is a real saved .ipynb file.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import nbformat
import pytest

from aide_jupyter.magic.args import UsageError, parse
from tests.support_server import tab_client

pytestmark = pytest.mark.timeout(200)

SETUP = """
%load_ext aide_jupyter
from sklearn.datasets import load_breast_cancer
df = load_breast_cancer(as_frame=True).frame
frame_before = df.copy()
"""
SEED = """\
from sklearn.tree import DecisionTreeClassifier
from sklearn.model_selection import cross_val_score
model = DecisionTreeClassifier(max_depth=1, random_state=0)
print("accuracy:", cross_val_score(model, df.drop(columns=["target"]), df["target"]).mean())
model.fit(df.drop(columns=["target"]), df["target"])
"""
OPTIONS = '--data df --target target --steps 2 --model builtin "predict the diagnosis; accuracy"'


class Tab:
    """A notebook tab: execute requests with JupyterLab's `cellId` metadata."""

    def __init__(self, info: dict[str, Any]) -> None:
        self.client = tab_client(info, username="user")

    async def run(self, code: str, cell_id: str | None = None) -> tuple[str, str, int]:
        """(status, stdout+stderr text, execution count) of one cell."""
        content = {"code": code, "silent": False, "store_history": True, "user_expressions": {}}
        msg = self.client.session.msg(
            "execute_request", content, metadata={"cellId": cell_id} if cell_id else {}
        )
        self.client.shell_channel.send(msg)
        msg_id = msg["header"]["msg_id"]
        reply = await self.client.get_shell_msg(timeout=60)
        while reply["parent_header"].get("msg_id") != msg_id:
            reply = await self.client.get_shell_msg(timeout=60)
        text = ""
        while True:
            out = await self.client.get_iopub_msg(timeout=60)
            if out["parent_header"].get("msg_id") != msg_id:
                continue
            if out["msg_type"] == "stream":
                text += out["content"]["text"]
            if out["msg_type"] == "status" and out["content"]["execution_state"] == "idle":
                return reply["content"]["status"], text, reply["content"]["execution_count"]


async def _searches(jp_fetch: Any) -> list[dict[str, Any]]:
    return json.loads((await jp_fetch("aide", "searches")).body)["searches"]


async def _root(jp_fetch: Any, search: dict[str, Any]) -> dict[str, Any]:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        detail = json.loads((await jp_fetch("aide", "searches", search["id"])).body)
        if detail["status"] == "done":
            root = detail["nodes"][0]
            node = await jp_fetch("aide", "searches", search["id"], "nodes", root["id"])
            return {**detail, "root": json.loads(node.body)}
        await asyncio.sleep(0.3)
    raise AssertionError(f"search did not finish: {detail}")


@pytest.fixture
def server_env(jp_serverapp, jp_http_port, jp_base_url, monkeypatch) -> None:
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AIDE_SERVER_URL", f"http://127.0.0.1:{jp_http_port}{jp_base_url}")
    monkeypatch.setenv("AIDE_SERVER_TOKEN", jp_serverapp.identity_provider.token)


async def open_tab(jp_fetch: Any, jp_serverapp: Any) -> Tab:
    body = {"path": "analysis.ipynb", "type": "notebook", "kernel": {"name": "python3"}}
    reply = await jp_fetch("api", "sessions", method="POST", body=json.dumps(body))
    kid = json.loads(reply.body)["kernel"]["id"]
    t = Tab(jp_serverapp.kernel_manager.get_kernel(kid).get_connection_info())
    await t.client.wait_for_ready(timeout=60)
    status, text, _ = await t.run(SETUP)
    assert status == "ok", text
    return t


async def test_the_cell_body_is_the_seed(jp_fetch, jp_serverapp, server_env) -> None:
    tab = await open_tab(jp_fetch, jp_serverapp)
    try:
        status, text, _ = await tab.run(f"%%aide improve {OPTIONS}\n{SEED}", cell_id="cell-b2")
        assert status == "ok" and "aide:" not in text, text
        (search,) = await _searches(jp_fetch)
        assert (
            search["seed"]["cell_id"] == "cell-b2" and search["notebook_path"] == "analysis.ipynb"
        )
        done = await _root(jp_fetch, search)
        root = done["root"]
        assert root["stage"] == "seed" and root["step"] == 0 and root["code"] == SEED
        assert root["is_buggy"] is False and 0.8 < root["metric"] < 0.95
        assert done["nodes"][1]["parent_id"] == root["id"]
        status, text, _ = await tab.run("assert df.equals(frame_before); print(df.shape)")
        assert status == "ok" and "(569, 31)" in text, text
    finally:
        tab.client.stop_channels()


async def test_cell_n_takes_the_input_from_the_kernels_history(
    jp_fetch, jp_serverapp, server_env
) -> None:
    tab = await open_tab(jp_fetch, jp_serverapp)
    try:
        status, _, count = await tab.run(SEED)
        assert status == "ok"
        status, text, _ = await tab.run(f"%aide improve --cell {count} {OPTIONS}")
        assert status == "ok" and "aide:" not in text, text
        (search,) = await _searches(jp_fetch)
        done = await _root(jp_fetch, search)
        assert done["root"]["code"] == SEED and done["seed"]["cell_id"] is None
        status, text, _ = await tab.run(f"%aide improve --cell 999 {OPTIONS}")
        assert "--cell 999: no such input in this kernel" in text
    finally:
        tab.client.stop_channels()


async def test_above_reads_the_saved_notebook(
    jp_fetch, jp_serverapp, server_env, jp_root_dir
) -> None:
    tab = await open_tab(jp_fetch, jp_serverapp)
    try:
        nb = nbformat.v4.new_notebook()
        nb.cells = [
            nbformat.v4.new_code_cell(SEED, id="model-cell"),
            nbformat.v4.new_markdown_cell("some notes", id="notes"),
            nbformat.v4.new_code_cell(f"%aide improve --above {OPTIONS}", id="magic-cell"),
        ]
        nbformat.write(nb, jp_root_dir / "analysis.ipynb")
        status, text, _ = await tab.run(f"%aide improve --above {OPTIONS}", cell_id="unsaved")
        assert "this cell is not in the saved analysis.ipynb; save the notebook" in text
        assert await _searches(jp_fetch) == []
        status, text, _ = await tab.run(f"%aide improve --above {OPTIONS}", cell_id="magic-cell")
        assert status == "ok" and "aide:" not in text, text
        (search,) = await _searches(jp_fetch)
        assert search["seed"]["cell_id"] == "model-cell"
        done = await _root(jp_fetch, search)
        assert done["root"]["code"] == SEED
    finally:
        tab.client.stop_channels()


def test_improve_input_errors_are_one_clear_line() -> None:
    cases = [
        ("improve --data df", "x = 1", "improve needs a goal on the line"),
        ('improve "goal"', None, "improve needs your code"),
        ('improve --cell 2 "goal"', "x = 1", "one starting point"),
        ('improve --seed-drafts -1 "goal"', "x = 1", "--seed-drafts: must be 0 or more"),
        ('improve --cell two "goal"', None, "--cell: 'two' is not a whole number"),
    ]
    for line, cell, message in cases:
        with pytest.raises(UsageError, match=message):
            parse(line, cell)
    args = parse('improve --seed-drafts 0 --steps 3 "goal"', "x = 1\n").optimize
    assert args is not None and args.improve and args.seed_code == "x = 1"
    assert args.request() == {"goal": "goal", "steps": 3, "seed_drafts": 0}
