from __future__ import annotations

from aide_jupyter.search.config import SearchConfig
from aide_jupyter.search.journal import Journal
from aide_jupyter.search.prompts import (
    TaskContext,
    build_code_prompt,
    build_review_prompt,
    memory_section,
    truncate_middle,
)
from tests.support_engine.fakes import node

CTX = TaskContext(
    goal="Predict the price.",
    eval="RMSE of log price",
    data=["df"],
    target="price",
    packages=["numpy 2.0", "scikit-learn 1.5"],
)


def _tree() -> Journal:
    j = Journal(lower_is_better=True)
    node(j, "root", metric=2.0, plan="gradient boosting root")
    node(j, "mid", "improve", "root", metric=1.5, plan="add features")
    node(j, "sib", "improve", "root", buggy=True, exc_type="KeyError", plan="target encode")
    node(
        j, "leaf", "improve", "mid", metric=1.2, plan="tune depth", output="validation_metric: 1.2"
    )
    node(j, "other", metric=3.0, plan="unrelated draft")
    return j


def test_each_stage_has_its_named_sections() -> None:
    j, cfg = _tree(), SearchConfig()
    draft = build_code_prompt(
        "draft", j, CTX, parent=None, data_overview="## df: 10 rows", config=cfg, time_left_s=600
    )
    assert list(draft.sections) == [
        "introduction",
        "task",
        "memory",
        "data_overview",
        "installed_packages",
        "implementation_guidelines",
        "time_left",
        "response_format",
    ]
    improve = build_code_prompt(
        "improve", j, CTX, parent=j.get("leaf"), data_overview="", config=cfg
    )
    for name in ("previous_solution", "execution_output", "memory", "task", "response_format"):
        assert name in improve.sections
    assert "validation_metric: 1.2" in improve.sections["execution_output"]
    assert "Target column: price" in improve.sections["task"]
    assert "scikit-learn 1.5" in improve.render()
    assert "# %%" in improve.sections["response_format"]
    assert "validation_metric:" in improve.sections["implementation_guidelines"]
    fork = build_code_prompt(
        "fork",
        j,
        CTX,
        parent=j.get("leaf"),
        data_overview="",
        config=cfg,
        instruction="try lightgbm",
    )
    assert fork.stage == "improve" and fork.sections["user_instruction"] == "try lightgbm"
    review = build_review_prompt(j.get("leaf"), CTX, config=cfg)
    assert "submit_review" in review.sections["response_format"]
    assert (
        "JSON"
        in build_review_prompt(j.get("leaf"), CTX, config=cfg, use_tools=False).sections[
            "response_format"
        ]
    )


def test_memory_is_scoped_to_the_neighbourhood_and_marks_failures() -> None:
    j = _tree()
    text = memory_section(j, j.get("leaf"), max_items=10, max_chars=5000)
    assert "add features" in text and "gradient boosting root" in text  # ancestors
    assert "unrelated draft" not in text  # another branch
    mid = memory_section(j, j.get("mid"), max_items=10, max_chars=5000)
    assert "FAILED (KeyError)" in mid and "target encode" in mid  # failed sibling, marked
    assert "tune depth" in mid  # earlier attempt from the same node
    drafts = memory_section(j, None, max_items=10, max_chars=5000)
    assert "unrelated draft" in drafts and "tune depth" not in drafts


def test_memory_and_prompt_size_are_capped_whatever_the_journal_size() -> None:
    j = Journal(lower_is_better=False)
    node(j, "n0", metric=0.0, plan="x" * 500)
    for i in range(1, 400):
        node(
            j,
            f"n{i}",
            "improve",
            f"n{i - 1}",
            metric=i / 400,
            plan="plan " * 100,
            output="line\n" * 2000,
        )
    cfg = SearchConfig(memory_max_items=5, memory_max_chars=1500, output_max_chars=2000)
    text = memory_section(j, j.get("n399"), max_items=5, max_chars=1500)
    assert 0 < len(text) <= 1500 and text.count("\n- [") + 1 <= 5
    prompt = build_code_prompt(
        "improve", j, CTX, parent=j.get("n399"), data_overview="y" * 50000, config=cfg
    )
    assert len(prompt.sections["execution_output"]) <= 2000
    assert len(prompt.sections["data_overview"]) <= cfg.overview_max_chars
    small = build_code_prompt(
        "improve", j, CTX, parent=j.get("n3"), data_overview="y" * 50000, config=cfg
    )
    assert abs(prompt.size() - small.size()) < 1500


def test_truncate_middle_keeps_head_and_tail() -> None:
    text = "HEAD" + "x" * 10000 + "Traceback: ValueError"
    cut = truncate_middle(text, 300)
    assert len(cut) <= 300 and cut.startswith("HEAD") and cut.endswith("ValueError")
    assert "characters cut" in cut
    assert truncate_middle("short", 300) == "short"


def test_draft_index_counts_earlier_drafts() -> None:
    j = Journal()
    first = node(j, "a", status="queued")
    second = node(j, "b", status="queued")
    cfg = SearchConfig()
    p1 = build_code_prompt("draft", j, CTX, parent=None, data_overview="", config=cfg, node=first)
    p2 = build_code_prompt("draft", j, CTX, parent=None, data_overview="", config=cfg, node=second)
    assert (p1.draft_index, p2.draft_index) == (0, 1)
