"""The builtin coder's moves on specs: one-step mutations, crossover of two parents, ensembles.

Pure functions of specs and a seeded `random.Random`, so a seed replays them exactly. Moves that
only matter for regression (the target transform) are offered only when the parent's output says
the task is a regression.
"""

from __future__ import annotations

import random
import re
from dataclasses import asdict

from .builtin_templates import (
    BIG_ROWS,
    COMBINE,
    ENSEMBLE,
    FAMILIES,
    TARGET_CHOICES,
    Spec,
    member_specs,
)

_TASK_LINE = re.compile(r"^task: (classification|regression)\b", re.MULTILINE)
_ROWS = re.compile(r"^task: \w+, (\d+) rows", re.MULTILINE)


def task_of(output: str | None) -> str | None:
    """ "classification" or "regression" as a builtin script printed it, else None."""
    match = _TASK_LINE.search(output or "")
    return match.group(1) if match else None


def rows_of(output: str | None) -> int | None:
    """The number of training rows a builtin script printed, else None."""
    match = _ROWS.search(output or "")
    return int(match.group(1)) if match else None


def tune(spec: Spec, rng: random.Random) -> str:
    """Move one hyperparameter one or two steps along its grid."""
    grid = FAMILIES[spec.family]["grid"]
    key = rng.choice(sorted(grid))
    values = grid[key]
    current = spec.params.get(key, values[0])
    index = values.index(current) if current in values else 0
    choices = [i for i in (index - 1, index + 1, index + 2) if 0 <= i < len(values)]
    new = values[rng.choice(choices)] if choices else values[0]
    spec.params[key] = new
    return f"set {key} of the {spec.family} model from {current!r} to {new!r}"


def feature(spec: Spec, rng: random.Random, task: str | None) -> str:
    """Change one preprocessing step (the target transform only for a regression)."""
    options = ["scale", "impute"] + (["poly"] if spec.family == "linear" else [])
    if task == "regression":
        options.append("target")
    what = rng.choice(options)
    if what == "scale":
        spec.scale = not spec.scale
        return ("standardise" if spec.scale else "stop standardising") + " numeric features"
    if what == "impute":
        spec.impute = "mean" if spec.impute == "median" else "median"
        return f"impute missing numeric values with the {spec.impute}"
    if what == "poly":
        spec.poly = not spec.poly
        return ("add" if spec.poly else "drop") + " degree-2 polynomial feature interactions"
    if spec.reg_metric == "mae":
        spec.target = rng.choice([t for t in TARGET_CHOICES if t != spec.target])
    else:  # "auto" is no log fit for these metrics: "none" would be the same script
        spec.target = "auto" if spec.target == "log" else "log"
    return {
        "auto": "fit the target on the log scale only when it is skewed and the metric is the MAE",
        "none": "fit the target on its own scale (no log transform)",
        "log": "fit the target on the log scale (log1p, predictions mapped back)",
    }[spec.target]


def switch_family(spec: Spec, rng: random.Random, families: list[str]) -> str:
    others = [f for f in families if f != spec.family]
    new = rng.choice(others) if others else spec.family
    old = spec.family
    fresh = Spec.defaults(new, clf_metric=spec.clf_metric, reg_metric=spec.reg_metric)
    spec.family, spec.params = fresh.family, fresh.params
    return f"switch the model family from {old} to {new}"


def mutate(
    spec: Spec,
    rng: random.Random,
    families: list[str],
    task: str | None,
    rows: int | None = None,
) -> str:
    """One concrete change: a hyperparameter (most often), a feature step, or another family.
    `rows` (what the parent printed) rules out stacking on big data, where scripts average."""
    if spec.family == ENSEMBLE:
        return _mutate_ensemble(spec, rng, task, big=rows is not None and rows > BIG_ROWS)
    roll = rng.random()
    if roll < 0.55:
        return tune(spec, rng)
    if roll < 0.8:
        return feature(spec, rng, task)
    return switch_family(spec, rng, families)


def _mutate_ensemble(spec: Spec, rng: random.Random, task: str | None, big: bool) -> str:
    combine = spec.params.get("combine", COMBINE[0])
    if rng.random() < 0.4 and not big:  # big data is always averaged: the same script
        new = next(c for c in COMBINE if c != combine)
        spec.params["combine"] = new
        return f"combine the ensemble's models by {new} instead of {combine}"
    members = member_specs(spec)
    i = rng.randrange(len(members))
    change = tune(members[i], rng) if rng.random() < 0.7 else feature(members[i], rng, task)
    spec.members[i] = asdict(members[i])
    return f"in the ensemble's member {i + 1}: {change}"


def crossover(a: Spec, b: Spec, rng: random.Random) -> str:
    """Merge two parents into `a`: a uniform crossover of their parameters when they share a
    family; otherwise `a`'s model with `b`'s preprocessing and the parameters both can take."""
    taken: list[str] = []
    if a.family == ENSEMBLE or b.family == ENSEMBLE:
        ours = [Spec(**asdict(m)) for m in member_specs(a)]  # copies: `a` becomes the ensemble
        theirs = member_specs(b)
        merged = ours[: max(1, len(ours) - 1)] + theirs[:1]
        a.family, a.params = ENSEMBLE, {"combine": a.params.get("combine", COMBINE[0])}
        a.members = [asdict(m) for m in merged]
        return "merge the two ensembles' members"
    grid = FAMILIES[a.family]["grid"]
    for key in sorted(grid):
        if key in b.params and b.params[key] in grid[key] and b.params[key] != a.params.get(key):
            if a.family == b.family and rng.random() >= 0.5:
                continue
            a.params[key] = b.params[key]
            taken.append(f"{key}={b.params[key]!r}")
    for name in ("scale", "impute", "poly", "target"):
        if getattr(a, name) != getattr(b, name) and rng.random() < 0.5:
            setattr(a, name, getattr(b, name))
            taken.append(f"{name}={getattr(b, name)!r}")
    if a.family != "linear":
        a.poly = False  # polynomial features only for the linear family
    if not taken:
        return f"keep the {a.family} model; the second parent adds nothing new to it"
    return f"the {a.family} model of the first parent with {', '.join(taken)} from the second"


def ensemble(specs: list[Spec], combine: str = COMBINE[0]) -> Spec:
    """An ensemble spec over the (non-ensemble) members of `specs`, duplicates removed."""
    members: list[Spec] = []
    seen: set[str] = set()
    for spec in specs:
        for member in member_specs(spec):
            key = member.to_json()
            if key not in seen:
                seen.add(key)
                members.append(member)
    first = members[0]
    return Spec(
        family=ENSEMBLE,
        params={"combine": combine},
        folds=min(m.folds for m in members),
        clf_metric=first.clf_metric,
        reg_metric=first.reg_metric,
        members=[asdict(m) for m in members],
    )
