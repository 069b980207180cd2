"""No secrets in solution code: with the LLM key in the server's (and so the kernel's)
environment, a node that prints its environment shows no key, and no file of the run folder
(journal.ipynb, tree.html, node folders) contains it, even when the node digs it out of the
process's initial environment block (the redactor masks it)."""

from __future__ import annotations

import pytest

from tests.support_server import SERVER_CONFIG, api, create_search, wait_search

pytestmark = pytest.mark.timeout(150)
KEY = "sk-servertest-9f8e7d6c5b4a39281706f5e4d3c2b1a0"
NODE = """
import os, subprocess, sys
print("ENV", dict(os.environ))
print("CHILD", subprocess.run([sys.executable, "-c", "import os; print(dict(os.environ))"],
      capture_output=True, text=True).stdout)
if os.path.exists("/proc/self/environ"):
    print("PROC", open("/proc/self/environ", "rb").read().decode(errors="replace"))
print("accuracy: 0.5")
"""


@pytest.fixture
def jp_server_config(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    monkeypatch.setenv("SERVICE_TOKEN", "tok-abcdef-123456")
    return SERVER_CONFIG


async def test_node_environment_and_run_folder_hold_no_key(
    jp_fetch, jp_serverapp, jp_root_dir, frame_kernel
):
    kernel_id = await frame_kernel()
    sid = (await create_search(jp_fetch, kernel_id, steps=1, model="builtin"))["id"]
    done = await wait_search(jp_fetch, sid, lambda d: d["status"] == "done")
    code, node = await api(
        jp_fetch,
        "searches",
        sid,
        "nodes",
        done["nodes"][0]["id"],
        "fork",
        method="POST",
        body={"code": NODE},
    )
    assert code == 201
    await wait_search(
        jp_fetch,
        sid,
        lambda d: (
            any(n["id"] == node["id"] and n["status"] == "done" for n in d["nodes"])
            and d["status"] == "done"
        ),
    )
    _, detail = await api(jp_fetch, "searches", sid, "nodes", node["id"])
    env_part = detail["output"].split("PROC")[0]
    assert "ENV {" in env_part and "OPENAI_API_KEY" not in env_part
    assert "SERVICE_TOKEN" not in env_part and "PATH" in env_part
    assert KEY not in detail["output"] and "tok-abcdef-123456" not in detail["output"]
    run_dir = jp_root_dir / done["run_dir"]
    files = [p for p in run_dir.rglob("*") if p.is_file()]
    assert any(p.name == "tree.html" for p in files) and any(
        p.name == "journal.ipynb" for p in files
    )
    for path in files:
        assert KEY.encode() not in path.read_bytes(), path
