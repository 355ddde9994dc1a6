"""How a pipeline is judged: the metrics, repeated stratified cross-validation, the choice
of the best setting or candidate, and the held-out evaluation the model card shows."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.calibration import calibration_curve
from sklearn.inspection import permutation_importance
from sklearn.metrics import (
    accuracy_score,
    average_precision_score,
    brier_score_loss,
    confusion_matrix,
    f1_score,
    log_loss,
    precision_score,
    recall_score,
    roc_auc_score,
    roc_curve,
)
from sklearn.model_selection import RepeatedStratifiedKFold
from sklearn.pipeline import Pipeline

from ml_pipeline.constants import LOWER_IS_BETTER, METRIC_LABELS, THRESHOLD
from ml_pipeline.schema import FEATURE_NAMES

CV_FOLDS = 5


CV_REPEATS = 2


# Permutation importance: shuffles of each column on the held-out split.
IMPORTANCE_REPEATS = 5


CALIBRATION_BINS = 10


ProgressCallback = Callable[[str], None]


def score(truth: pd.Series | np.ndarray, probabilities: np.ndarray) -> dict[str, float]:
    """Every CV metric (see constants.METRIC_LABELS) of one set of predictions."""
    return {
        "roc_auc": float(roc_auc_score(truth, probabilities)),
        "accuracy": float(accuracy_score(truth, probabilities >= THRESHOLD)),
        "average_precision": float(average_precision_score(truth, probabilities)),
        "brier": float(brier_score_loss(truth, probabilities)),
        "log_loss": float(log_loss(truth, probabilities, labels=[0, 1])),
    }


def cv_folds(seed: int) -> RepeatedStratifiedKFold:
    return RepeatedStratifiedKFold(n_splits=CV_FOLDS, n_repeats=CV_REPEATS, random_state=seed)


def cross_validate_pipeline(
    pipeline: Pipeline,
    features: pd.DataFrame,
    target: pd.Series,
    *,
    seed: int,
    name: str = "",
    progress: ProgressCallback | None = None,
) -> dict[str, dict[str, float]]:
    """Repeated stratified K-fold CV; the mean and std of every metric over the folds.

    The folds depend only on the seed and the data, so every candidate and setting is scored
    on exactly the same folds.
    """
    folds = cv_folds(seed)
    total = folds.get_n_splits()
    per_fold: list[dict[str, float]] = []
    for number, (train_index, test_index) in enumerate(folds.split(features, target), start=1):
        if progress:
            progress(f"  {name}: fold {number}/{total}")
        fitted = clone(pipeline).fit(features.iloc[train_index], target.iloc[train_index])
        probabilities = fitted.predict_proba(features.iloc[test_index])[:, 1]
        per_fold.append(score(target.iloc[test_index], probabilities))
    return {
        metric: {
            "mean": float(np.mean([fold[metric] for fold in per_fold])),
            "std": float(np.std([fold[metric] for fold in per_fold])),
        }
        for metric in METRIC_LABELS
    }


def better(metric: str, first: float, second: float) -> bool:
    """Whether `first` is strictly better than `second` for this metric."""
    return first < second if metric in LOWER_IS_BETTER else first > second


def best_of(metric: str, scored: list[tuple[Any, dict[str, dict[str, float]]]]) -> int:
    """Index of the best (key, cv_metrics) pair by the metric's mean; ties go to the earlier,
    so list simpler settings and candidates first."""
    best = 0
    for index, (_, metrics) in enumerate(scored):
        if better(metric, metrics[metric]["mean"], scored[best][1][metric]["mean"]):
            best = index
    return best


def evaluate(
    pipeline: Pipeline,
    features: pd.DataFrame,
    target: pd.Series,
    *,
    majority_class: int,
    training_rate: float | None = None,
) -> dict[str, float]:
    """Held-out metrics of a fitted pipeline, with baselines that know nothing about the
    passenger beside them: everyone gets the training split's majority class (accuracy) and
    its survival rate as probability (Brier)."""
    probabilities = pipeline.predict_proba(features)[:, 1]
    predicted = (probabilities >= THRESHOLD).astype(int)
    metrics = {
        **score(target, probabilities),
        "precision": float(precision_score(target, predicted, zero_division=0)),
        "recall": float(recall_score(target, predicted, zero_division=0)),
        "f1": float(f1_score(target, predicted, zero_division=0)),
        "baseline_accuracy": float(np.mean(target == majority_class)),
    }
    if training_rate is not None:
        metrics["baseline_brier"] = float(np.mean((target - training_rate) ** 2))
    return metrics


def holdout_details(
    pipeline: Pipeline, features: pd.DataFrame, target: pd.Series, *, seed: int
) -> dict[str, Any]:
    """What the model card draws: confusion matrix, ROC and reliability curves, and
    permutation importance of each input, all on the held-out split."""
    probabilities = pipeline.predict_proba(features)[:, 1]
    predicted = (probabilities >= THRESHOLD).astype(int)
    (tn, fp), (fn, tp) = confusion_matrix(target, predicted, labels=[0, 1]).tolist()
    fpr, tpr, _ = roc_curve(target, probabilities)
    observed, predicted_mean = calibration_curve(
        target, probabilities, n_bins=CALIBRATION_BINS, strategy="quantile"
    )
    importance = permutation_importance(
        pipeline,
        features,
        target,
        scoring="roc_auc",
        n_repeats=IMPORTANCE_REPEATS,
        random_state=seed,
    )
    return {
        "confusion_matrix": {"tn": tn, "fp": fp, "fn": fn, "tp": tp},
        "roc_curve": {"fpr": _rounded(fpr), "tpr": _rounded(tpr)},
        "reliability_curve": {
            "predicted": _rounded(predicted_mean),
            "observed": _rounded(observed),
        },
        "permutation_importance": {
            name: {"mean": float(mean), "std": float(std)}
            for name, mean, std in zip(
                FEATURE_NAMES,
                importance.importances_mean,
                importance.importances_std,
                strict=True,
            )
        },
    }


def _rounded(values: np.ndarray) -> list[float]:
    # Four decimals are plenty for a curve and keep the stored JSON small.
    return [round(float(value), 4) for value in values]
