from __future__ import annotations

from aide_jupyter.search.config import SearchConfig
from aide_jupyter.search.journal import Journal
from aide_jupyter.search.prompts import (
    TaskContext,
    build_code_prompt,
    build_review_prompt,
    estimate_tokens,
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


def test_memory_summarises_every_good_node_of_the_journal_in_step_order() -> None:
    """AIDE's memory: the whole journal's good nodes (plan, metric, finding), not a neighbourhood."""
    j = _tree()
    j.get("mid").analysis = "Lower error from the ratio features."
    text = memory_section(j, j.get("leaf"), stage="improve", max_items=30, max_tokens=2000)
    lines = text.splitlines()
    assert [ln.split(" (")[0] for ln in lines[:4]] == [
        "- step 0",
        "- step 1",
        "- step 3",
        "- step 4",
    ]
    assert "unrelated draft" in text and "metric 3" in text  # another branch is there too
    assert "- step 1 (improve of step 0), metric 1.5: add features" in text
    assert "Result: Lower error from the ratio features." in text
    assert "target encode" not in text  # failed nodes are not solutions to learn from...
    assert lines[-1] == "(1 attempts failed.)"  # ...only counted
    drafts = memory_section(j, None, stage="draft", max_items=30, max_tokens=2000)
    assert drafts == text  # a draft sees the same summary


def test_memory_cap_keeps_the_best_nodes_and_a_stable_order() -> None:
    j = Journal(lower_is_better=True)
    node(j, "a", metric=5.0, plan="five " * 20)
    node(j, "b", metric=1.0, plan="one " * 20)
    node(j, "c", metric=3.0, plan="three " * 20)
    node(j, "d", metric=2.0, plan="two " * 20)
    full = memory_section(j, None, stage="draft", max_items=30, max_tokens=10_000)
    one_line = len(full.splitlines()[0])
    capped = memory_section(j, None, stage="draft", max_items=30, max_tokens=one_line // 4 * 2 + 10)
    assert estimate_tokens(capped) <= one_line // 4 * 2 + 10
    steps = [ln.split(" (")[0] for ln in capped.splitlines() if ln.startswith("- step")]
    assert steps == ["- step 1", "- step 3"]  # the two best (1.0 and 2.0), in step order
    assert "2 more working solutions not listed" in capped
    two = memory_section(j, None, stage="draft", max_items=2, max_tokens=10_000)
    assert [ln.split(" (")[0] for ln in two.splitlines()[:2]] == ["- step 1", "- step 3"]
    assert memory_section(j, None, stage="draft", max_items=30, max_tokens=0) == ""


def test_debug_memory_lists_the_failed_fixes_of_its_own_chain() -> None:
    j = _tree()
    node(j, "bug", buggy=True, exc_type="ValueError", plan="stacked draft")
    node(j, "fix1", "debug", "bug", buggy=True, exc_type="KeyError", plan="cast the column")
    node(j, "fix2", "debug", "fix1", buggy=True, exc_type="TypeError", plan="drop the column")
    text = memory_section(j, j.get("fix2"), stage="debug", max_items=30, max_tokens=2000)
    assert text.splitlines() == [
        "- step 5 (draft), FAILED (ValueError): stacked draft",
        "- step 6 (debug), FAILED (KeyError): cast the column",
    ]
    prompt = build_code_prompt(
        "debug", j, CTX, parent=j.get("fix2"), data_overview="", config=SearchConfig()
    )
    assert prompt.sections["memory"] == text and "drop the column" not in text


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
    cfg = SearchConfig(memory_max_items=5, memory_max_tokens=400, output_max_chars=2000)
    text = memory_section(j, j.get("n399"), stage="improve", max_items=5, max_tokens=400)
    assert 0 < estimate_tokens(text) <= 400 and text.count("- step") <= 5
    assert "- step 399" in text  # the best one is kept
    prompt = build_code_prompt(
        "improve", j, CTX, parent=j.get("n399"), data_overview="y" * 50000, config=cfg
    )
    assert len(prompt.sections["execution_output"]) <= 2000
    assert len(prompt.sections["data_overview"]) <= cfg.overview_max_chars
    small = build_code_prompt(
        "improve", j, CTX, parent=j.get("n3"), data_overview="y" * 50000, config=cfg
    )
    assert abs(prompt.size() - small.size()) < 1600


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
