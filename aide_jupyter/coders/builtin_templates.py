"""Script templates of the builtin coder: a `Spec` (model family, its parameters, feature steps)
rendered as a whole scikit-learn script with `# %%` cells that prints the validation metric.

The spec travels inside the script as one `# builtin-spec: {...}` comment line, so improving or
debugging a node can start from exactly what its parent did.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from typing import Any

SPEC_MARK = "# builtin-spec: "
_SPEC_LINE = re.compile(r"^# builtin-spec: (\{.*\})\s*$", re.MULTILINE)

# Each family: (classifier, regressor) constructor templates, import lines, parameter grids.
# The first grid value is the default; mutations move one step along a grid.
FAMILIES: dict[str, dict[str, Any]] = {
    "linear": {
        "clf": "LogisticRegression(C={C}, max_iter=3000)",
        "reg": "Ridge(alpha={alpha})",
        "imports": ["from sklearn.linear_model import LogisticRegression, Ridge"],
        "grid": {"strength": [1.0, 0.3, 0.1, 0.03, 3.0, 10.0, 30.0]},
    },
    "random_forest": {
        "clf": "RandomForestClassifier(n_estimators={n_estimators}, max_depth={max_depth}, "
        "min_samples_leaf={min_samples_leaf}, max_features={max_features!r}, "
        "random_state=SEED, n_jobs=1)",
        "reg": "RandomForestRegressor(n_estimators={n_estimators}, max_depth={max_depth}, "
        "min_samples_leaf={min_samples_leaf}, max_features={max_features_reg}, "
        "random_state=SEED, n_jobs=1)",
        "imports": ["from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor"],
        "grid": {
            "n_estimators": [100, 200, 50],
            "max_depth": [None, 12, 6, 20],
            "min_samples_leaf": [1, 2, 4, 8],
            "max_features": ["sqrt", "log2", 0.5],
        },
    },
    "extra_trees": {
        "clf": "ExtraTreesClassifier(n_estimators={n_estimators}, max_depth={max_depth}, "
        "min_samples_leaf={min_samples_leaf}, random_state=SEED, n_jobs=1)",
        "reg": "ExtraTreesRegressor(n_estimators={n_estimators}, max_depth={max_depth}, "
        "min_samples_leaf={min_samples_leaf}, random_state=SEED, n_jobs=1)",
        "imports": ["from sklearn.ensemble import ExtraTreesClassifier, ExtraTreesRegressor"],
        "grid": {
            "n_estimators": [150, 300, 75],
            "max_depth": [None, 12, 6],
            "min_samples_leaf": [1, 2, 4],
        },
    },
    "hist_gb": {
        "clf": "HistGradientBoostingClassifier(learning_rate={learning_rate}, "
        "max_iter={max_iter}, max_leaf_nodes={max_leaf_nodes}, "
        "l2_regularization={l2}, random_state=SEED)",
        "reg": "HistGradientBoostingRegressor(learning_rate={learning_rate}, "
        "max_iter={max_iter}, max_leaf_nodes={max_leaf_nodes}, "
        "l2_regularization={l2}, random_state=SEED)",
        "imports": [
            "from sklearn.ensemble import HistGradientBoostingClassifier, "
            "HistGradientBoostingRegressor"
        ],
        "grid": {
            "learning_rate": [0.1, 0.05, 0.2, 0.03],
            "max_iter": [100, 200, 50],
            "max_leaf_nodes": [31, 15, 63],
            "l2": [0.0, 1.0, 0.1],
        },
    },
    "knn": {
        "clf": "KNeighborsClassifier(n_neighbors={n_neighbors}, weights={weights!r})",
        "reg": "KNeighborsRegressor(n_neighbors={n_neighbors}, weights={weights!r})",
        "imports": ["from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor"],
        "grid": {"n_neighbors": [7, 11, 15, 5, 25], "weights": ["distance", "uniform"]},
    },
    "lightgbm": {
        "clf": "LGBMClassifier(n_estimators={n_estimators}, learning_rate={learning_rate}, "
        "num_leaves={num_leaves}, subsample=0.8, subsample_freq=1, "
        "colsample_bytree=0.8, random_state=SEED, n_jobs=1, verbose=-1)",
        "reg": "LGBMRegressor(n_estimators={n_estimators}, learning_rate={learning_rate}, "
        "num_leaves={num_leaves}, subsample=0.8, subsample_freq=1, "
        "colsample_bytree=0.8, random_state=SEED, n_jobs=1, verbose=-1)",
        "imports": ["from lightgbm import LGBMClassifier, LGBMRegressor"],
        "grid": {
            "n_estimators": [300, 600, 150],
            "learning_rate": [0.05, 0.1, 0.02],
            "num_leaves": [31, 15, 63],
        },
        "package": "lightgbm",
    },
    "xgboost": {
        "clf": "XGBClassifier(n_estimators={n_estimators}, learning_rate={learning_rate}, "
        "max_depth={max_depth}, subsample=0.8, colsample_bytree=0.8, "
        "random_state=SEED, n_jobs=1)",
        "reg": "XGBRegressor(n_estimators={n_estimators}, learning_rate={learning_rate}, "
        "max_depth={max_depth}, subsample=0.8, colsample_bytree=0.8, "
        "random_state=SEED, n_jobs=1)",
        "imports": ["from xgboost import XGBClassifier, XGBRegressor"],
        "grid": {
            "n_estimators": [300, 600, 150],
            "learning_rate": [0.05, 0.1, 0.02],
            "max_depth": [6, 4, 8],
        },
        "package": "xgboost",
    },
}
DRAFT_ORDER = ("linear", "random_forest", "hist_gb", "lightgbm", "extra_trees", "xgboost", "knn")

# metric key -> (sklearn scoring name, printed name, lower is better)
CLF_METRICS = {
    "accuracy": ("accuracy", "accuracy", False),
    "f1": ("f1_macro", "f1", False),
    "auc": ("roc_auc", "roc_auc", False),
    "logloss": ("neg_log_loss", "log_loss", True),
}
REG_METRICS = {
    "rmse": ("neg_root_mean_squared_error", "rmse", True),
    "mae": ("neg_mean_absolute_error", "mae", True),
    "r2": ("r2", "r2", False),
}


@dataclass
class DataSource:
    """Where the data is: named in-memory objects (frames or X/y arrays) or a data folder."""

    kind: str  # frames | arrays | dir
    names: list[str] = field(default_factory=list)
    target: str | None = None
    data_dir: str | None = None


@dataclass
class Spec:
    """Everything that decides a builtin script: model family, parameters, feature steps."""

    family: str = "random_forest"
    params: dict[str, Any] = field(default_factory=dict)
    scale: bool = True
    impute: str = "median"
    poly: bool = False
    log_target: bool = False
    folds: int = 5
    clf_metric: str = "accuracy"
    reg_metric: str = "rmse"

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def defaults(cls, family: str, **kw: Any) -> Spec:
        grid = FAMILIES[family]["grid"]
        return cls(family=family, params={k: v[0] for k, v in grid.items()}, **kw)


def read_spec(code: str) -> Spec | None:
    """The spec a builtin script carries, or None for code the builtin coder did not write."""
    match = _SPEC_LINE.search(code or "")
    if not match:
        return None
    try:
        data = json.loads(match.group(1))
        spec = Spec(**data)
    except (ValueError, TypeError):
        return None
    return spec if spec.family in FAMILIES else None


def _estimators(spec: Spec) -> tuple[str, str]:
    fam = FAMILIES[spec.family]
    p = dict(spec.params)
    if spec.family == "linear":
        strength = float(p.get("strength", 1.0))
        p = {"C": round(1.0 / strength, 6), "alpha": strength}
    if spec.family == "random_forest":
        mf = p.get("max_features", "sqrt")
        p["max_features_reg"] = repr(1.0 if mf == "sqrt" else (0.5 if mf == "log2" else mf))
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


def render(spec: Spec, src: DataSource, seed: int) -> str:
    """The whole script for `spec` on `src`, in `# %%` cells."""
    clf, reg = _estimators(spec)
    imports = [
        "import numpy as np",
        "import pandas as pd",
        "from sklearn.compose import ColumnTransformer",
        "from sklearn.impute import SimpleImputer",
        "from sklearn.model_selection import KFold, StratifiedKFold, cross_val_score",
        "from sklearn.pipeline import Pipeline",
        "from sklearn.preprocessing import OneHotEncoder, StandardScaler"
        + (", PolynomialFeatures" if spec.poly else ""),
        *FAMILIES[spec.family]["imports"],
    ]
    if spec.log_target:
        imports.append("from sklearn.compose import TransformedTargetRegressor")
    lines = ["# %% Load the data", SPEC_MARK + spec.to_json(), *imports, "", f"SEED = {seed}"]
    if src.target is not None or src.kind == "arrays":
        lines.append(f"TARGET = {src.target or 'target'!r}")
    elif src.kind == "frames":
        lines.append(f"TARGET = {src.names[0]}.columns[-1]  # no target named: the last column")
    else:
        lines.append("TARGET = None  # no target named: the last column of the training file")
    lines += _load_block(src)
    num_steps = [f'("impute", SimpleImputer(strategy={spec.impute!r}))']
    if spec.poly:
        num_steps.append('("poly", PolynomialFeatures(degree=2, include_bias=False))')
    if spec.scale:
        num_steps.append('("scale", StandardScaler())')
    clf_scoring, clf_name, clf_lower = CLF_METRICS[spec.clf_metric]
    reg_scoring, reg_name, reg_lower = REG_METRICS[spec.reg_metric]
    lines += [
        "",
        "# %% Prepare the features",
        'ID_COLUMNS = [c for c in X.columns if str(c).lower() == "id"]',
        "X = X.drop(columns=ID_COLUMNS)",
        'TASK = ("classification" if y.dtype.kind in "Obc" or str(y.dtype) == "category"',
        '        or (y.dtype.kind in "iu" and y.nunique() <= 20) else "regression")',
        'numeric = X.select_dtypes(include="number").columns.tolist()',
        "categorical = [c for c in X.columns if c not in numeric]",
        "X[categorical] = X[categorical].astype(str)",
        "preprocess = ColumnTransformer([",
        f'    ("num", Pipeline([{", ".join(num_steps)}]), numeric),',
        '    ("cat", Pipeline([("impute", SimpleImputer(strategy="most_frequent")),',
        '                      ("onehot", OneHotEncoder(handle_unknown="ignore", '
        "max_categories=30))]), categorical),",
        "], sparse_threshold=0)",
        'print(f"task: {TASK}, {len(X)} rows, {len(numeric)} numeric and '
        '{len(categorical)} categorical features")',
        "",
        "# %% Define the model",
        'if TASK == "classification":',
        f"    estimator = {clf}",
        f"    SCORING, METRIC, LOWER = {clf_scoring!r}, {clf_name!r}, {clf_lower}",
        '    if SCORING == "roc_auc" and y.nunique() > 2:',
        '        SCORING = "roc_auc_ovr"',
        "else:",
        f"    estimator = {reg}",
        f"    SCORING, METRIC, LOWER = {reg_scoring!r}, {reg_name!r}, {reg_lower}",
    ]
    if spec.log_target:
        lines += [
            "    if y.min() >= 0:  # skewed non-negative target: fit on log1p, predict back",
            "        estimator = TransformedTargetRegressor(estimator, func=np.log1p, "
            "inverse_func=np.expm1)",
        ]
    lines += [
        'model = Pipeline([("prep", preprocess), ("model", estimator)])',
        "",
        "# %% Validate",
        f"folds = min({spec.folds}, int(y.value_counts().min())) "
        f'if TASK == "classification" else {spec.folds}',
        "folds = max(folds, 2)",
        'cv = (StratifiedKFold(folds, shuffle=True, random_state=SEED) if TASK == "classification"',
        "      else KFold(folds, shuffle=True, random_state=SEED))",
        "scores = cross_val_score(model, X, y, cv=cv, scoring=SCORING)",
        'scores = -scores if SCORING.startswith("neg_") else scores',
        'print("fold scores:", np.round(scores, 4).tolist())',
        'direction = "lower" if LOWER else "higher"',
        'print(f"validation_metric: {scores.mean():.6f} ({METRIC}, {direction} is better)")',
        "",
        "# %% Fit on all the data and write the submission",
        "model.fit(X, y)",
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
