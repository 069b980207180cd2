from __future__ import annotations

import json

import pytest

from aide_jupyter.search.config import ConfigError, SearchConfig


def test_defaults_follow_aide() -> None:
    cfg = SearchConfig()
    assert (cfg.steps, cfg.num_drafts, cfg.debug_prob, cfg.max_debug_depth) == (20, 5, 0.5, 3)
    assert cfg.node_timeout_s == 600 and cfg.policy == "greedy" and cfg.parallel == 1
    assert cfg.lower_is_better is None and cfg.model == "builtin"


def test_round_trip_through_json() -> None:
    cfg = SearchConfig(
        steps=7,
        time_limit_s=60,
        policy="mcts",
        random_seed=3,
        target_metric=0.9,
        lower_is_better=False,
        feedback_model="gpt-4o-mini",
    )
    again = SearchConfig.from_dict(json.loads(json.dumps(cfg.to_dict())))
    assert again == cfg


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("steps", 0),
        ("steps", 2.5),
        ("steps", True),
        ("time_limit_s", -1),
        ("node_timeout_s", 0),
        ("max_tokens", 0),
        ("max_cost_usd", 0),
        ("target_metric", float("nan")),
        ("lower_is_better", "yes"),
        ("policy", "random"),
        ("num_drafts", 0),
        ("debug_prob", 1.5),
        ("max_debug_depth", -1),
        ("random_seed", "x"),
        ("random_seed", -1),
        ("parallel", 0),
        ("model", ""),
        ("feedback_model", ""),
        ("memory_limit_mb", 0),
        ("reply_retries", 11),
    ],
)
def test_validation_names_the_field(field: str, value: object) -> None:
    with pytest.raises(ConfigError) as err:
        SearchConfig.from_dict({field: value})
    assert err.value.field == field
    assert field in str(err.value)


def test_unknown_keys_are_rejected_and_secrets_have_no_place() -> None:
    with pytest.raises(ConfigError) as err:
        SearchConfig.from_dict({"steps": 3, "api_key": "sk-secret"})
    assert err.value.field == "api_key"
    assert SearchConfig.from_dict({"steps": 3, "api_key": "x"}, strict=False).steps == 3
    assert not any("key" in k or "secret" in k for k in SearchConfig().to_dict())


def test_ints_accepted_for_float_fields() -> None:
    cfg = SearchConfig.from_dict({"time_limit_s": 30, "debug_prob": 1})
    assert cfg.time_limit_s == 30.0 and isinstance(cfg.debug_prob, float)


def test_journals_from_before_the_rename_keep_their_seed() -> None:
    """Config saved as `seed` (before `random_seed`) still replays with the same seed."""
    assert SearchConfig.from_dict({"seed": 42}).random_seed == 42
