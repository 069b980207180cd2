"""Render a builtin `Spec` as a whole scikit-learn script in `# %%` cells.

Every model is built by its own `make_model_<i>()` (preprocessing + estimator), so an ensemble
script is the same parts plus one combining step: the pipelines are composable. Big data is
validated on one held-out split instead of k folds (cross-validating slow families on every row
of 40,000 rows took minutes a node); the final model is then refitted on all the rows, unless the
split's fit was too slow for that (then the model fitted on 80% of the rows is kept, and the
script says so): a forest fitted on 80% of randhie's rows scored 3.63 on the benchmark's holdout,
refitted on all of them 3.53.
"""

from __future__ import annotations

from . import builtin_boost as boost
from .builtin_templates import (
    BIG_ROWS,
    CLF_METRICS,
    ENSEMBLE,
    FAMILIES,
    REG_METRICS,
    SPEC_MARK,
    DataSource,
    Spec,
    member_specs,
)

# Big data's refit on all rows takes at most a fifth of the node's time limit, at most this.
REFIT_CAP_S = 60.0
DEFAULT_TIMEOUT_S = 600.0

# An ensemble replaces its best member only when better by this many standard errors of their
# paired differences, over chunks of the validation rows (5 on one split, 2 a fold otherwise).
ENSEMBLE_MARGIN_SE = 2.0
ENSEMBLE_CHUNKS = 5


def _estimators(spec: Spec) -> tuple[str, str]:
    fam = FAMILIES[spec.family]
    p = dict(spec.params)
    if spec.family == "linear":
        strength = float(p.get("strength", 1.0))
        p = {"C": round(1.0 / strength, 6), "alpha": strength}
    if spec.family == "random_forest":
        mf = p.get("max_features", "default")
        p["max_features_clf"] = repr("sqrt" if mf == "default" else mf)
        p["max_features_reg"] = repr(0.5 if mf == "default" else mf)
    return fam["clf"].format(**p), fam["reg"].format(**p)


def _load_block(src: DataSource) -> list[str]:
    if src.kind == "dir":
        return [
            "from pathlib import Path",
            "",
            f"DATA_DIR = Path({src.data_dir!r})",
            'train_file = DATA_DIR / "train.csv"',
            "if not train_file.exists():",
            '    train_file = sorted(DATA_DIR.glob("*.csv"))[0]',
            "train_df = pd.read_csv(train_file)",
            "TARGET = TARGET if TARGET is not None else train_df.columns[-1]",
            'test_file = DATA_DIR / "test.csv"',
            "test_df = pd.read_csv(test_file) if test_file.exists() else None",
            "X = train_df.drop(columns=[TARGET])",
            "y = train_df[TARGET]",
        ]
    if src.kind == "arrays":
        x_name, y_name = src.names[0], src.names[1]
        return [
            f"# `{x_name}` and `{y_name}` are the notebook's objects (this node runs on a copy)",
            f"X = {x_name}.copy() if isinstance({x_name}, pd.DataFrame) "
            f"else pd.DataFrame(np.asarray({x_name}))",
            "X.columns = [str(c) for c in X.columns]",
            f"y = pd.Series(np.asarray({y_name}).ravel(), index=X.index)",
            "test_df = None",
        ]
    if len(src.names) == 1:
        name = src.names[0]
        return [
            f"# `{name}` is the notebook's DataFrame (this node runs on a copy of the namespace)",
            f"X = {name}.drop(columns=[TARGET])",
            f"y = {name}[TARGET]",
            "test_df = None",
        ]
    return [
        "# the notebook's frames: the one with the target trains, another one (if any) is test",
        f"frames = [{', '.join(src.names)}]",
        "train_df = next(f for f in frames if TARGET in getattr(f, 'columns', []))",
        "test_df = next((f for f in frames if f is not train_df",
        "                and hasattr(f, 'columns') and TARGET not in f.columns), None)",
        "X = train_df.drop(columns=[TARGET])",
        "y = train_df[TARGET]",
    ]


def _imports(spec: Spec, members: list[Spec]) -> list[str]:
    lines = [
        "import numpy as np",
        "import pandas as pd",
        "from sklearn.compose import ColumnTransformer, TransformedTargetRegressor",
        "from sklearn.impute import SimpleImputer",
        "from sklearn.model_selection import (KFold, ShuffleSplit, StratifiedKFold,",
        "                                     StratifiedShuffleSplit, cross_validate)",
        "from sklearn.pipeline import Pipeline",
        "from sklearn.preprocessing import OneHotEncoder, PolynomialFeatures, StandardScaler",
        "from threadpoolctl import threadpool_limits",
    ]
    for member in members:
        for line in FAMILIES[member.family]["imports"] + boost.imports(member.family):
            if line not in lines:
                lines.append(line)
    if spec.family == ENSEMBLE:
        lines += [
            "from sklearn.ensemble import (StackingClassifier, StackingRegressor, "
            "VotingClassifier,",
            "                              VotingRegressor)",
            "from sklearn.linear_model import LogisticRegression, RidgeCV",
            "from sklearn.base import clone",
            "from sklearn.metrics import get_scorer",
            "import time",
        ]
    return lines


def _features_block(reg_metric: str) -> list[str]:
    return [
        "",
        "# %% Prepare the features",
        'ID_COLUMNS = [c for c in X.columns if str(c).lower() == "id"]',
        "X = X.drop(columns=ID_COLUMNS)",
        'TASK = ("classification" if y.dtype.kind in "Obc" or str(y.dtype) == "category"',
        '        or (y.dtype.kind in "iu" and y.nunique() <= 20) else "regression")',
        'numeric = X.select_dtypes(include="number").columns.tolist()',
        "categorical = [c for c in X.columns if c not in numeric]",
        "X[categorical] = X[categorical].astype(str)",
        'SKEW = float(y.skew()) if TASK == "regression" else 0.0',
        'print(f"task: {TASK}, {len(X)} rows, {len(numeric)} numeric and '
        '{len(categorical)} categorical features")',
        'if TASK == "regression":',
        '    print(f"target skew: {SKEW:.2f}, minimum {y.min():.6g}")',
        "",
        "",
        "def make_prep(impute, scale, poly):",
        '    """Numeric imputation (+ interactions, + scaling) and one-hot categoricals."""',
        '    steps = [("impute", SimpleImputer(strategy=impute))]',
        "    if poly:",
        '        steps.append(("poly", PolynomialFeatures(degree=2, include_bias=False)))',
        "    if scale:",
        '        steps.append(("scale", StandardScaler()))',
        '    onehot = OneHotEncoder(handle_unknown="ignore", max_categories=30)',
        "    return ColumnTransformer([",
        '        ("num", Pipeline(steps), numeric),',
        '        ("cat", Pipeline([("impute", SimpleImputer(strategy="most_frequent")),',
        '                          ("onehot", onehot)]), categorical),',
        "    ], sparse_threshold=0)",
        "",
        "",
        "def log_target(choice):",
        '    """Fit a regression on log1p of the target: always ("log"), never ("none"), or',
        '    ("auto") when the target is non-negative and right-skewed and the metric is the MAE:',
        "    a log fit predicts a typical value (near the median, which the MAE rewards), not the",
        '    mean the RMSE and R2 ask for."""',
        '    if TASK != "regression" or choice == "none" or y.min() < 0:',
        "        return False",
        f'    return choice == "log" or (SKEW > 1.0 and {reg_metric!r} == "mae")',
        "",
        "",
        'if TASK == "regression":',
        '    print("log target when auto:", log_target("auto"))',
    ]


def _member_block(i: int, spec: Spec) -> list[str]:
    clf, reg = _estimators(spec)
    big = spec.family in boost.BOOSTED
    return [
        "",
        "",
        f"def make_model_{i}():",
        f'    """{spec.family.replace("_", " ")}: {_describe(spec)}."""',
        '    if TASK == "classification":',
        f"        estimator = {clf}",
        *(boost.wrap_lines(i, "clf") if big else []),
        "    else:",
        f"        estimator = {reg}",
        *(boost.wrap_lines(i, "reg") if big else []),
        f"        if log_target({spec.target!r}):",
        "            estimator = TransformedTargetRegressor(estimator, func=np.log1p, "
        "inverse_func=np.expm1)",
        f"    prep = make_prep({spec.impute!r}, scale={spec.scale}, poly={spec.poly})",
        '    return Pipeline([("prep", prep), ("model", estimator)])',
    ]


def _describe(spec: Spec) -> str:
    params = ", ".join(f"{k}={v!r}" for k, v in sorted(spec.params.items()))
    steps = [f"impute {spec.impute}"] + ["scaled"] * spec.scale + ["poly"] * spec.poly
    return f"{params or 'defaults'}; {', '.join(steps)}; target {spec.target}"


def _combine_block(spec: Spec, count: int) -> list[str]:
    members = ", ".join(f'("m{i}", make_model_{i}())' for i in range(count))
    combine = spec.params.get("combine", "average")
    lines = [
        "",
        f"members = [{members}]",
        "# Stacking fits every member 3 more times: on big data, average instead.",
        f'COMBINE = {combine!r} if len(X) <= {BIG_ROWS} else "average"',
        'if TASK == "classification":',
        '    if COMBINE == "stack":',
        "        model = StackingClassifier(members, final_estimator=LogisticRegression("
        "max_iter=2000), cv=3)",
        "    else:  # average the members' class probabilities",
        '        model = VotingClassifier(members, voting="soft")',
        'elif COMBINE == "stack":',
        "    model = StackingRegressor(members, final_estimator=RidgeCV(), cv=3)",
        "else:  # average the members' predictions",
        "    model = VotingRegressor(members)",
        'print(f"ensemble of {len(members)} models, combined by {COMBINE}")',
    ]
    return lines


def _report_scores() -> list[str]:
    """Print the validation scores and the convention line the reviewer parses (`scores`)."""
    return [
        'print("validation:", "one 80/20 split" if BIG else f"{len(scores)}-fold CV",',
        '      "scores", np.round(scores, 4).tolist())',
        'direction = "lower" if LOWER else "higher"',
        'print(f"validation_metric: {scores.mean():.6f} ({METRIC}, {direction} is better)")',
        "",
        "# %% Fit on all the data and write the submission",
    ]


def _final_fit(boosted: bool) -> list[str]:
    """Fit `model` on all the rows; on big data only when the split's fit (`FIT_S` seconds on
    80% of the rows) says a refit takes at most `REFIT_MAX_S`, else keep `split_model`."""
    return [
        "REFIT = not BIG or FIT_S * 1.25 <= REFIT_MAX_S  # a fit on all rows: ~1.25x the split's",
        *([boost.FIX_LINE] if boosted else []),
        "if REFIT:",
        "    model.fit(X, y)",
        "else:",
        "    model = split_model",
        'print("final fit:", f"on all {len(X)} rows" if REFIT else',
        '      f"kept from the split, on 80% of the rows (that fit took {FIT_S:.0f} s; one on all "',
        '      f"rows would take about {1.25 * FIT_S:.0f} s, more than {REFIT_MAX_S:g} s)")',
    ]


def _single_validation(boosted: bool) -> list[str]:
    return [
        "result = cross_validate(model, X, y, cv=cv, scoring=SCORING, return_estimator=BIG)",
        'scores = result["test_score"]',
        'scores = -scores if SCORING.startswith("neg_") else scores',
        *_report_scores(),
        'FIT_S = float(result["fit_time"][0])',
        'split_model = result["estimator"][0] if BIG else None',
        *_final_fit(boosted),
    ]


def _ensemble_validation(spec: Spec, boosted: bool) -> list[str]:
    """Validate the ensemble and its members on the same folds, and keep the ensemble only when
    it beats its best member clearly: by more than MARGIN_SE standard errors of their paired
    score differences over chunks of the validation rows (one 80/20 split is one noisy number;
    an ensemble that wins on it by chance is worse than the member it replaces)."""
    return [
        "scorer = get_scorer(SCORING)  # higher is better (neg_ for losses)",
        f"CHUNKS, MARGIN_SE = {ENSEMBLE_CHUNKS} if BIG else 2, {ENSEMBLE_MARGIN_SE}",
        "ens_scores, member_scores, pairs, fold_models = [], [[] for _ in members], [], []",
        "FIT_S = 0.0  # the ensemble's fit on the first fold (an upper bound for a member's)",
        "for train_idx, val_idx in cv.split(X, y):",
        "    started = time.perf_counter()",
        "    fold = clone(model).fit(X.iloc[train_idx], y.iloc[train_idx])",
        "    FIT_S = FIT_S or time.perf_counter() - started",
        "    fold_models.append((fold, train_idx))",
        "    Xv, yv = X.iloc[val_idx], y.iloc[val_idx]",
        "    # the members inside a voting/stacking classifier learnt the encoded labels",
        '    yv_members = np.searchsorted(fold.classes_, yv) if TASK == "classification" else yv',
        "    yv_members = np.asarray(yv_members)",
        "    ens_scores.append(scorer(fold, Xv, yv))",
        "    for i, est in enumerate(fold.estimators_):",
        "        member_scores[i].append(scorer(est, Xv, yv_members))",
        "    for chunk in np.array_split(np.arange(len(val_idx)), CHUNKS):",
        "        try:",
        "            pairs.append([scorer(fold, Xv.iloc[chunk], yv.iloc[chunk])]",
        "                         + [scorer(est, Xv.iloc[chunk], yv_members[chunk])",
        "                            for est in fold.estimators_])",
        "        except ValueError as exc:  # e.g. a chunk with one class has no AUC",
        '            print("a validation chunk is not scored:", exc)',
        "sign = -1.0 if SCORING.startswith('neg_') else 1.0",
        "best = int(np.argmax([np.mean(s) for s in member_scores]))",
        "pairs = np.asarray(pairs)",
        "gain = pairs[:, 0] - pairs[:, 1 + best] if len(pairs) > 1 else np.zeros(1)",
        "se = gain.std(ddof=1) / np.sqrt(len(gain)) if len(gain) > 1 else np.inf",
        "KEEP = np.mean(ens_scores) > np.mean(member_scores[best]) and gain.mean() > MARGIN_SE * se",
        "member_means = [round(float(sign * np.mean(s)), 6) for s in member_scores]",
        'print("members on the same folds:", member_means)',
        'print(f"ensemble minus its best member (m{best}): {sign * gain.mean():.6g} {METRIC} "',
        '      f"(standard error {se:.3g} over {len(gain)} paired chunks):",',
        '      "keep the ensemble" if KEEP else f"keep member m{best} alone")',
        "scores = sign * np.asarray(ens_scores if KEEP else member_scores[best])",
        *_report_scores(),
        "split_model = fold_models[0][0] if BIG and KEEP else None",
        "if not KEEP:  # the best member alone, fitted as its own node fits it",
        "    model = members[best][1]",
        "    if BIG and FIT_S * 1.25 > REFIT_MAX_S:",
        "        split_model = clone(model).fit(X.iloc[fold_models[0][1]], "
        "y.iloc[fold_models[0][1]])",
        *_final_fit(boosted),
    ]


def refit_max_s(node_timeout_s: float) -> float:
    """The longest refit on all rows a big-data script makes: a fifth of the node's time limit,
    at most a minute (the validation fit, the refit and the rest must fit in the limit)."""
    return float(round(min(REFIT_CAP_S, node_timeout_s / 5)))


def render(
    spec: Spec, src: DataSource, seed: int, node_timeout_s: float = DEFAULT_TIMEOUT_S
) -> str:
    """The whole script for `spec` on `src`, in `# %%` cells."""
    members = member_specs(spec)
    lines = ["# %% Load the data", SPEC_MARK + spec.to_json(), *_imports(spec, members), ""]
    lines.append(f"SEED = {seed}")
    if src.target is not None or src.kind == "arrays":
        lines.append(f"TARGET = {src.target or 'target'!r}")
    elif src.kind == "frames":
        lines.append(f"TARGET = {src.names[0]}.columns[-1]  # no target named: the last column")
    else:
        lines.append("TARGET = None  # no target named: the last column of the training file")
    lines += _load_block(src)
    lines += _features_block(spec.reg_metric)
    lines += ["", "# %% Define the model"]
    if boost.boosted(spec):
        lines += boost.class_block()
    for i, member in enumerate(members):
        lines += _member_block(i, member)
    if spec.family == ENSEMBLE:
        lines += _combine_block(spec, len(members))
    else:
        lines += ["", "", "model = make_model_0()"]
    clf_scoring, clf_name, clf_lower = CLF_METRICS[spec.clf_metric]
    reg_scoring, reg_name, reg_lower = REG_METRICS[spec.reg_metric]
    lines += [
        'if TASK == "classification":',
        f"    SCORING, METRIC, LOWER = {clf_scoring!r}, {clf_name!r}, {clf_lower}",
        '    if SCORING == "roc_auc" and y.nunique() > 2:',
        '        SCORING = "roc_auc_ovr"',
        "else:",
        f"    SCORING, METRIC, LOWER = {reg_scoring!r}, {reg_name!r}, {reg_lower}",
        "",
        "# %% Validate",
        "# One thread for every fit, as each model here has (n_jobs=1): OpenMP threads on a busy",
        "# machine made one HistGradientBoosting fit of 569 rows take a minute. (A node runs in",
        "# a process of its own: the kernel's settings are untouched.)",
        "threadpool_limits(limits=1)",
        f"BIG = len(X) > {BIG_ROWS}  # big data: one held-out split, not k folds",
        "# big data: refit on all the rows when that takes at most this many seconds",
        f"REFIT_MAX_S = {refit_max_s(node_timeout_s):g}",
        'if TASK == "classification":',
        f"    folds = max(2, min({spec.folds}, int(y.value_counts().min())))",
        "    cv = (StratifiedShuffleSplit(1, test_size=0.2, random_state=SEED) if BIG",
        "          else StratifiedKFold(folds, shuffle=True, random_state=SEED))",
        "else:",
        f"    cv = (ShuffleSplit(1, test_size=0.2, random_state=SEED) if BIG "
        f"else KFold({spec.folds}, shuffle=True, random_state=SEED))",
    ]
    big = boost.boosted(spec)
    lines += _ensemble_validation(spec, big) if spec.family == ENSEMBLE else _single_validation(big)
    lines += [
        "",
        "",
        "def features(frame):",
        '    """The model\'s input from a frame with the training columns (the target optional)."""',
        "    out = frame.drop(columns=[c for c in ID_COLUMNS + [TARGET] if c in frame.columns])",
        "    out[categorical] = out[categorical].astype(str)",
        "    return out",
        "",
        "",
        "def predict(frame):",
        "    return model.predict(features(frame))",
        "",
        "",
        "def predict_proba(frame):",
        "    return model.predict_proba(features(frame))",
        "",
        "",
        "if test_df is not None:",
        "    ids = test_df[ID_COLUMNS[0]] if ID_COLUMNS else pd.RangeIndex(len(test_df))",
        '    id_name = ID_COLUMNS[0] if ID_COLUMNS else "id"',
        "    submission = pd.DataFrame({id_name: np.asarray(ids), TARGET: predict(test_df)})",
        '    submission.to_csv("submission.csv", index=False)',
        '    print(f"wrote submission.csv with {len(submission)} rows")',
    ]
    return "\n".join(lines) + "\n"
