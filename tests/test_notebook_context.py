"""The notebook digest in prompts: imports and the code cells above the user's cell, capped."""

from __future__ import annotations

import json

import nbformat
import pytest

from aide_jupyter.server.notebook_context import code_cells_above, digest, notebook_digest
from tests.support_engine.fake_openai import FakeOpenAI, code_reply, completion
from tests.support_server import api, wait_search

pytestmark = pytest.mark.timeout(150)

SEED = """\
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_score
X, y = df[["a", "b", "c", "d"]], df["label"]
model = LogisticRegression(C=0.01).fit(X, y)
print("validation_metric:", cross_val_score(model, X, y, cv=3).mean())
"""


def _notebook() -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("%load_ext aide_jupyter", id="ext"),
        nbformat.v4.new_code_cell("import numpy as np\nimport pandas as pd", id="imports"),
        nbformat.v4.new_markdown_cell("## Features", id="md"),
        nbformat.v4.new_code_cell("df['ab'] = df.a * df.b  # user's feature", id="features"),
        nbformat.v4.new_code_cell(SEED, id="seed-cell"),
        nbformat.v4.new_code_cell("print('a cell below the seed')", id="below"),
    ]
    return nb


def test_only_code_cells_above_the_seed_and_no_aide_cells() -> None:
    nb = json.loads(nbformat.writes(_notebook()))
    above = code_cells_above(nb, "seed-cell")
    assert above == [
        "import numpy as np\nimport pandas as pd",
        "df['ab'] = df.a * df.b  # user's feature",
    ]
    everything = code_cells_above(nb, None, skip=SEED)
    assert everything[-1] == "print('a cell below the seed')" and SEED.strip() not in everything
    assert code_cells_above(nb, "no-such-cell") == code_cells_above(nb, None)
    assert len(code_cells_above(nb, None)) == 4


def test_the_digest_puts_imports_first_and_keeps_the_nearest_cells_within_the_cap() -> None:
    cells = ["import numpy as np", *[f"x{i} = {i}  # " + "w" * 80 for i in range(30)]]
    text = digest(cells, 1000)
    assert len(text) <= 1000
    assert text.startswith("Imports in the notebook:\nimport numpy as np")
    assert "x29 = 29" in text and "x0 = 0" not in text and "earliest left out to fit" in text
    assert digest(cells, 0) == "" and digest([], 500) == ""
    one_big = digest(["y = 1\n" + "z = 2\n" * 5000], 600)
    assert len(one_big) <= 600 and "(cut)" in one_big and one_big.rstrip().endswith("z = 2")


def test_a_missing_or_broken_notebook_gives_no_context(tmp_path) -> None:
    assert notebook_digest(tmp_path / "missing.ipynb", None, 1000) == ""
    (tmp_path / "bad.ipynb").write_text("{not json")
    assert notebook_digest(tmp_path / "bad.ipynb", None, 1000) == ""


def _reply(body: dict) -> dict:
    if body.get("tools"):
        args = {"is_bug": False, "summary": "fine", "metric": None, "lower_is_better": False}
        return completion(tool_args=json.dumps(args))
    return code_reply(SEED.replace("C=0.01", "C=1.0"), plan="Less regularisation.")


@pytest.fixture
def fake_llm(monkeypatch):
    server = FakeOpenAI(default=_reply).start()
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-key-for-context-aaaaaaaa")
    monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
    yield server
    server.stop()


def _code_prompts(fake: FakeOpenAI) -> list[str]:
    return [
        m["content"]
        for body in fake.requests
        if not body.get("tools") and "Response format" in json.dumps(body)
        for m in body["messages"]
        if m["role"] == "user" and "submit_review" not in m["content"]
    ]


@pytest.mark.parametrize("enabled", [True, False])
async def test_the_llm_sees_the_seed_and_the_notebook_above_it(
    fake_llm, jp_fetch, jp_serverapp, jp_root_dir, enabled, frame_kernel
):
    jp_serverapp.web_app.settings["aide"].notebook_context = enabled
    nbformat.write(_notebook(), jp_root_dir / "analysis.ipynb")
    kernel_id = await frame_kernel("analysis.ipynb")
    body = {
        "kernel_id": kernel_id,
        "notebook_path": "analysis.ipynb",
        "goal": "predict label; accuracy",
        "data": ["df"],
        "model": "fake-model",
        "steps": 3,
        "seed": {"code": SEED, "cell_id": "seed-cell"},
    }
    code, summary = await api(jp_fetch, "searches", method="POST", body=body)
    assert code == 201, summary
    detail = await wait_search(jp_fetch, summary["id"], lambda d: d["status"] == "done", 120)
    assert detail["nodes"][0]["stage"] == "seed" and detail["nodes"][0]["metric"] is not None
    prompts = _code_prompts(fake_llm)
    assert len(prompts) == 2, prompts
    for prompt in prompts:
        assert "# The user's starting point" in prompt
        assert ("# The user's notebook so far" in prompt) == enabled
        assert ("df['ab'] = df.a * df.b" in prompt) == enabled
        assert "a cell below the seed" not in prompt and "%load_ext" not in prompt
    improve = prompts[0]  # the first step improves the seed: the previous solution is the user's
    assert "C=0.01" in improve and "It is the previous solution below" in improve
    draft = prompts[1]
    assert "model = LogisticRegression(C=0.01)" in draft
