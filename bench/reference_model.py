"""The models the reference apps serve, made the way the classic tutorial makes them: a
StandardScaler and a model fitted on a plain numeric list per passenger, pickled as two files
(model.pkl, scaler.pkl). The tutorial's model is a logistic regression; for the benchmark's
other rounds the same recipe fits a model of the family ours serves: a forest of the size ours
has, or the soft-voting ensemble of the two that `train` picks by default on the bundled data,
calibrated the same way when ours is."""

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


# The benchmark's rounds: `default` is whatever `manage.py train` picks with no --algorithm
# (the references then serve a model of the family it picked); the others ask for one.
DEFAULT = "default"


ALGORITHMS = (DEFAULT, "logreg", "random_forest", "hist_gradient_boosting", "ensemble")


def reference_estimator(algorithm: str, *, calibrated: bool = False) -> Any:
    """An unfitted model of `algorithm`'s family, as the tutorial would write it: the
    logistic regression with its defaults, the app's own tree models (as many trees, as deep,
    the same seed), the ensemble of the two soft-voting; wrapped in the app's calibration
    (sigmoid, as many folds) when `calibrated`."""
    from sklearn.base import clone
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.ensemble import VotingClassifier
    from sklearn.linear_model import LogisticRegression

    from ml_pipeline.candidates import CALIBRATION_FOLDS, CALIBRATION_METHOD, build_pipeline

    def ours(name: str) -> Any:
        return clone(build_pipeline(name).named_steps["model"])

    if algorithm == "logreg":
        model = LogisticRegression(max_iter=1000)
    elif algorithm in ("random_forest", "hist_gradient_boosting"):
        model = ours(algorithm)
    elif algorithm == "ensemble":
        members = [("logreg", LogisticRegression(max_iter=1000)), ("forest", ours("random_forest"))]
        model = VotingClassifier(members, voting="soft")
    else:
        raise ValueError(f"no reference model for {algorithm!r}")
    if calibrated:
        model = CalibratedClassifierCV(model, method=CALIBRATION_METHOD, cv=CALIBRATION_FOLDS)
    return model


def write_reference_model(
    folder: Path, algorithm: str = "logreg", *, calibrated: bool = False
) -> None:
    """Fits the tutorial's scaler and a model of `algorithm`'s family on the bundled data and
    pickles them in `folder`."""
    from sklearn.preprocessing import StandardScaler

    from ml_pipeline.data import load_dataset

    dataset = load_dataset()
    # The tutorial fills the gaps with simple values before fitting.
    features = dataset.features.fillna({"age": 28.0, "fare": 14.45, "embarked": "S"})
    rows = [numeric_list(passenger) for passenger in features.to_dict(orient="records")]
    scaler = StandardScaler().fit(rows)
    model = reference_estimator(algorithm, calibrated=calibrated).fit(
        scaler.transform(rows), dataset.target
    )
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "scaler.pkl").write_bytes(pickle.dumps(scaler))
    (folder / "model.pkl").write_bytes(pickle.dumps(model))
