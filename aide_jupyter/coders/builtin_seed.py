"""The builtin coder's answer to a seed: tune the user's own estimator instead of replacing it.

When the user's code (the search's seed) leaves a fitted scikit-learn estimator or pipeline in
`model`, the builtin coder learns which estimator it is by reading the seed's code (`ast`: the last
`model = ...` assignment, through `make_pipeline`/`Pipeline` to the final step, with its literal
keyword arguments). Its scripts then run the seed as written and add one cell that clones `model`,
sets parameters (matched by name, also inside pipelines as `step__name`), optionally puts
imputation and scaling in front, cross-validates it on the training data the seed used and leaves
the refitted estimator in `model`. The spec travels in a `# builtin-seed-spec:` comment line, so
each improve starts from exactly what its parent did. Drafts from the builtin's own templates run
beside these, so the search compares the user's model with the templates.
"""

from __future__ import annotations

import ast
import json
import random
import re
from dataclasses import asdict, dataclass, field
from typing import Any

from .builtin_templates import CLF_METRICS, REG_METRICS, DataSource

SEED_SPEC_MARK = "# builtin-seed-spec: "
_SEED_SPEC_LINE = re.compile(r"^# builtin-seed-spec: (\{.*\})\s*$", re.MULTILINE)

# Parameter grids by estimator class name (prefix match); the first matching row wins.
GRIDS: list[tuple[tuple[str, ...], dict[str, list[Any]]]] = [
    (
        ("RandomForest", "ExtraTrees"),
        {
            "n_estimators": [100, 200, 400],
            "max_depth": [None, 4, 8, 16],
            "min_samples_leaf": [1, 2, 4, 8],
            "max_features": ["sqrt", 0.5, 1.0],
        },
    ),
    (("DecisionTree",), {"max_depth": [None, 2, 3, 4, 6, 8, 12], "min_samples_leaf": [1, 2, 5]}),
    (
        ("HistGradientBoosting",),
        {
            "learning_rate": [0.1, 0.05, 0.2],
            "max_iter": [100, 200, 400],
            "max_leaf_nodes": [31, 15, 63],
            "l2_regularization": [0.0, 0.1, 1.0],
        },
    ),
    (
        ("GradientBoosting", "XGB", "LGBM"),
        {"n_estimators": [100, 200, 400], "learning_rate": [0.1, 0.05, 0.2], "max_depth": [3, 5]},
    ),
    (("LogisticRegression", "LinearSVC", "SVC", "SVR"), {"C": [1.0, 0.1, 0.3, 3.0, 10.0]}),
    (("Ridge", "Lasso", "ElasticNet"), {"alpha": [1.0, 0.1, 0.3, 3.0, 10.0]}),
    (("KNeighbors",), {"n_neighbors": [5, 3, 11, 21], "weights": ["uniform", "distance"]}),
]
GENERIC_GRID: dict[str, list[Any]] = {
    "n_estimators": [100, 200, 400],
    "max_depth": [None, 4, 8],
    "C": [1.0, 0.3, 3.0],
    "alpha": [1.0, 0.3, 3.0],
}


@dataclass
class SeedSpec:
    """What a seed-tuning script does: which estimator, which overrides, which feature steps."""

    estimator: str = ""  # the final estimator's class name as read from the seed ('' unknown)
    base: dict[str, Any] = field(default_factory=dict)  # its literal keyword arguments
    params: dict[str, Any] = field(default_factory=dict)  # overrides set on a clone
    scale: bool = False
    impute: bool = False
    folds: int = 5
    clf_metric: str = "accuracy"
    reg_metric: str = "rmse"

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)


def read_seed_spec(code: str) -> SeedSpec | None:
    match = _SEED_SPEC_LINE.search(code or "")
    if not match:
        return None
    try:
        return SeedSpec(**json.loads(match.group(1)))
    except (ValueError, TypeError):
        return None


def _call_name(node: ast.expr) -> str:
    func = node.func if isinstance(node, ast.Call) else node
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def _final_step(call: ast.Call) -> ast.Call | None:
    """The estimator a `model = ...` call builds: unwrap `.fit(...)` and pipelines."""
    name = _call_name(call)
    if (
        name == "fit"
        and isinstance(call.func, ast.Attribute)
        and isinstance(call.func.value, ast.Call)
    ):
        return _final_step(call.func.value)
    if name == "make_pipeline" and call.args and isinstance(call.args[-1], ast.Call):
        return _final_step(call.args[-1])
    if name == "Pipeline" and call.args and isinstance(call.args[0], ast.List):
        steps = call.args[0].elts
        if steps and isinstance(steps[-1], ast.Tuple) and len(steps[-1].elts) == 2:
            last = steps[-1].elts[1]
            return _final_step(last) if isinstance(last, ast.Call) else None
    if name in ("TransformedTargetRegressor",):
        inner = next((k.value for k in call.keywords if k.arg == "regressor"), None)
        inner = inner or (call.args[0] if call.args else None)
        return _final_step(inner) if isinstance(inner, ast.Call) else None
    return call


def read_seed_model(code: str) -> tuple[str, dict[str, Any]]:
    """The class name and literal keyword arguments of the estimator the seed puts in `model`."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return "", {}
    found: ast.Call | None = None
    # Top-level statements in order (the last assignment wins), then nested ones if none.
    for stmts in (tree.body, list(ast.walk(tree))):
        for stmt in stmts:
            if (
                isinstance(stmt, ast.Assign)
                and isinstance(stmt.value, ast.Call)
                and any(isinstance(t, ast.Name) and t.id == "model" for t in stmt.targets)
            ):
                found = stmt.value
        if found is not None:
            break
    if found is None:
        return "", {}
    step = _final_step(found)
    if step is None:
        return "", {}
    kwargs: dict[str, Any] = {}
    for kw in step.keywords:
        if kw.arg is None:
            continue
        try:
            value = ast.literal_eval(kw.value)
        except ValueError:
            continue
        if value is None or isinstance(value, (bool, int, float, str)):
            kwargs[kw.arg] = value
    return _call_name(step), kwargs


def grid_for(estimator: str) -> dict[str, list[Any]]:
    for prefixes, grid in GRIDS:
        if estimator.startswith(prefixes):
            return grid
    return GENERIC_GRID


def first_spec(seed_code: str, clf_metric: str, reg_metric: str) -> SeedSpec:
    estimator, base = read_seed_model(seed_code)
    return SeedSpec(estimator=estimator, base=base, clf_metric=clf_metric, reg_metric=reg_metric)


def mutate(spec: SeedSpec, rng: random.Random) -> str:
    """One change: a parameter step (most often) or a feature step; returns what changed."""
    grid = grid_for(spec.estimator)
    what = spec.estimator or "estimator"
    if rng.random() < 0.75:
        key = rng.choice(sorted(grid))
        values = grid[key]
        current = spec.params.get(key, spec.base.get(key, values[0]))
        choices = [v for v in values if v != current]
        new = rng.choice(choices) if choices else values[0]
        spec.params[key] = new
        return f"set {key} of the user's {what} from {current!r} to {new!r}"
    if rng.random() < 0.5:
        spec.scale = not spec.scale
        return ("standardise" if spec.scale else "stop standardising") + " the numeric features"
    spec.impute = not spec.impute
    return ("impute" if spec.impute else "stop imputing") + " missing values (median) first"


def render_seed(seed_code: str, spec: SeedSpec, src: DataSource, seed: int) -> str:
    """The seed as written, then one cell that tunes and validates the estimator it left."""
    clf_scoring, clf_name, clf_lower = CLF_METRICS[spec.clf_metric]
    reg_scoring, reg_name, reg_lower = REG_METRICS[spec.reg_metric]
    frames = src.names if src.kind == "frames" else []
    arrays = src.names if src.kind == "arrays" else []
    body = seed_code.rstrip("\n")
    if not body.lstrip().startswith("# %%"):
        body = "# %% The user's code (the seed), as written\n" + body
    lines = [
        body,
        "",
        f"# %% Tune the user's {spec.estimator or 'estimator'} (AIDE builtin coder)",
        SEED_SPEC_MARK + spec.to_json(),
        "import numpy as np",
        "import pandas as pd",
        "from sklearn.base import BaseEstimator, clone, is_classifier",
        "from sklearn.impute import SimpleImputer",
        "from sklearn.model_selection import KFold, StratifiedKFold, cross_val_score",
        "from sklearn.pipeline import make_pipeline",
        "from sklearn.preprocessing import StandardScaler",
        "from threadpoolctl import threadpool_limits",
        "",
        "threadpool_limits(limits=1)  # one thread a fit: OpenMP threads crawl on a busy machine",
        f"SEED = {seed}",
        f"TARGET = {src.target!r}",
        "if not isinstance(globals().get('model'), BaseEstimator):",
        "    raise TypeError('the seed left no scikit-learn estimator in `model` to tune')",
        "# The training data the seed used: X/y (or X_train/y_train) it defined, else the frame",
        "# whose columns are the ones `model` was fitted on, else the task's data.",
        "_g = globals()",
        "X_fit = y_fit = None",
        "for _xn, _yn in (('X_train', 'y_train'), ('X', 'y')):",
        "    if _xn in _g and _yn in _g and len(_g[_xn]) == len(_g[_yn]):",
        "        X_fit, y_fit = _g[_xn], _g[_yn]",
        "        break",
        "_cols = [str(c) for c in getattr(model, 'feature_names_in_', [])]",
        "if X_fit is None and _cols:",
        "    for _name, _value in list(_g.items()):",
        "        if (isinstance(_value, pd.DataFrame) and not _name.startswith('_')",
        "                and [str(c) for c in _value.columns] == _cols):",
        "            X_fit = _value",
        "            break",
        f"for _frame in [{', '.join(frames)}]:",
        "    if TARGET in getattr(_frame, 'columns', []):",
        "        if X_fit is None:",
        "            X_fit = _frame.drop(columns=[TARGET])",
        "        if y_fit is None and len(_frame) == len(X_fit):",
        "            y_fit = _frame[TARGET]",
    ]
    if arrays:
        lines += [
            "if X_fit is None or y_fit is None:",
            f"    X_fit, y_fit = {arrays[0]}, np.asarray({arrays[1]}).ravel()",
        ]
    if src.kind == "dir":
        lines += [
            "if X_fit is None or y_fit is None:",
            "    from pathlib import Path",
            f"    _train = pd.read_csv(Path({src.data_dir!r}) / 'train.csv')",
            "    _t = TARGET if TARGET is not None else _train.columns[-1]",
            "    X_fit, y_fit = _train.drop(columns=[_t]), _train[_t]",
        ]
    lines += [
        "if X_fit is None or y_fit is None:",
        "    raise ValueError('cannot tell which data the seed trained on: define X and y')",
        "",
        f"overrides = {spec.params!r}",
        "names = model.get_params(deep=True)",
        "applied = {k: v for key, v in overrides.items()",
        "           for k in names if k == key or k.endswith('__' + key)}",
        "tuned = clone(model).set_params(**applied)",
        "_numeric = not isinstance(X_fit, pd.DataFrame) or all(",
        "    kind in 'biuf' for kind in X_fit.dtypes.map(lambda d: d.kind))",
        "front = []",
        f"if {spec.impute} and _numeric:",
        "    front.append(SimpleImputer(strategy='median'))",
        f"if {spec.scale} and _numeric:",
        "    front.append(StandardScaler())",
        "if front:",
        "    tuned = make_pipeline(*front, tuned)",
        "print(f'tuning {type(model).__name__}: set {applied or \"nothing\"}; '",
        "      f'feature steps: {[type(s).__name__ for s in front] or \"none\"}')",
        "",
        "if is_classifier(tuned):",
        f"    SCORING, METRIC, LOWER = {clf_scoring!r}, {clf_name!r}, {clf_lower}",
        "    if SCORING == 'roc_auc' and len(np.unique(np.asarray(y_fit))) > 2:",
        "        SCORING = 'roc_auc_ovr'",
        f"    folds = max(2, min({int(spec.folds)}, "
        "int(pd.Series(np.asarray(y_fit)).value_counts().min())))",
        "    cv = StratifiedKFold(folds, shuffle=True, random_state=SEED)",
        "else:",
        f"    SCORING, METRIC, LOWER = {reg_scoring!r}, {reg_name!r}, {reg_lower}",
        f"    cv = KFold({int(spec.folds)}, shuffle=True, random_state=SEED)",
        "scores = cross_val_score(tuned, X_fit, y_fit, cv=cv, scoring=SCORING)",
        "scores = -scores if SCORING.startswith('neg_') else scores",
        "print('fold scores:', np.round(scores, 4).tolist())",
        "direction = 'lower' if LOWER else 'higher'",
        "print(f'validation_metric: {scores.mean():.6f} ({METRIC}, {direction} is better)')",
        "model = tuned.fit(X_fit, y_fit)",
    ]
    return "\n".join(lines) + "\n"
