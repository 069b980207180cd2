from __future__ import annotations

import pytest

from aide_jupyter.search.executor import ExecResult
from aide_jupyter.search.review import (
    ReplyError,
    build_verdict,
    check_code,
    extract_code,
    parse_code_reply,
    parse_metric,
)


def test_code_and_plan_come_from_the_reply() -> None:
    text = "First I load data.\n\n```python\nimport os\nprint(1)\n```\n\nThat is all."
    assert parse_code_reply(text) == ("First I load data.", "import os\nprint(1)\n")
    two = "```bash\npip install x\n```\n```python\nx = 1\ny = 2\n```\n```python\nz=1\n```"
    assert extract_code(two) == "x = 1\ny = 2"


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("Just prose, no code.", "no ```python"),
        ("Plan\n```python\nimport os\nprint(", "unterminated"),
        ("Plan\n```python\ndef f(:\n    pass\n```", "does not compile"),
    ],
)
def test_unusable_replies_raise(text: str, why: str) -> None:
    with pytest.raises(ReplyError, match=why):
        parse_code_reply(text)
    with pytest.raises(ReplyError, match="cut off"):
        parse_code_reply("```python\nx=1\n```", truncated=True)


def test_check_code() -> None:
    assert check_code("x = 1") is None
    assert "SyntaxError" in (check_code("x = ") or "")


@pytest.mark.parametrize(
    ("output", "value", "lower"),
    [
        ("epoch 1\nvalidation_metric: 0.93\n", 0.93, None),
        (
            "validation_metric: 0.5\nvalidation_metric: 0.61 (accuracy, higher is better)",
            0.61,
            False,
        ),
        ("VALIDATION_METRIC = 12.5 (rmse, lower is better)", 12.5, True),
        ("validation_metric: 1e-3 (log_loss)", 0.001, True),
        ("Validation RMSE: 3.25\n", 3.25, True),
        ("train loss: 0.1\ncv accuracy = 0.88\nepoch loss: 0.05", 0.88, False),
    ],
)
def test_metric_parsing(output: str, value: float, lower: bool | None) -> None:
    parsed = parse_metric(output)
    assert parsed is not None and parsed.value == pytest.approx(value)
    assert parsed.lower_is_better is lower


def test_no_metric() -> None:
    assert parse_metric("hello\nworld") is None


def test_verdicts() -> None:
    ok = ExecResult("validation_metric: 0.9 (auc)\n")
    v = build_verdict(ok, review_is_bug=False, review_metric=0.9, review_lower=False)
    assert (v.is_buggy, v.metric, v.metric_source, v.lower_is_better) == (
        False,
        0.9,
        "parsed",
        False,
    )
    crash = ExecResult("Traceback...\nValueError: x", "exception", "ValueError")
    assert build_verdict(crash).is_buggy and "ValueError" in build_verdict(crash).analysis
    timeout = ExecResult("", "timeout", exec_time_s=60)
    assert "timed out" in build_verdict(timeout).analysis
    assert build_verdict(ok, review_is_bug=True).is_buggy
    silent = build_verdict(ExecResult("done\n"))
    assert silent.is_buggy and "No validation metric" in silent.analysis
    assert build_verdict(ExecResult("validation_metric: nan\n")).is_buggy


def test_reviewer_metric_is_cross_checked() -> None:
    out = ExecResult("fold scores [0.8, 0.9]\nmean score 0.85321\n")
    # no convention line: the reviewer's number is used when it appears in the output
    v = build_verdict(out, review_is_bug=False, review_metric=0.8532, review_lower=False)
    assert (v.metric, v.metric_source, v.is_buggy) == (0.8532, "reported", False)
    out2 = ExecResult("all good, trained the model\n")
    invented = build_verdict(out2, review_is_bug=False, review_metric=0.99, review_lower=False)
    assert invented.is_buggy and "does not appear" in invented.analysis
    found = build_verdict(
        ExecResult("the model got 0.7712 on held-out data\n"),
        review_is_bug=False,
        review_metric=0.7712,
        review_lower=False,
    )
    assert (found.metric, found.metric_source) == (0.7712, "reported")
    disagree = build_verdict(
        ExecResult("validation_metric: 0.7\n"),
        review_is_bug=False,
        review_metric=0.9,
        review_lower=False,
    )
    assert disagree.metric == 0.7 and "printed value is used" in disagree.analysis


def test_direction_is_fixed_once_given() -> None:
    v = build_verdict(
        ExecResult("validation_metric: 0.9 (rmse)\n"), review_lower=True, fixed_lower=False
    )
    assert v.lower_is_better is False
