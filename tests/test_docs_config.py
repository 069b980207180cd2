"""docs/configuration.md names every `c.AideExtension` option with its real default, and no other."""

from __future__ import annotations

import re
from pathlib import Path

from aide_jupyter.server.app import AideExtension

DOC = Path(__file__).resolve().parents[1] / "docs" / "configuration.md"


def _documented_options() -> dict[str, str]:
    rows = re.findall(r"^\| `(\w+)` \| \w+ \| ([^|]+) \|", DOC.read_text(), flags=re.MULTILINE)
    return {name: default.strip() for name, default in rows}


def test_every_option_is_documented_and_nothing_else():
    configurable = set(AideExtension.class_own_traits(config=True))
    assert configurable == set(_documented_options())


def test_documented_defaults_match_the_code():
    for name, documented in _documented_options().items():
        actual = AideExtension.class_own_traits(config=True)[name].default()
        text = documented.strip("`").replace('""', "")
        if isinstance(actual, bool):
            assert text == str(actual), name
        elif isinstance(actual, (int, float)):
            assert float(text) == actual, name
        elif isinstance(actual, list):
            assert text == "[]" and actual == [], name
        elif isinstance(actual, dict):
            assert text == "{}" and actual == {}, name
        else:
            assert text == actual, name
