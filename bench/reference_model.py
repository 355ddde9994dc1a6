"""The model the reference apps serve, made the way the classic tutorial makes it: a
StandardScaler and a LogisticRegression fitted on a plain numeric list per passenger, pickled
as two files (model.pkl, scaler.pkl)."""

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


def write_reference_model(folder: Path) -> None:
    """Fits the tutorial's scaler and model on the bundled data and pickles them in `folder`."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    from ml_pipeline.data import load_dataset

    dataset = load_dataset()
    # The tutorial fills the gaps with simple values before fitting.
    features = dataset.features.fillna({"age": 28.0, "fare": 14.45, "embarked": "S"})
    rows = [numeric_list(passenger) for passenger in features.to_dict(orient="records")]
    scaler = StandardScaler().fit(rows)
    model = LogisticRegression(max_iter=1000).fit(scaler.transform(rows), dataset.target)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "scaler.pkl").write_bytes(pickle.dumps(scaler))
    (folder / "model.pkl").write_bytes(pickle.dumps(model))
