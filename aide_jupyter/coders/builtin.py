"""The builtin coder: an offline baseline that needs no LLM, no key and no network.

It is not an LLM and does not read prose. It drafts scikit-learn (and LightGBM, XGBoost, CatBoost
when the kernel has them) scripts from templates, improves a parent by one concrete mutation (a
hyperparameter step, a feature step, or another model family), combines the best models into an
ensemble, crosses two parents' parameters, debugs by making the script lighter or safer, and
reviews by parsing the printed metric. Replies use the LLM format so the whole pipeline runs.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import random
import re
from typing import Any

from aide_jupyter.search.coder import CodeReply, CoderError, ReviewReply, Usage
from aide_jupyter.search.prompts import Prompt, TaskContext
from aide_jupyter.search.review import parse_metric

from . import builtin_moves as moves
from .builtin_render import render
from .builtin_seed import SeedSpec, first_spec, mutate, read_seed_spec, render_seed
from .builtin_templates import (
    DRAFT_ORDER,
    ENSEMBLE,
    FAMILIES,
    DataSource,
    Spec,
    read_spec,
)

logger = logging.getLogger(__name__)

_FAMILY_WORDS = {
    "random_forest": ("random forest", "randomforest", "forest"),
    "extra_trees": ("extra trees", "extratrees"),
    "hist_gb": ("gradient boosting", "histgradient", "boosting", "gbm"),
    "linear": ("linear", "logistic", "ridge"),
    "knn": ("knn", "nearest neighbo"),
    "lightgbm": ("lightgbm", "lgbm"),
    "xgboost": ("xgboost", "xgb"),
    "catboost": ("catboost",),
}


def data_source(ctx: TaskContext) -> DataSource:
    """Work out where the data is from the task's names, target and data folder."""
    names = list(ctx.data)
    if names:
        if ctx.target in names and len(names) >= 2:
            others = [n for n in names if n != ctx.target]
            return DataSource("arrays", [others[0], ctx.target], ctx.target)
        if ctx.target is None and len(names) >= 2:
            return DataSource("arrays", names[:2], None)
        return DataSource("frames", names, ctx.target)
    if ctx.data_dir:
        return DataSource("dir", [], ctx.target, ctx.data_dir)
    raise CoderError(
        "the builtin coder needs data: name in-memory objects (with a target "
        "column) or a data folder with train.csv"
    )


def metric_keys(ctx: TaskContext) -> tuple[str, str]:
    """The classification and regression metric the task asks for (accuracy/RMSE by default)."""
    text = f"{ctx.goal} {ctx.eval}".lower()
    clf = "accuracy"
    if re.search(r"\bauc\b|roc", text):
        clf = "auc"
    elif re.search(r"\bf1\b", text):
        clf = "f1"
    elif re.search(r"log[ _-]?loss|cross[ -]?entropy", text):
        clf = "logloss"
    reg = "rmse"
    if re.search(r"\bmae\b|mean absolute", text):
        reg = "mae"
    elif re.search(r"\br2\b|r\^2|r-squared|r squared", text):
        reg = "r2"
    return clf, reg


class BuiltinCoder:
    """Template-and-mutation coder; deterministic given the search seed and the node's step."""

    name = "builtin"

    def __init__(self, *, families: list[str] | None = None, **_ignored: object) -> None:
        self.usage = Usage()
        self._families = families

    def available_families(self, ctx: TaskContext) -> list[str]:
        """The families the kernel can run: by its environment listing when the prompt has one
        (the kernel's packages, not the server's), else by what this process can import."""
        installed = {p.split()[0].lower() for p in ctx.packages} if ctx.packages else None
        out = []
        for fam in self._families or DRAFT_ORDER:
            packages = FAMILIES[fam].get("package")
            if packages is None:
                out.append(fam)
            elif installed is not None:
                if installed & set(packages):
                    out.append(fam)
            elif importlib.util.find_spec(packages[0]) is not None:
                out.append(fam)
        return out

    def _rng(self, prompt: Prompt) -> random.Random:
        return random.Random(f"builtin:{prompt.context.seed}:{prompt.step}")

    def _reply(self, plan: str, spec: Spec, ctx: TaskContext) -> CodeReply:
        code = render(spec, data_source(ctx), ctx.seed, ctx.node_timeout_s)
        self.usage.calls += 1
        return CodeReply(f"{plan}\n\n```python\n{code}```\n", Usage(calls=1), model=self.name)

    def _fresh(self, ctx: TaskContext, index: int, rng: random.Random) -> Spec:
        families = self.available_families(ctx)
        family = families[index % len(families)]
        clf, reg = metric_keys(ctx)
        spec = Spec.defaults(family, clf_metric=clf, reg_metric=reg)
        if index >= len(families):  # a second round of drafts: vary the parameters
            for key, grid in FAMILIES[family]["grid"].items():
                spec.params[key] = rng.choice(grid)
        return spec

    async def draft(self, prompt: Prompt) -> CodeReply:
        ctx = prompt.context
        rng = self._rng(prompt)
        spec = self._fresh(ctx, prompt.draft_index, rng)
        plan = (
            f"Baseline draft: model family {spec.family.replace('_', ' ')} in a scikit-learn "
            f"pipeline (median imputation, {'scaled ' if spec.scale else ''}numeric "
            f"features, one-hot categoricals), scored by {spec.folds}-fold cross-validation "
            "(one 80/20 split above 10,000 rows, then a refit on all of them when fast enough)."
        )
        return self._reply(plan, spec, ctx)

    async def improve(self, prompt: Prompt) -> CodeReply:
        ctx = prompt.context
        rng = self._rng(prompt)
        parent = prompt.parent
        seed_spec = self._seed_spec(prompt)
        if seed_spec is not None:
            return self._improve_seed(prompt, seed_spec, rng)
        spec = read_spec(parent.code) if parent is not None else None
        if spec is None:
            spec = self._fresh(ctx, rng.randrange(8), rng)
            return self._reply(
                "The builtin coder only mutates scripts it wrote itself; it "
                f"replaces this one with its {spec.family} template.",
                spec,
                ctx,
            )
        task = moves.task_of(parent.output if parent else None)
        change = self._from_instruction(spec, prompt.instruction, ctx, task)
        if change is not None:
            return self._reply(f"Fork of the previous solution: {change}.", spec, ctx)
        tried = {s.to_json() for s in map(read_spec, prompt.tried_codes) if s is not None}
        base = spec.to_json()
        families = self.available_families(ctx)
        for _ in range(12):  # a mutation not already tried from this parent, if one is found
            spec = Spec(**json.loads(base))
            change = moves.mutate(spec, rng, families, task, moves.rows_of(parent.output))
            if spec.to_json() not in tried and spec.to_json() != base:
                break
        if prompt.instruction:
            return self._reply(
                f"The builtin coder could not follow {prompt.instruction!r} (it understands "
                "model families, tree counts, depth, learning rate, neighbours, folds, scaling "
                f"and a log target); it made an ordinary change instead: {change}.",
                spec,
                ctx,
            )
        return self._reply(f"Improve the previous solution: {change}.", spec, ctx)

    async def ensemble(self, prompt: Prompt) -> CodeReply:
        """Average (or stack) the models of the parent and the other top nodes in one script."""
        ctx = prompt.context
        nodes = [n for n in [prompt.parent, *prompt.others] if n is not None]
        specs = [s for s in (read_spec(n.code) for n in nodes) if s is not None]
        if len(specs) < 2:
            return await self.improve(prompt)
        spec = moves.ensemble(specs)
        names = ", ".join(m["family"].replace("_", " ") for m in spec.members)
        steps = ", ".join(str(n.step) for n in nodes)
        plan = (
            f"Ensemble of the best solutions so far (steps {steps}): {names}; each keeps its own "
            "preprocessing, and their predictions are averaged (class probabilities for a "
            "classification), validated like any single model."
        )
        return self._reply(plan, spec, ctx)

    async def crossover(self, prompt: Prompt) -> CodeReply:
        """Merge two parents: the first one's model with parameters and steps of the second."""
        ctx = prompt.context
        rng = self._rng(prompt)
        parent = prompt.parent
        other = prompt.others[0] if prompt.others else None
        first = read_spec(parent.code) if parent is not None else None
        second = read_spec(other.code) if other is not None else None
        if first is None or second is None:
            return await self.improve(prompt)
        change = moves.crossover(first, second, rng)
        steps = f"steps {parent.step} and {other.step}" if parent and other else "two parents"
        return self._reply(f"Crossover of {steps}: {change}.", first, ctx)

    async def debug(self, prompt: Prompt) -> CodeReply:
        ctx = prompt.context
        rng = self._rng(prompt)
        parent = prompt.parent
        seed_spec = self._seed_spec(prompt)
        if seed_spec is not None and parent is not None and parent.exit_cause in (None, "ok"):
            # It ran but scored nothing usable: validate the user's model as it is.
            fresh = SeedSpec(
                estimator=seed_spec.estimator,
                base=seed_spec.base,
                clf_metric=seed_spec.clf_metric,
                reg_metric=seed_spec.reg_metric,
            )
            plan = (
                "The user's code ran but gave no validation metric: keep it as written and "
                f"cross-validate the {fresh.estimator or 'estimator'} it leaves in `model`."
            )
            return self._seed_reply(plan, prompt, fresh)
        spec = read_spec(parent.code) if parent is not None else None
        text = f"{parent.exc_type or ''} {parent.output or ''}".lower() if parent else ""
        cause = parent.exit_cause if parent else None
        if spec is None:
            spec = Spec.defaults(
                "random_forest",
                **dict(zip(("clf_metric", "reg_metric"), metric_keys(ctx), strict=True)),
            )
            plan = (
                "The builtin coder cannot repair arbitrary code; it replaces the failing "
                "script with its safe random-forest baseline."
            )
        elif cause in ("timeout", "memory"):
            self._lighten(spec)
            plan = f"The script hit the {cause} limit: use a lighter model and fewer folds."
        elif "modulenotfound" in text or "importerror" in text:
            spec = Spec.defaults(
                "random_forest", clf_metric=spec.clf_metric, reg_metric=spec.reg_metric
            )
            plan = "A package is missing: switch to scikit-learn's random forest."
        else:
            spec = Spec.defaults(
                rng.choice(["random_forest", "hist_gb"]),
                clf_metric=spec.clf_metric,
                reg_metric=spec.reg_metric,
            )
            spec.folds = 3
            plan = (
                f"The script failed ({parent.exc_type if parent else 'unknown'}): fall back "
                f"to a robust {spec.family.replace('_', ' ')} with 3 folds."
            )
        return self._reply(plan, spec, ctx)

    # ----- seeds: the user's own estimator -----

    @staticmethod
    def _seed_spec(prompt: Prompt) -> SeedSpec | None:
        """The spec to start from when the parent is the user's seed or a tuning of it."""
        parent = prompt.parent
        if not prompt.seed_code or parent is None:
            return None
        if parent.stage == "seed":
            clf, reg = metric_keys(prompt.context)
            return first_spec(prompt.seed_code, clf, reg)
        return read_seed_spec(parent.code)

    def _seed_reply(self, plan: str, prompt: Prompt, spec: SeedSpec) -> CodeReply:
        ctx = prompt.context
        assert prompt.seed_code is not None
        code = render_seed(prompt.seed_code, spec, data_source(ctx), ctx.seed)
        self.usage.calls += 1
        return CodeReply(f"{plan}\n\n```python\n{code}```\n", Usage(calls=1), model=self.name)

    def _improve_seed(self, prompt: Prompt, spec: SeedSpec, rng: random.Random) -> CodeReply:
        """Tune the user's estimator one step, avoiding steps already tried from this parent."""
        tried = {s.to_json() for s in map(read_seed_spec, prompt.tried_codes) if s is not None}
        base = spec.to_json()
        change = ""
        for _ in range(8):
            spec = SeedSpec(**json.loads(base))
            change = mutate(spec, rng)
            if spec.to_json() not in tried and spec.to_json() != base:
                break
        return self._seed_reply(f"Improve the user's own model: {change}.", prompt, spec)

    async def review(self, prompt: Prompt) -> ReviewReply:
        node = prompt.node
        if node is None:
            raise CoderError("review prompt without a node")
        self.usage.calls += 1
        parsed = parse_metric(node.output or "")
        ok = node.exit_cause in (None, "ok")
        if not ok:
            summary = f"The script did not finish ({node.exit_cause}: {node.exc_type or ''})."
        elif parsed is None:
            summary = "The script ran but printed no validation metric."
        else:
            summary = (
                f"The script ran; cross-validated {parsed.name or 'metric'} {parsed.value:.6g}."
            )
        return ReviewReply(
            is_bug=not ok or parsed is None,
            summary=summary,
            metric=parsed.value if parsed else None,
            lower_is_better=parsed.lower_is_better if parsed else None,
            usage=Usage(calls=1),
            model=self.name,
        )

    async def close(self) -> None:
        return None

    # ----- repairs and instructions -----

    @staticmethod
    def _lighten(spec: Spec) -> None:
        if spec.family == ENSEMBLE:  # keep the best member alone
            spec.__dict__.update(Spec(**spec.members[0]).__dict__)
        spec.folds = 3
        for key in ("n_estimators", "max_iter", "iterations"):
            if key in spec.params:
                spec.params[key] = max(20, int(spec.params[key]) // 2)
        spec.poly = False

    def _from_instruction(
        self, spec: Spec, instruction: str | None, ctx: TaskContext, task: str | None = None
    ) -> str | None:
        """What a template coder can follow of an instruction: a model family, its size and
        depth, the learning rate, neighbours, folds, scaling, a log target. The plan says what
        changed, and what was not understood; None when nothing was."""
        if not instruction:
            return None
        low = instruction.lower()
        before = spec.to_json()
        done: list[str] = []
        for family, words in _FAMILY_WORDS.items():
            if any(w in low for w in words) and family in self.available_families(ctx):
                if spec.family != family:
                    fresh = Spec.defaults(
                        family, clf_metric=spec.clf_metric, reg_metric=spec.reg_metric
                    )
                    spec.family, spec.params = fresh.family, fresh.params
                done.append(f"a {family.replace('_', ' ')} model")
                break
        for key, value in _numbers(low):
            target = key
            if key == "n_estimators" and key not in spec.params and "max_iter" in spec.params:
                target = "max_iter"  # HistGradientBoosting counts its trees as iterations
            if key == "folds":
                spec.folds = max(2, min(20, int(value)))
                done.append(f"{spec.folds}-fold cross-validation")
            elif target in spec.params:
                spec.params[target] = value
                done.append(f"{target}={value!r}")
        if "scal" in low or "standardi" in low:
            spec.scale = True
            done.append("standardised numeric features")
        log = "log" in low and ("target" in low or "scale" in low)
        if log and task != "classification":
            spec.target = "log"
            done.append("the target on the log scale (regression only)")
        if not done:
            return None
        what = ", ".join(done)
        if spec.to_json() == before:
            return (
                f"the instruction {instruction!r} asks for what the parent already does "
                f"({what}): same code as the parent"
            )
        return f"follow the instruction {instruction!r}: {what}"


_NUMBER_PATTERNS: tuple[tuple[str, str, type], ...] = (
    ("n_estimators", r"(\d+)\s*(?:trees|estimators|boosting rounds|rounds|iterations)", int),
    ("n_estimators", r"n_estimators\s*[=:]?\s*(\d+)", int),
    ("max_depth", r"(?:max_depth|depth)\s*(?:of\s*)?[=:]?\s*(\d+)", int),
    ("max_depth", r"(\d+)\s*(?:levels? deep|deep)", int),
    ("learning_rate", r"(?:learning[_ ]rate|lr)\s*(?:of\s*)?[=:]?\s*(\d*\.\d+|\d+)", float),
    ("n_neighbors", r"(\d+)\s*(?:nearest\s*)?neighbou?rs", int),
    ("folds", r"(\d+)[- ]?folds?", int),
)


def _numbers(text: str) -> list[tuple[str, Any]]:
    """Settings with numbers an instruction names (`300 trees`, `depth 6`, `lr 0.05`)."""
    found: dict[str, Any] = {}
    for key, pattern, kind in _NUMBER_PATTERNS:
        match = re.search(pattern, text)
        if match and key not in found:
            found[key] = kind(match.group(1))
    return list(found.items())
