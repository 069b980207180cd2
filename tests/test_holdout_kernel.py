"""Trusted scores end to end in a real kernel: nodes written to fool the user are exposed.

Scripted nodes (a fake coder returns them; everything else is real: the kernel, the runner's fork
and portable paths, the harness, scikit-learn): one scores a deep tree on its own training rows
(reports 1.0), one predicts the majority class and prints a made-up 0.999, two are honest, and one
goes looking for the held-out rows.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from aide_jupyter.executors import StandaloneExecutor
from aide_jupyter.search.config import SearchConfig
from aide_jupyter.search.journal import Journal, SearchInfo
from aide_jupyter.search.loop import SearchLoop
from tests.support_engine.fakes import FakeCoder

pytestmark = pytest.mark.timeout(300)

SETUP = """
import pandas as pd
from sklearn.datasets import make_classification
X, y = make_classification(n_samples=600, n_features=8, n_informative=4, flip_y=0.15,
                           class_sep=0.8, random_state=0)
df = pd.DataFrame(X, columns=[f"f{i}" for i in range(8)])
df.insert(0, "row_id", range(len(df)))
df["target"] = y
same_frame = df
fingerprint = int(pd.util.hash_pandas_object(df).sum())
"""

DEEP_TREE = """# %% fit
from sklearn.tree import DecisionTreeClassifier
X, y = df.drop(columns=["target"]), df["target"]
model = DecisionTreeClassifier(random_state=0).fit(X, y)
# %% score on the rows it was fitted on
print(f"validation_metric: {(model.predict(X) == y).mean():.4f} (accuracy, higher is better)")
"""

MAJORITY = """# %% predict the most frequent class
majority = df["target"].mode()[0]
def predict(frame):
    return [majority] * len(frame)
print("validation_metric: 0.999 (accuracy, higher is better)")
"""

HONEST_LINEAR = """# %% logistic regression, cross-validated
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
X, y = df.drop(columns=["target", "row_id"]), df["target"]
pipe = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
score = cross_val_score(pipe, X, y, cv=5).mean()
model = pipe.fit(X, y)
print(f"validation_metric: {score:.4f} (accuracy, higher is better)")
"""

HONEST_FOREST = """# %% random forest, cross-validated
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import cross_val_score
features = [c for c in df.columns if c.startswith("f")]
forest = RandomForestClassifier(n_estimators=100, min_samples_leaf=3, random_state=0, n_jobs=1)
score = cross_val_score(forest, df[features], df["target"], cv=5).mean()
forest.fit(df[features], df["target"])
def predict(frame):
    return forest.predict(frame[features])
print(f"validation_metric: {score:.4f} (accuracy, higher is better)")
"""

SNOOP = """# %% look everywhere for the rows this node was not given
import gc, os, sys, json
import pandas as pd
missing = set(range(600)) - set(df["row_id"])
found = []
spaces = [("globals", dict(globals())), ("__main__", vars(sys.modules["__main__"]))]
for where, space in spaces:
    for name, value in list(space.items()):
        if isinstance(value, pd.DataFrame) and "row_id" in value.columns:
            if missing & set(value["row_id"]):
                found.append(f"{where}.{name}")
for obj in gc.get_objects():
    if isinstance(obj, pd.DataFrame) and "target" in obj.columns and "row_id" in obj.columns:
        if missing & set(obj["row_id"]):
            found.append("gc: a frame with labels")
root = os.path.dirname(os.path.dirname(os.getcwd()))
for folder, _, files in os.walk(root):
    for name in files:
        path = os.path.join(folder, name)
        if name.endswith(".csv"):
            ids = set(pd.read_csv(path).get("row_id", []))
            if missing & ids:
                found.append(path)
print("SNOOP", json.dumps({"missing": len(missing), "found": found}))
from sklearn.dummy import DummyClassifier
model = DummyClassifier().fit(df.drop(columns=["target"]), df["target"])
print("validation_metric: 0.5")
"""

NODES = [DEEP_TREE, MAJORITY, HONEST_LINEAR, HONEST_FOREST, SNOOP]


def _coder() -> FakeCoder:
    coder = FakeCoder()

    def reply(prompt: Any) -> str:
        code = NODES[(coder.calls - 1) % len(NODES)]
        return f"Scripted node {coder.calls}.\n\n```python\n{code}```\n"

    coder.next_reply = reply
    return coder


async def _search(tmp_path: Path, mode: str, holdout: dict | None) -> tuple[SearchLoop, Any]:
    ex = StandaloneExecutor(setup_code=SETUP, cwd=str(tmp_path), mode=mode)
    await ex.start()
    loop = SearchLoop(
        SearchInfo(
            id="s-trust", goal="predict target", data=["df"], target="target", holdout=holdout
        ),
        Journal(),
        SearchConfig.from_dict(
            {"seed": 11, "steps": len(NODES), "num_drafts": len(NODES), "node_timeout_s": 120}
        ),
        _coder(),
        ex,
        tmp_path / "run",
    )
    return loop, ex


@pytest.mark.parametrize("mode", ["fork", "spawn"])
async def test_holdout_exposes_both_cheats_and_picks_an_honest_node(
    tmp_path: Path, mode: str
) -> None:
    loop, ex = await _search(tmp_path, mode, {"fraction": 0.25, "metric": None})
    try:
        reason = await loop.run()
        nodes = loop.journal.nodes
        assert loop.status == "done", reason
        assert [n.status for n in nodes] == ["done"] * 5, [n.analysis for n in nodes]
        tree, majority, linear, forest, snoop = nodes
        for n in nodes:
            assert n.metric_source == "harness", (n.analysis, n.output)
        assert tree.reported_metric == 1.0 and tree.metric < 0.9 and tree.metric_flag
        assert majority.reported_metric == 0.999 and majority.metric < 0.65
        assert majority.metric_flag
        for honest in (linear, forest):
            assert honest.metric_flag is None
            assert abs(honest.metric - honest.reported_metric) < 0.06
            assert honest.metric > majority.metric + 0.1
        best = loop.journal.best_node()
        assert best is not None and best.id in (linear.id, forest.id)
        assert loop.summary()["holdout"] == {"fraction": 0.25, "rows": 150, "metric": "accuracy"}
        line = next(x for x in snoop.output.splitlines() if x.startswith("SNOOP "))
        snooped = json.loads(line[6:])
        assert snooped == {"missing": 150, "found": []}, snooped
        # the user's data in the kernel is untouched, and still whole; no node leaked its names
        await ex.run_code(
            "assert len(df) == 600 and same_frame is df\n"
            "assert int(pd.util.hash_pandas_object(df).sum()) == fingerprint\n"
            "assert 'model' not in globals() and 'predict' not in globals()\n"
        )
    finally:
        await ex.close()


async def test_without_holdout_the_old_behaviour_stays(tmp_path: Path) -> None:
    loop, ex = await _search(tmp_path, "fork", None)
    try:
        await loop.run()
        tree = loop.journal.nodes[0]
        best = loop.journal.best_node()
        assert best is not None and best.id == tree.id and best.metric == 1.0  # fooled
        assert all(n.metric_source == "parsed" for n in loop.journal)
        assert all(n.reported_metric is None for n in loop.journal)
        assert loop.summary()["holdout"] is None
    finally:
        await ex.close()


async def test_a_data_folder_is_split_into_a_copy(tmp_path: Path) -> None:
    import pandas as pd
    from sklearn.datasets import load_breast_cancer

    data = tmp_path / "data"
    data.mkdir()
    frame = load_breast_cancer(as_frame=True).frame
    frame.to_csv(data / "train.csv", index=False)
    ex = StandaloneExecutor(cwd=str(tmp_path))
    await ex.start()
    code = (
        "# %% read the folder the prompt names\n"
        "import pandas as pd\nfrom pathlib import Path\n"
        "from sklearn.ensemble import RandomForestClassifier\n"
        "DATA = Path({folder!r})\n"
        "train = pd.read_csv(DATA / 'train.csv')\n"
        "model = RandomForestClassifier(100, random_state=0)"
        ".fit(train.drop(columns='target'), train['target'])\n"
        "print('rows', len(train))\n"
    )
    coder = FakeCoder()
    coder.next_reply = lambda p: (
        "Plan.\n\n```python\n" + code.format(folder=p.context.data_dir) + "```\n"
    )
    loop = SearchLoop(
        SearchInfo(
            id="s-dir",
            goal="predict target",
            data_dir=str(data),
            target="target",
            holdout={"fraction": 0.2, "metric": "roc_auc"},
        ),
        Journal(),
        SearchConfig.from_dict({"seed": 2, "steps": 1}),
        coder,
        ex,
        tmp_path / "run",
    )
    try:
        await loop.run()
        node = loop.journal.nodes[0]
        copy = tmp_path / "run" / "holdout_data"
        assert coder.prompts[0].context.data_dir == str(copy)
        assert "rows 455" in node.output, node.output
        assert node.metric_source == "harness" and 0.95 < node.metric <= 1.0, node.analysis
        assert len(pd.read_csv(data / "train.csv")) == 569  # the user's folder is untouched
        assert len(pd.read_csv(copy / "train.csv")) == 455
    finally:
        await ex.close()


async def test_worker_kernels_get_the_same_split(tmp_path: Path) -> None:
    from aide_jupyter.executors.spread import Member, SpreadExecutor

    user = StandaloneExecutor(setup_code=SETUP, cwd=str(tmp_path))
    worker = StandaloneExecutor(setup_code=SETUP, cwd=str(tmp_path))
    await user.start()
    await worker.start()
    spread = SpreadExecutor(
        [Member("user", user.executor, False), Member("worker", worker.executor, True)]
    )
    coder = FakeCoder()
    coder.next_reply = lambda p: f"Honest.\n\n```python\n{HONEST_LINEAR}```\n"
    loop = SearchLoop(
        SearchInfo(
            id="s-spread",
            goal="predict target",
            data=["df"],
            target="target",
            holdout={"fraction": 0.25, "metric": None},
        ),
        Journal(),
        SearchConfig.from_dict({"seed": 11, "steps": 4, "num_drafts": 4, "parallel": 2}),
        coder,
        spread,
        tmp_path / "run",
    )
    try:
        await loop.run()
        nodes = loop.journal.nodes
        assert {n.kernel_id for n in nodes} == {"user", "worker"}
        scores = {round(n.metric, 6) for n in nodes}
        assert len(scores) == 1 and all(n.metric_source == "harness" for n in nodes)
    finally:
        await user.close()
        await worker.close()
