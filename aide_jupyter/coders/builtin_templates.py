"""What the builtin coder's scripts are made of: a `Spec` (model family, its parameters, feature
steps; or an ensemble of member specs), the families and the metrics. `builtin_render` turns a
spec into a whole script with `# %%` cells that prints the validation metric.

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
        "min_samples_leaf={min_samples_leaf}, max_features={max_features_clf}, "
        "random_state=SEED, n_jobs=1)",
        "reg": "RandomForestRegressor(n_estimators={n_estimators}, max_depth={max_depth}, "
        "min_samples_leaf={min_samples_leaf}, max_features={max_features_reg}, "
        "random_state=SEED, n_jobs=1)",
        "imports": ["from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor"],
        "grid": {
            "n_estimators": [100, 200, 50],
            "max_depth": [None, 12, 6, 20],
            "min_samples_leaf": [1, 2, 4, 8],
            # "default": sqrt of the features for a classifier, half of them for a regressor
            # (all of them, scikit-learn's default, fit 3x slower on diamonds' 43,000 rows and
            # was not clearly better on the benchmark's regressions: benchmarks/README.md)
            "max_features": ["default", "sqrt", 0.5, 1.0],
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
        "package": ("lightgbm",),
    },
    "xgboost": {
        "clf": "XGBClassifier(n_estimators={n_estimators}, learning_rate={learning_rate}, "
        "max_depth={max_depth}, subsample=0.8, colsample_bytree=0.8, "
        "tree_method='hist', random_state=SEED, n_jobs=1)",
        "reg": "XGBRegressor(n_estimators={n_estimators}, learning_rate={learning_rate}, "
        "max_depth={max_depth}, subsample=0.8, colsample_bytree=0.8, "
        "tree_method='hist', random_state=SEED, n_jobs=1)",
        "imports": ["from xgboost import XGBClassifier, XGBRegressor"],
        "grid": {
            "n_estimators": [300, 600, 150],
            "learning_rate": [0.05, 0.1, 0.02],
            "max_depth": [6, 4, 8],
        },
        "package": ("xgboost", "xgboost-cpu"),
    },
    "catboost": {
        "clf": "CatBoostClassifier(iterations={iterations}, learning_rate={learning_rate}, "
        "depth={depth}, random_seed=SEED, thread_count=1, verbose=0, "
        "allow_writing_files=False)",
        "reg": "CatBoostRegressor(iterations={iterations}, learning_rate={learning_rate}, "
        "depth={depth}, random_seed=SEED, thread_count=1, verbose=0, "
        "allow_writing_files=False)",
        "imports": ["from catboost import CatBoostClassifier, CatBoostRegressor"],
        "grid": {
            "iterations": [200, 400, 100],
            "learning_rate": [0.08, 0.05, 0.15],
            "depth": [6, 4, 8],
        },
        "package": ("catboost",),
    },
}
# Strong tabular families first (a short search drafts only the first few), linear early for
# data where a linear model wins; the gradient-boosting libraries only when the kernel has them.
DRAFT_ORDER = (
    "hist_gb",
    "lightgbm",
    "linear",
    "random_forest",
    "xgboost",
    "catboost",
    "extra_trees",
    "knn",
)
ENSEMBLE = "ensemble"  # the family of a spec that combines member specs
BIG_ROWS = 10_000  # above this: one 80/20 split instead of k folds (then a refit if fast)
COMBINE = ("average", "stack")
TARGET_CHOICES = ("auto", "none", "log")

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
    # regression only: "auto" fits log1p of a skewed non-negative target when the metric is
    # the MAE (a log fit predicts near the median; the RMSE asks for the mean), "log" always,
    # "none" never
    target: str = "auto"
    folds: int = 5
    clf_metric: str = "accuracy"
    reg_metric: str = "rmse"
    members: list[dict[str, Any]] = field(default_factory=list)  # ensemble: the member specs

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
        members = [Spec(**m) for m in spec.members]
    except (ValueError, TypeError):
        return None
    if spec.family == ENSEMBLE:
        ok = bool(members) and all(m.family in FAMILIES for m in members)
        return spec if ok else None
    return spec if spec.family in FAMILIES else None


def member_specs(spec: Spec) -> list[Spec]:
    """The models a script fits: the members of an ensemble, else the spec itself."""
    return [Spec(**m) for m in spec.members] if spec.family == ENSEMBLE else [spec]
