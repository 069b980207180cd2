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

from aide_jupyter.search.prompts import Prompt, TaskContext
from aide_jupyter.search.review import parse_metric

from . import builtin_moves as moves
from .base import CodeReply, CoderError, ReviewReply, Usage
from .builtin_render import render
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
        code = render(spec, data_source(ctx), ctx.seed)
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
            "(one 80/20 split above 10,000 rows)."
        )
        return self._reply(plan, spec, ctx)

    async def improve(self, prompt: Prompt) -> CodeReply:
        ctx = prompt.context
        rng = self._rng(prompt)
        parent = prompt.parent
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
        if change is None:  # a mutation not already tried from this parent, if one is found
            tried = {s.to_json() for s in map(read_spec, prompt.tried_codes) if s is not None}
            base = spec.to_json()
            families = self.available_families(ctx)
            for _ in range(12):
                spec = Spec(**json.loads(base))
                change = moves.mutate(spec, rng, families, task)
                if spec.to_json() not in tried and spec.to_json() != base:
                    break
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
        self, spec: Spec, instruction: str | None, ctx: TaskContext, task: str | None
    ) -> str | None:
        """The few instructions a template coder can follow: a model family or a feature step."""
        if not instruction:
            return None
        low = instruction.lower()
        for family, words in _FAMILY_WORDS.items():
            if any(w in low for w in words) and family in self.available_families(ctx):
                fresh = Spec.defaults(
                    family, clf_metric=spec.clf_metric, reg_metric=spec.reg_metric
                )
                spec.family, spec.params = fresh.family, fresh.params
                return f"follow the instruction {instruction!r}: use a {family} model"
        if "scal" in low or "standardi" in low:
            spec.scale = True
            return f"follow the instruction {instruction!r}: standardise numeric features"
        if "log" in low and task != "classification":
            spec.target = "log"
            return f"follow the instruction {instruction!r}: fit the target on the log scale"
        return None
