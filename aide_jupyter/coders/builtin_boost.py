"""Big data's gradient boosting in builtin scripts: many trees, stopped early.

On big data (more than `BIG_ROWS` rows) a boosted model (LightGBM, XGBoost, HistGradientBoosting)
is wrapped in the script's `EarlyStopped`: its split fit grows up to `BOOST_TREES` trees and stops
when a seeded tenth of its own training rows stops improving (the validation split stays unseen,
so the printed score is the split's honest score); the refit on all rows then grows the number of
trees that fit kept. The grids' 150-600 trees left diamonds' RMSE at 539.6 against FLAML's 536.2
(an XGBoost of 2,327 trees). Small data keeps its scripts: the wrapper is only used above
`BIG_ROWS`.
"""

from __future__ import annotations

from .builtin_templates import BIG_ROWS, Spec, member_specs

BOOSTED = ("lightgbm", "xgboost", "hist_gb")
BOOST_TREES = 3000  # the most trees a big-data split fit grows
BOOST_PATIENCE = 50  # stop after this many trees without a better score on the stop rows
STOP_FRACTION = 0.1  # of the split's training rows, held out to stop on


def boosted(spec: Spec) -> bool:
    """Whether the script for `spec` fits a boosted model (and so defines `EarlyStopped`)."""
    return any(m.family in BOOSTED for m in member_specs(spec))


def wrap_lines(i: int, kind: str) -> list[str]:
    """The line of `make_model_<i>` that wraps its `estimator` on big data (kind clf or reg)."""
    cls = "EarlyStoppedClassifier" if kind == "clf" else "EarlyStoppedRegressor"
    return [
        f"        if len(X) > {BIG_ROWS}:  # big data: many trees, stopped early",
        f"            estimator = {cls}(estimator, key={i})",
    ]


def class_block() -> list[str]:
    """`EarlyStopped` and its classifier/regressor forms, as script lines."""
    return [
        "",
        "",
        f"BOOST_TREES, BOOST_PATIENCE, STOP_FRACTION = {BOOST_TREES}, {BOOST_PATIENCE}, "
        f"{STOP_FRACTION}",
        "",
        "",
        "class EarlyStopped(BaseEstimator):",
        '    """Big data: a boosted model of up to BOOST_TREES trees that stops when a seeded',
        "    STOP_FRACTION of its training rows (not the validation split) stops improving; once",
        '    `fixed`, a fit (the refit on all rows) grows the trees the first fit kept."""',
        "",
        "    found = {}  # make_model_<key> -> the trees its first fit kept",
        "    fixed = False",
        "",
        "    def __init__(self, estimator, key=0):",
        "        self.estimator = estimator",
        "        self.key = key",
        "",
        "    def fit(self, X, y):",
        "        est, y = clone(self.estimator), np.asarray(y)",
        "        lib = type(est).__name__[:3]  # LGB, XGB or His(tGradientBoosting)",
        "        trees = EarlyStopped.found.get(self.key)",
        "        if EarlyStopped.fixed and trees:",
        '            extra = {"XGB": {"early_stopping_rounds": None},',
        '                     "His": {"early_stopping": False}}.get(lib, {})',
        '            name = "max_iter" if lib == "His" else "n_estimators"',
        "            self.model_ = est.set_params(**{name: trees}, **extra).fit(X, y)",
        "            self.trees_ = trees",
        "            return self",
        "        split = ShuffleSplit(1, test_size=STOP_FRACTION, random_state=SEED)",
        "        fit_idx, stop_idx = next(split.split(X))",
        "        Xf, yf, Xs, ys = X[fit_idx], y[fit_idx], X[stop_idx], y[stop_idx]",
        '        if lib == "LGB":',
        "            import inspect",
        "",
        "            import lightgbm",
        "",
        "            # lightgbm 4.7 renamed eval_set to eval_X/eval_y (the old name still works)",
        '            new = "eval_X" in inspect.signature(est.fit).parameters',
        '            held = {"eval_X": (Xs,), "eval_y": (ys,)} if new else {"eval_set": [(Xs, ys)]}',
        "            est.set_params(n_estimators=BOOST_TREES)",
        "            est.fit(Xf, yf, **held,",
        "                    callbacks=[lightgbm.early_stopping(BOOST_PATIENCE, verbose=False)])",
        "            trees = est.best_iteration_ or BOOST_TREES",
        '        elif lib == "XGB":',
        "            est.set_params(n_estimators=BOOST_TREES, early_stopping_rounds=BOOST_PATIENCE)",
        "            est.fit(Xf, yf, eval_set=[(Xs, ys)], verbose=False)",
        "            trees = est.best_iteration + 1",
        "        else:",
        "            est.set_params(max_iter=BOOST_TREES, early_stopping=True,",
        "                           n_iter_no_change=BOOST_PATIENCE)",
        "            est.fit(Xf, yf, X_val=Xs, y_val=ys)",
        "            stopped = est.n_iter_ < BOOST_TREES",
        "            trees = max(1, est.n_iter_ - BOOST_PATIENCE * stopped)",
        "        EarlyStopped.found[self.key] = self.trees_ = int(trees)",
        '        print(f"model {self.key}: early stopping kept {trees} of {BOOST_TREES} trees")',
        "        self.model_ = est",
        "        return self",
        "",
        "    def predict(self, X):",
        "        return self.model_.predict(X)",
        "",
        "",
        "class EarlyStoppedClassifier(ClassifierMixin, EarlyStopped):",
        "    def fit(self, X, y):  # codes 0..k-1: the stop rows' labels go in unencoded",
        "        self.classes_, codes = np.unique(np.asarray(y), return_inverse=True)",
        "        return super().fit(X, codes)",
        "",
        "    def predict(self, X):",
        "        return self.classes_[np.asarray(self.model_.predict(X)).astype(int)]",
        "",
        "    def predict_proba(self, X):",
        "        return self.model_.predict_proba(X)",
        "",
        "",
        "class EarlyStoppedRegressor(RegressorMixin, EarlyStopped):",
        "    pass",
    ]


def imports(family: str) -> list[str]:
    """The import lines `class_block` needs, for a boosted family."""
    if family not in BOOSTED:
        return []
    return ["from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, clone"]


FIX_LINE = "EarlyStopped.fixed = True  # the refit grows the trees early stopping kept"
