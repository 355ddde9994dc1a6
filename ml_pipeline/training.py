"""Training and evaluation: plain scikit-learn, no Django.

Every candidate is one sklearn Pipeline (imputation + encoding + model), so the saved
artifact takes the raw schema columns and nothing can be forgotten at prediction time.
The data is split once into a stratified training part and a held-out part; candidates are
compared by stratified cross-validation on the training part only, the winner is fitted on
the training part and evaluated once on the held-out part, and that fitted pipeline is what
gets saved, so the held-out numbers describe exactly the stored model.
"""

from __future__ import annotations

import io
import platform
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import joblib
import numpy as np
import pandas as pd
import sklearn
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import (
    accuracy_score,
    brier_score_loss,
    f1_score,
    log_loss,
    precision_score,
    recall_score,
    roc_auc_score,
)
from sklearn.model_selection import StratifiedKFold, train_test_split
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import (
    FunctionTransformer,
    OneHotEncoder,
    PolynomialFeatures,
    SplineTransformer,
    StandardScaler,
)

from ml_pipeline.constants import ALGORITHM_LABELS, AUTO, DEFAULT_SEED, THRESHOLD
from ml_pipeline.data import Dataset
from ml_pipeline.schema import FEATURES, schema_fingerprint

CATEGORY_COLUMNS = [f.name for f in FEATURES if f.kind == "category"]
FAMILY_COLUMNS = ["sibsp", "parch"]

CV_FOLDS = 5
HOLDOUT_FRACTION = 0.2

ProgressCallback = Callable[[str], None]


def _categories() -> Pipeline:
    return make_pipeline(
        SimpleImputer(strategy="most_frequent"),
        OneHotEncoder(handle_unknown="ignore", sparse_output=False),
    )


def _logreg(seed: int) -> Pipeline:
    # The classic baseline, given what a linear model needs on this data: a smooth curve
    # for age (children were saved first), log-fare, and pairwise interactions
    # (being female mattered far more in 1st class than in 3rd).
    features = ColumnTransformer(
        [
            (
                "age",
                make_pipeline(
                    SimpleImputer(strategy="median"), SplineTransformer(n_knots=5, degree=3)
                ),
                ["age"],
            ),
            ("age_missing", SimpleImputer(strategy="median", add_indicator=True), ["age"]),
            (
                "family",
                make_pipeline(SimpleImputer(strategy="median"), StandardScaler()),
                FAMILY_COLUMNS,
            ),
            (
                "fare",
                make_pipeline(
                    SimpleImputer(strategy="median"),
                    FunctionTransformer(np.log1p, feature_names_out="one-to-one"),
                    StandardScaler(),
                ),
                ["fare"],
            ),
            ("categories", _categories(), CATEGORY_COLUMNS),
        ]
    )
    return Pipeline(
        [
            ("features", features),
            ("interactions", PolynomialFeatures(2, interaction_only=True, include_bias=False)),
            ("scale", StandardScaler()),
            ("model", LogisticRegression(C=0.03, max_iter=5000, random_state=seed)),
        ]
    )


def _tree_features() -> ColumnTransformer:
    # Trees need no scaling; missing numbers get the median plus a "was missing" flag.
    numbers = [f.name for f in FEATURES if f.kind != "category"]
    return ColumnTransformer(
        [
            ("numbers", SimpleImputer(strategy="median", add_indicator=True), numbers),
            ("categories", _categories(), CATEGORY_COLUMNS),
        ]
    )


def _random_forest(seed: int) -> Pipeline:
    return Pipeline(
        [
            ("features", _tree_features()),
            (
                "model",
                RandomForestClassifier(
                    n_estimators=300, min_samples_leaf=3, max_features="sqrt", random_state=seed
                ),
            ),
        ]
    )


def _hist_gradient_boosting(seed: int) -> Pipeline:
    return Pipeline(
        [
            ("features", _tree_features()),
            (
                "model",
                HistGradientBoostingClassifier(
                    max_iter=200,
                    learning_rate=0.05,
                    max_depth=3,
                    min_samples_leaf=20,
                    random_state=seed,
                ),
            ),
        ]
    )


_FACTORIES: dict[str, Callable[[int], Pipeline]] = {
    "logreg": _logreg,
    "random_forest": _random_forest,
    "hist_gradient_boosting": _hist_gradient_boosting,
}
# name → (label, pipeline factory), in the order candidates are tried.
ALGORITHMS: dict[str, tuple[str, Callable[[int], Pipeline]]] = {
    name: (label, _FACTORIES[name]) for name, label in ALGORITHM_LABELS.items()
}


def build_pipeline(algorithm: str, *, seed: int = DEFAULT_SEED) -> Pipeline:
    """An unfitted pipeline for one algorithm."""
    try:
        _, factory = ALGORITHMS[algorithm]
    except KeyError:
        raise ValueError(
            f"unknown algorithm {algorithm!r}; choose one of: {', '.join(ALGORITHMS)}, {AUTO}"
        ) from None
    return factory(seed)


@dataclass
class TrainingResult:
    """What a training run produced, ready to be registered.

    Attributes:
        pipeline: the winner, fitted on the training split.
        algorithm: its name (a key of ALGORITHMS).
        params: the model step's hyper-parameters.
        cv_metrics: {metric: {"mean", "std"}} from stratified CV on the training split.
        holdout_metrics: metrics on the held-out split, plus the majority-class baseline.
        candidates: {algorithm: cv_metrics} for every candidate tried.
        seed, data_sha256, data_rows, train_rows, holdout_rows: what makes the run reproducible.
        library_versions: python, scikit-learn, numpy, pandas, joblib.
        schema_fingerprint: see `schema.schema_fingerprint`.
        reference_passenger: the training split's typical passenger (median of each number,
            most frequent category), the baseline that explanations compare against.
        duration_seconds: wall time of the whole run.
    """

    pipeline: Pipeline
    algorithm: str
    params: dict[str, Any]
    cv_metrics: dict[str, dict[str, float]]
    holdout_metrics: dict[str, float]
    candidates: dict[str, dict[str, dict[str, float]]]
    seed: int
    data_sha256: str
    data_rows: int
    train_rows: int
    holdout_rows: int
    library_versions: dict[str, str] = field(default_factory=dict)
    schema_fingerprint: str = ""
    reference_passenger: dict[str, Any] = field(default_factory=dict)
    duration_seconds: float = 0.0


def library_versions() -> dict[str, str]:
    return {
        "python": platform.python_version(),
        "scikit-learn": sklearn.__version__,
        "numpy": np.__version__,
        "pandas": pd.__version__,
        "joblib": joblib.__version__,
    }


def cross_validate_pipeline(
    pipeline: Pipeline,
    features: pd.DataFrame,
    target: pd.Series,
    *,
    seed: int,
    name: str = "",
    progress: ProgressCallback | None = None,
) -> dict[str, dict[str, float]]:
    """Stratified K-fold CV; returns mean and std of ROC AUC, accuracy and Brier score."""
    folds = StratifiedKFold(n_splits=CV_FOLDS, shuffle=True, random_state=seed)
    scores: dict[str, list[float]] = {"roc_auc": [], "accuracy": [], "brier": []}
    for number, (train_index, test_index) in enumerate(folds.split(features, target), start=1):
        if progress:
            progress(f"  {name}: fold {number}/{CV_FOLDS}")
        fitted = clone(pipeline).fit(features.iloc[train_index], target.iloc[train_index])
        probabilities = fitted.predict_proba(features.iloc[test_index])[:, 1]
        truth = target.iloc[test_index]
        scores["roc_auc"].append(roc_auc_score(truth, probabilities))
        scores["accuracy"].append(accuracy_score(truth, probabilities >= THRESHOLD))
        scores["brier"].append(brier_score_loss(truth, probabilities))
    return {
        metric: {"mean": float(np.mean(values)), "std": float(np.std(values))}
        for metric, values in scores.items()
    }


def typical_passenger(features: pd.DataFrame) -> dict[str, Any]:
    """The median of each number and the most frequent value of each category."""
    typical: dict[str, Any] = {}
    for feature in FEATURES:
        column = features[feature.name].dropna()
        if feature.kind == "category":
            value = column.mode().iloc[0]
            typical[feature.name] = value.item() if hasattr(value, "item") else value
        else:
            typical[feature.name] = float(column.median())
    # Numeric categories (the ticket class) are whole numbers in the schema.
    for feature in FEATURES:
        if feature.kind == "category" and isinstance(feature.choices[0][0], int):
            typical[feature.name] = int(typical[feature.name])
    return typical


def evaluate(
    pipeline: Pipeline, features: pd.DataFrame, target: pd.Series, *, majority_class: int
) -> dict[str, float]:
    """Held-out metrics of a fitted pipeline, with the majority-class baseline beside them."""
    probabilities = pipeline.predict_proba(features)[:, 1]
    predicted = (probabilities >= THRESHOLD).astype(int)
    return {
        "accuracy": float(accuracy_score(target, predicted)),
        "precision": float(precision_score(target, predicted, zero_division=0)),
        "recall": float(recall_score(target, predicted, zero_division=0)),
        "f1": float(f1_score(target, predicted, zero_division=0)),
        "roc_auc": float(roc_auc_score(target, probabilities)),
        "brier": float(brier_score_loss(target, probabilities)),
        "log_loss": float(log_loss(target, probabilities, labels=[0, 1])),
        "baseline_accuracy": float(np.mean(target == majority_class)),
    }


def train(
    dataset: Dataset,
    *,
    algorithm: str = AUTO,
    seed: int = DEFAULT_SEED,
    progress: ProgressCallback | None = None,
) -> TrainingResult:
    """Selects (for "auto") or uses the given algorithm, fits it and evaluates it."""
    started = time.perf_counter()
    names = list(ALGORITHMS) if algorithm == AUTO else [algorithm]
    for name in names:
        build_pipeline(name, seed=seed)  # fail fast on an unknown name
    train_x, holdout_x, train_y, holdout_y = train_test_split(
        dataset.features,
        dataset.target,
        test_size=HOLDOUT_FRACTION,
        stratify=dataset.target,
        random_state=seed,
    )
    if progress:
        progress(
            f"Data: {dataset.rows} rows ({len(train_y)} for training, {len(holdout_y)} held out), "
            f"sha256 {dataset.sha256[:12]}…"
        )

    candidates: dict[str, dict[str, dict[str, float]]] = {}
    for name in names:
        if progress:
            progress(f"Cross-validating {ALGORITHMS[name][0]} ({CV_FOLDS} folds)")
        candidates[name] = cross_validate_pipeline(
            build_pipeline(name, seed=seed),
            train_x,
            train_y,
            seed=seed,
            name=name,
            progress=progress,
        )
    # Highest mean CV ROC AUC wins; ties go to the earlier (simpler) candidate.
    winner = max(names, key=lambda name: candidates[name]["roc_auc"]["mean"])
    if progress:
        progress(f"Fitting {ALGORITHMS[winner][0]} on the training split")
    pipeline = build_pipeline(winner, seed=seed).fit(train_x, train_y)
    majority_class = int(train_y.mode().iloc[0])
    holdout = evaluate(pipeline, holdout_x, holdout_y, majority_class=majority_class)

    return TrainingResult(
        pipeline=pipeline,
        algorithm=winner,
        params=_plain(pipeline.named_steps["model"].get_params()),
        cv_metrics=candidates[winner],
        holdout_metrics=holdout,
        candidates=candidates,
        seed=seed,
        data_sha256=dataset.sha256,
        data_rows=dataset.rows,
        train_rows=len(train_y),
        holdout_rows=len(holdout_y),
        library_versions=library_versions(),
        schema_fingerprint=schema_fingerprint(),
        reference_passenger=typical_passenger(train_x),
        duration_seconds=time.perf_counter() - started,
    )


def serialize_pipeline(pipeline: Pipeline) -> bytes:
    """The artifact's bytes (joblib); the registry stores them and records their sha256."""
    buffer = io.BytesIO()
    joblib.dump(pipeline, buffer, compress=3)
    return buffer.getvalue()


def _plain(params: dict[str, Any]) -> dict[str, Any]:
    """JSON-friendly hyper-parameters: numbers, strings, booleans and None kept, others named."""
    plain: dict[str, Any] = {}
    for key, value in sorted(params.items()):
        if isinstance(value, (bool, int, float, str)) or value is None:
            plain[key] = value
        else:
            plain[key] = repr(value)
    return plain
