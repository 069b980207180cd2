"""Every bad input answers a JSON error with the right status, naming the field."""

from __future__ import annotations

import os

import pytest

from tests.support_server import api, start_kernel

BAD_BODIES = [
    ({"goal": ""}, "goal"),
    ({"goal": "   "}, "goal"),
    ({"steps": -1}, "steps"),
    ({"steps": 0}, "steps"),
    ({"steps": 10**9}, "steps"),
    ({"steps": "20"}, "steps"),
    ({"parallel": 0}, "parallel"),
    ({"node_timeout_s": -5}, "node_timeout_s"),
    ({"time_limit_s": float("inf")}, "time_limit_s"),
    ({"policy": "random"}, "policy"),
    ({"random_seed": -1}, "random_seed"),
    ({"random_seed": "7"}, "random_seed"),
    ({"random_seed": 1.5}, "random_seed"),
    ({"model": "gpt-4o"}, "model"),
    ({"data": "df"}, "data"),
    ({"data": ["not a name"]}, "data"),
    ({"lower_is_better": "yes"}, "lower_is_better"),
    ({"notebook_path": "../outside.ipynb"}, "notebook_path"),
    ({"notebook_path": "/etc/passwd"}, "notebook_path"),
    ({"data_dir": "../../"}, "data_dir"),
    ({"data_dir": "escape"}, "data_dir"),  # a symlink pointing out of the root
    ({"data_dir": "missing"}, "data_dir"),
    ({"colour": "blue"}, "colour"),
    ({"kernel_id": ""}, "kernel_id"),
    ({"seed": "print(1)"}, "seed"),
    ({"seed": {}}, "seed.code"),
    ({"seed": {"code": "  \n"}}, "seed.code"),
    ({"seed": {"code": 42}}, "seed.code"),
    ({"seed": {"code": "x = 1\n" * 40_000}}, "seed.code"),
    ({"seed": {"code": "x = 1", "cell_id": 7}}, "seed.cell_id"),
    ({"seed": {"code": "x = 1", "source": "cell"}}, "seed.source"),
    ({"seed_drafts": -1}, "seed_drafts"),
    ({"metric": "acuracy"}, "metric"),
]


@pytest.mark.parametrize(("change", "field"), BAD_BODIES)
async def test_bad_create_bodies_answer_400_naming_the_field(
    jp_fetch, jp_root_dir, tmp_path, no_llm, change, field
):
    os.symlink(tmp_path, jp_root_dir / "escape")
    body = {"kernel_id": "k1", "goal": "predict y", **change}
    code, problem = await api(jp_fetch, "searches", method="POST", body=body)
    assert code == 400, problem
    assert problem["error"] == "bad_request" and problem["field"] == field
    assert field in problem["message"]


async def test_a_relative_data_dir_is_taken_from_the_notebooks_folder(
    jp_fetch, jp_root_dir, no_llm
):
    """The magic checks `--data-dir data` from the kernel's cwd, the notebook's folder."""
    (jp_root_dir / "project" / "data").mkdir(parents=True)
    kernel_id = await start_kernel(jp_fetch, "project/nb.ipynb")
    body = {
        "kernel_id": kernel_id,
        "goal": "predict y",
        "notebook_path": "project/nb.ipynb",
        "data_dir": "data",
        "steps": 1,
    }
    code, summary = await api(jp_fetch, "searches", method="POST", body=body)
    assert code == 201, summary
    assert summary["data_dir"] == "project/data"
    await api(jp_fetch, "searches", summary["id"], "stop", method="POST", body={})
    escape = dict(body, data_dir="../../..")
    code, problem = await api(jp_fetch, "searches", method="POST", body=escape)
    assert code == 400 and problem["field"] == "data_dir"


async def test_a_data_dir_the_search_cannot_read_is_a_400_naming_the_fix(
    jp_fetch, jp_root_dir, no_llm
):
    """Tables one level down: the builtin coder reads only the top; the subfolder is named."""
    data = jp_root_dir / "project" / "diabetes-folder" / "data"
    data.mkdir(parents=True)
    (data / "train.csv").write_text("age,progression\n1,2\n3,4\n")
    kernel_id = await start_kernel(jp_fetch, "project/nb.ipynb")
    body = {
        "kernel_id": kernel_id,
        "goal": "predict progression",
        "notebook_path": "project/nb.ipynb",
        "data_dir": "diabetes-folder",
        "target": "progression",
        "steps": 1,
    }
    code, problem = await api(jp_fetch, "searches", method="POST", body=body)
    assert code == 400 and problem["field"] == "data_dir", problem
    assert "no table at its top" in problem["message"]
    assert problem["message"].endswith("give data_dir diabetes-folder/data")
    typo = dict(body, data_dir="diabetes-folder/data", target="progresion")
    code, problem = await api(jp_fetch, "searches", method="POST", body=typo)
    assert code == 400 and problem["field"] == "target", problem
    assert "'progresion' is not a column of train.csv; closest: progression" in problem["message"]
    assert not (jp_root_dir / "project" / "aide-runs").exists()


async def test_malformed_and_oversized_bodies(jp_fetch):
    for raw in (b"{not json", b"[1, 2]", b"\xff\xfe"):
        code, problem = await api(jp_fetch, "searches", method="POST", body=raw)
        assert code == 400 and problem["field"] == "body", raw
    big = b'{"goal": "' + b"x" * 1_100_000 + b'"}'
    code, problem = await api(jp_fetch, "searches", method="POST", body=big)
    assert code == 413 and problem["error"] == "too_large"


async def test_unknown_ids_are_404_and_wrong_states_409(jp_fetch, jp_serverapp, no_llm):
    code, problem = await api(
        jp_fetch, "searches", method="POST", body={"kernel_id": "nope", "goal": "predict y"}
    )
    assert code == 404 and "kernel_id" in problem["message"]
    for parts, method in [
        (("searches", "nope"), "GET"),
        (("searches", "nope"), "DELETE"),
        (("searches", "nope", "stop"), "POST"),
        (("searches", "nope", "pause"), "POST"),
        (("searches", "nope", "resume"), "POST"),
        (("searches", "nope", "nodes", "n1"), "GET"),
        (("searches", "nope", "nodes", "n1", "fork"), "POST"),
        (("kernels", "nope", "variables"), "GET"),
    ]:
        body = {"instruction": "x"} if parts[-1] == "fork" else None
        code, problem = await api(jp_fetch, *parts, method=method, body=body)
        assert code == 404, (parts, problem)
        assert problem["error"] == "not_found"

    kernel_id = await start_kernel(jp_fetch)
    code, summary = await api(
        jp_fetch,
        "searches",
        method="POST",
        body={"kernel_id": kernel_id, "goal": "predict y", "data_dir": ".", "steps": 1},
    )
    assert code == 201
    search_id = summary["id"]
    code, problem = await api(jp_fetch, "searches", search_id, "nodes", "zzz")
    assert code == 404
    code, problem = await api(jp_fetch, "searches", search_id, "resume", method="POST")
    assert code == 409 or summary["status"] not in ("queued", "running")
    code, problem = await api(
        jp_fetch, "searches", search_id, "resume", method="POST", body={"kernel_id": 5}
    )
    assert code in (400, 409)
    code, _ = await api(jp_fetch, "searches", search_id, method="DELETE")
    assert code == 204


async def test_variables_lists_the_kernels_data(jp_fetch, jp_serverapp, frame_kernel):

    kernel_id = await frame_kernel()
    code, found = await api(jp_fetch, "kernels", kernel_id, "variables")
    assert code == 200, found
    df = next(v for v in found["variables"] if v["name"] == "df")
    assert df["type"].endswith("DataFrame") and list(df["shape"]) == [160, 5]
    # Tables name their columns (the form's target picker); other variables do not.
    assert df["columns"] == ["a", "b", "c", "d", "label"]
    assert all("columns" not in v for v in found["variables"] if v["name"] != "df")
