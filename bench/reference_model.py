"""The models the reference apps serve, made the way the classic tutorial makes them: a
StandardScaler and a model fitted on a plain numeric list per passenger, pickled as two files
(model.pkl, scaler.pkl). The tutorial's model is a logistic regression; for the forest round
of the benchmark the same recipe fits a random forest of the size ours has."""

from __future__ import annotations

import pickle
from collections.abc import Mapping
from pathlib import Path
from typing import Any

# The order of the numeric list; sex and port become numbers as the tutorial does.
FIELDS = ("pclass", "sex", "age", "sibsp", "parch", "fare", "embarked")
SEX_CODES = {"male": 0.0, "female": 1.0}
PORT_CODES = {"C": 0.0, "Q": 1.0, "S": 2.0}


def numeric_list(passenger: Mapping[str, Any]) -> list[float]:
    return [
        float(passenger["pclass"]),
        SEX_CODES[passenger["sex"]],
        float(passenger["age"]),
        float(passenger["sibsp"]),
        float(passenger["parch"]),
        float(passenger["fare"]),
        PORT_CODES[passenger["embarked"]],
    ]


# The benchmark's model families, with the reference model of each.
ALGORITHMS = ("logreg", "random_forest")


def reference_estimator(algorithm: str) -> Any:
    from sklearn.base import clone
    from sklearn.linear_model import LogisticRegression

    from ml_pipeline.candidates import build_pipeline

    if algorithm == "logreg":
        return LogisticRegression(max_iter=1000)
    if algorithm == "random_forest":
        # The app's own forest, unfitted: as many trees, as deep, the same seed.
        return clone(build_pipeline("random_forest").named_steps["model"])
    raise ValueError(f"no reference model for {algorithm!r}; choose one of {ALGORITHMS}")


def write_reference_model(folder: Path, algorithm: str = "logreg") -> None:
    """Fits the tutorial's scaler and a model of `algorithm`'s kind on the bundled data and
    pickles them in `folder`."""
    from sklearn.preprocessing import StandardScaler

    from ml_pipeline.data import load_dataset

    dataset = load_dataset()
    # The tutorial fills the gaps with simple values before fitting.
    features = dataset.features.fillna({"age": 28.0, "fare": 14.45, "embarked": "S"})
    rows = [numeric_list(passenger) for passenger in features.to_dict(orient="records")]
    scaler = StandardScaler().fit(rows)
    model = reference_estimator(algorithm).fit(scaler.transform(rows), dataset.target)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "scaler.pkl").write_bytes(pickle.dumps(scaler))
    (folder / "model.pkl").write_bytes(pickle.dumps(model))
