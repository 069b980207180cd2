"""Write data/train.csv, data/test.csv and data/sample_submission.csv from scikit-learn's diabetes set.

The files are committed; this script says how they were made (seeded, so it reproduces them).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from sklearn.datasets import load_diabetes

HERE = Path(__file__).resolve().parent


def main() -> None:
    frame = load_diabetes(as_frame=True, scaled=False).frame.rename(
        columns={"target": "progression"}
    )
    frame.insert(0, "id", np.arange(len(frame)))
    order = np.random.default_rng(7).permutation(len(frame))
    train, test = frame.iloc[order[:350]], frame.iloc[order[350:]]
    out = HERE / "data"
    out.mkdir(exist_ok=True)
    train.to_csv(out / "train.csv", index=False)
    test.drop(columns=["progression"]).to_csv(out / "test.csv", index=False)
    baseline = test[["id"]].assign(progression=train["progression"].mean())
    baseline.to_csv(out / "sample_submission.csv", index=False)


if __name__ == "__main__":
    main()
