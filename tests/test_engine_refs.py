"""Node references accept what the UI shows: `#3`, a step number, an id or an id prefix."""

from __future__ import annotations

import pytest

from aide_jupyter.search.journal import resolve_ref

NODES = [("a1b2c3d4", 0), ("a1ffee00", 1), ("12345678", 2), ("9abc0000", 12)]


@pytest.mark.parametrize(
    ("ref", "node_id"),
    [
        ("a1b2c3d4", "a1b2c3d4"),
        ("#1", "a1ffee00"),
        ("12", "9abc0000"),  # a step number wins over an id prefix
        (" #0 ", "a1b2c3d4"),
        ("a1b", "a1b2c3d4"),
        ("1234", "12345678"),  # no step 1234: the id prefix
        ("9a", "9abc0000"),
    ],
)
def test_refs(ref: str, node_id: str) -> None:
    assert resolve_ref(ref, NODES) == node_id


@pytest.mark.parametrize(
    ("ref", "needle"),
    [
        ("#40", "no node #40 (steps are 0 to 12)"),
        ("a1", "'a1' matches 2 nodes; give more of the id"),
        ("zz", "no node 'zz': name a node as the panel shows it (#3 or 3"),
        ("", "no node ''"),
    ],
)
def test_bad_refs_say_what_is_accepted(ref: str, needle: str) -> None:
    with pytest.raises(ValueError) as caught:
        resolve_ref(ref, NODES)
    assert needle in str(caught.value)


def test_a_missing_column_lists_all_columns_closest_first() -> None:
    from aide_jupyter.search.columns import missing_column

    columns = [f"feature_{i}" for i in range(13)] + ["SalePrice"]
    text = missing_column("saleprice", columns, "train")
    assert text.startswith("'saleprice' is not a column of train; closest: SalePrice;")
    assert "columns (14): feature_0," in text and text.endswith("feature_12, SalePrice")
    many = missing_column("x", [f"c{i}" for i in range(100)], "df")
    assert "columns (100)" in many and "(40 more)" in many
