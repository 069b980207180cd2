"""A search whose model is an OpenAI-compatible endpoint (local fake); a restart lists and resumes."""

from __future__ import annotations

import json

import pytest

from aide_jupyter.journal import JournalWriter, load_journal
from aide_jupyter.search.journal import Journal, Node, SearchInfo
from tests.support_engine.fake_openai import FakeOpenAI, code_reply, completion
from tests.support_server import api, wait_search

pytestmark = pytest.mark.timeout(150)
SECRET = "sk-test-secret-aaaaaaaaaaaaaaaaaaaa"
SCRIPT = """# %%
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_score
# %%
X, y = df[["a", "b", "c", "d"]], df["label"]
print("validation_metric:", cross_val_score(LogisticRegression(), X, y, cv=3).mean())
"""


def _reply(body: dict) -> dict:
    if body.get("tools"):
        args = {"is_bug": False, "summary": "fine", "metric": None, "lower_is_better": False}
        return completion(tool_args=json.dumps(args))
    return code_reply(SCRIPT, plan="Logistic regression with 3-fold CV.")


@pytest.fixture
def fake_llm(monkeypatch):
    server = FakeOpenAI(default=_reply).start()
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
    yield server
    server.stop()


async def test_openai_model_search_of_eight_nodes_keeps_the_key_secret(
    fake_llm, jp_fetch, jp_serverapp, jp_root_dir, frame_kernel
):
    kernel_id = await frame_kernel()
    body = {"kernel_id": kernel_id, "goal": "predict label; accuracy", "data": ["df"]}
    code, summary = await api(
        jp_fetch, "searches", method="POST", body={**body, "model": "fake-model", "steps": 8}
    )
    assert code == 201, summary
    detail = await wait_search(jp_fetch, summary["id"], lambda d: d["status"] == "done", 120)
    assert len(detail["nodes"]) == 8 and detail["model"] == "fake-model"
    assert detail["tokens"] > 0 and detail["counts"]["good"] == 8
    assert len(fake_llm.requests) >= 16  # code and review for every node
    everything = json.dumps(detail) + (jp_root_dir / detail["journal_path"]).read_text()
    code, node = await api(jp_fetch, "searches", summary["id"], "nodes", detail["nodes"][0]["id"])
    everything += json.dumps(node)
    assert SECRET not in everything


@pytest.fixture
def jp_root_dir(tmp_path):
    """A root holding a paused search's journal (as a stopped server left it) and a bad one."""
    root = tmp_path / "root_dir"
    runs = root / "proj" / "aide-runs"
    info = SearchInfo(
        id="20260101-000000-abcd",
        goal="predict label",
        data=["df"],
        target="label",
        notebook_path="proj/analysis.ipynb",
        kernel_id="kernel-of-the-old-server",
    )
    info.config = {"steps": 3, "model": "builtin", "policy": "greedy", "seed": 1}
    info.status = "running"  # the server died while it ran
    journal = Journal()
    journal.add(
        Node(
            id="n0",
            step=0,
            stage="draft",
            status="done",
            code=SCRIPT,
            metric=0.9,
            is_buggy=False,
            lower_is_better=False,
            output="validation_metric: 0.9",
        )
    )
    journal.lower_is_better = False
    writer = JournalWriter(runs / info.id)
    writer.update(info, journal, None, force=True)
    writer.close()
    bad = runs / "20260101-000000-bad0"
    bad.mkdir(parents=True)
    (bad / "journal.ipynb").write_text('{"cells": [')
    hidden = root / ".hidden" / "aide-runs" / "x"
    hidden.mkdir(parents=True)
    (hidden / "journal.ipynb").write_text((runs / info.id / "journal.ipynb").read_text())
    return root


async def test_a_new_server_lists_old_searches_and_resumes_one(
    jp_fetch, jp_serverapp, frame_kernel
):
    code, listing = await api(jp_fetch, "searches")
    assert [s["id"] for s in listing["searches"]] == ["20260101-000000-abcd"]
    old = listing["searches"][0]
    assert old["status"] == "paused" and "server stopped" in old["stop_reason"]
    assert old["pause_cause"] == "server_restart"
    assert old["run_dir"] == "proj/aide-runs/20260101-000000-abcd"
    # The journal remembers the notebook and the kernel the search last ran on.
    assert old["notebook_path"] == "proj/analysis.ipynb"
    assert old["kernel_id"] == "kernel-of-the-old-server"
    code, refused = await api(jp_fetch, "searches", old["id"], "resume", method="POST", body={})
    assert code == 400 and refused["field"] == "kernel_id", refused
    kernel_id = await frame_kernel()
    code, summary = await api(
        jp_fetch, "searches", old["id"], "resume", method="POST", body={"kernel_id": kernel_id}
    )
    assert code == 200, summary
    done = await wait_search(jp_fetch, old["id"], lambda d: d["status"] == "done", 90)
    assert [n["step"] for n in done["nodes"]] == [0, 1, 2]
    assert done["nodes"][0]["id"] == "n0"
    assert done["kernel_id"] == kernel_id
    reloaded, _ = load_journal(jp_serverapp.root_dir + "/" + done["journal_path"])
    assert reloaded.kernel_id == kernel_id and reloaded.notebook_path == "proj/analysis.ipynb"
