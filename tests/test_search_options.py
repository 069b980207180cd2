"""The one table of search options (aide_jupyter/search_options.py) is what both sides use: the
magic's parser and help, and the server's create-body checks, with the same bounds."""

from __future__ import annotations

import ast
import sys
from dataclasses import fields
from pathlib import Path

import pytest

from aide_jupyter import search_options
from aide_jupyter.magic.args import UsageError, parse
from aide_jupyter.magic.text import HELP
from aide_jupyter.search.config import SearchConfig
from aide_jupyter.search_options import CONFIG_FIELDS, OPTIONS, SECONDS, WHOLE, Option
from aide_jupyter.server.errors import BadRequest
from aide_jupyter.server.validation import CREATE_FIELDS, parse_create

LIMITS = {"max_steps": 50, "max_parallel": 4, "max_workers": 3}


def _create(tmp_path: Path, **fields_: object):
    body = {"kernel_id": "k", "goal": "predict y", **fields_}
    return parse_create(body, root=tmp_path, models=lambda _m: "", **LIMITS)


def _line(opt: Option, value: str) -> tuple[str, str | None]:
    """A magic line setting `opt` (improve's options need code to start from)."""
    if opt.only == "improve":
        return f"improve {opt.flag} {value} 'goal'", "x = 1"
    return f"optimize {opt.flag} {value} 'goal'", None


def test_the_table_imports_the_standard_library_only() -> None:
    tree = ast.parse(Path(search_options.__file__).read_text(encoding="utf-8"))
    imported = {
        (node.module or "").split(".")[0] if isinstance(node, ast.ImportFrom) else alias.name
        for node in ast.walk(tree)
        if isinstance(node, (ast.Import, ast.ImportFrom))
        for alias in node.names
    }
    assert imported - {"__future__"} <= set(sys.stdlib_module_names)


def test_every_option_is_a_create_field_a_help_line_and_config_where_marked() -> None:
    assert {o.name for o in OPTIONS} <= set(CREATE_FIELDS)
    for opt in OPTIONS:
        assert f"  {opt.usage} " in HELP, opt.usage
    assert set(CONFIG_FIELDS) <= {f.name for f in fields(SearchConfig)}


@pytest.mark.parametrize("opt", [o for o in OPTIONS if o.kind == WHOLE], ids=lambda o: o.name)
def test_whole_numbers_have_the_same_lower_bound_in_the_magic_and_the_server(
    opt: Option, tmp_path: Path
) -> None:
    line, cell = _line(opt, str(opt.lo))
    command = parse(line, cell)
    assert command.optimize is not None
    assert getattr(command.optimize, opt.name) == opt.lo
    assert getattr(_create(tmp_path, **{opt.name: opt.lo}), opt.name) == opt.lo
    line, cell = _line(opt, str(opt.lo - 1))
    with pytest.raises(UsageError, match=f"^{opt.flag}: must be"):
        parse(line, cell)
    with pytest.raises(BadRequest) as bad:
        _create(tmp_path, **{opt.name: opt.lo - 1})
    assert bad.value.field == opt.name


@pytest.mark.parametrize("opt", [o for o in OPTIONS if o.kind == SECONDS], ids=lambda o: o.name)
def test_durations_are_seconds_on_both_sides_up_to_the_server_bound(
    opt: Option, tmp_path: Path
) -> None:
    command = parse(f"optimize {opt.flag} 2m 'goal'")
    assert command.optimize is not None and getattr(command.optimize, opt.name) == 120.0
    assert getattr(_create(tmp_path, **{opt.name: 120}), opt.name) == 120.0
    with pytest.raises(BadRequest) as bad:
        _create(tmp_path, **{opt.name: opt.upper(LIMITS) + 1})
    assert bad.value.field == opt.name


def test_server_limits_bound_the_options_that_name_them(tmp_path: Path) -> None:
    assert _create(tmp_path, workers=3).workers == 3
    with pytest.raises(BadRequest, match="between 0 and 3"):
        _create(tmp_path, workers=4)
    with pytest.raises(BadRequest, match="between 1 and 50"):
        _create(tmp_path, steps=51)


def test_the_magic_posts_only_table_fields_and_the_server_takes_them(tmp_path: Path) -> None:
    line = (
        "optimize --data df --target y --metric rmse --lower-is-better --steps 3 --time 1h "
        "--node-timeout 90 --parallel 2 --workers 1 --policy mcts --random-seed 7 "
        "--model builtin --eval 'cv 5' 'predict y'"
    )
    command = parse(line)
    assert command.optimize is not None
    body = command.optimize.request()
    assert set(body) - {"goal"} <= {o.name for o in OPTIONS}
    req = _create(tmp_path, **body)
    assert (req.steps, req.time_limit_s, req.node_timeout_s, req.parallel) == (3, 3600.0, 90.0, 2)
    assert req.config_overrides() == {
        "lower_is_better": True,
        "steps": 3,
        "time_limit_s": 3600.0,
        "node_timeout_s": 90.0,
        "parallel": 2,
        "workers": 1,
        "policy": "mcts",
        "random_seed": 7,
        "model": "builtin",
    }
