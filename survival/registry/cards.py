"""What a model card shows, read from what a version recorded at training time: its
metrics beside a know-nothing baseline, every setting tried, the data it learnt from, and
which inputs mattered."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ml_pipeline.constants import ALGORITHM_LABELS, METRIC_LABELS
from ml_pipeline.schema import FEATURES, FEATURES_BY_NAME
from survival.models import ModelVersion

# Held-out-only metrics, after the ones cross-validation measures too.
HOLDOUT_ONLY_LABELS = {"precision": "Precision", "recall": "Recall", "f1": "F1 score"}


@dataclass(frozen=True)
class MetricRow:
    """One line of the model card's metrics table (None where a number does not apply)."""

    label: str
    cv_mean: float | None
    cv_std: float | None
    holdout: float | None
    baseline: float | None
    lower_is_better: bool = False


@dataclass(frozen=True)
class SettingRow:
    """One setting of one candidate, cross-validated."""

    candidate: str
    params: str
    roc_auc: dict[str, float]
    accuracy: dict[str, float]
    brier: dict[str, float]
    selected: bool


def metric_rows(version: ModelVersion) -> list[MetricRow]:
    holdout = version.holdout_metrics
    # What a model that knows nothing about the passenger would score.
    baselines = {
        "roc_auc": 0.5,
        "accuracy": holdout.get("baseline_accuracy"),
        "brier": holdout.get("baseline_brier"),
    }
    rows = []
    for metric, label in METRIC_LABELS.items():
        cv = version.cv_metrics.get(metric) or {}
        rows.append(
            MetricRow(
                label=label,
                cv_mean=cv.get("mean"),
                cv_std=cv.get("std"),
                holdout=holdout.get(metric),
                baseline=baselines.get(metric),
                lower_is_better=metric in {"brier", "log_loss"},
            )
        )
    for metric, label in HOLDOUT_ONLY_LABELS.items():
        rows.append(MetricRow(label, None, None, holdout.get(metric), None))
    return rows


def setting_rows(version: ModelVersion) -> list[SettingRow]:
    rows = []
    for candidate, tried in version.search.items():
        best = version.candidates.get(candidate)
        for setting in tried:
            cv = setting["cv"]
            rows.append(
                SettingRow(
                    candidate=ALGORITHM_LABELS.get(candidate, candidate),
                    params=", ".join(f"{key}={value}" for key, value in setting["params"].items()),
                    roc_auc=cv["roc_auc"],
                    accuracy=cv["accuracy"],
                    brier=cv["brier"],
                    selected=candidate == version.algorithm
                    and cv == best
                    and all(version.params.get(k) == v for k, v in setting["params"].items()),
                )
            )
    return rows


def data_rows(version: ModelVersion) -> list[dict[str, Any]]:
    columns = version.data_summary.get("columns", {})
    rows = []
    for feature in FEATURES:
        described = columns.get(feature.name)
        if described is None:
            continue
        if "counts" in described:
            labels = dict((str(value), label) for value, label in feature.choices)
            values = ", ".join(
                f"{labels.get(value, value)}: {count}"
                for value, count in described["counts"].items()
            )
        else:
            values = (
                f"{described['minimum']:g} to {described['maximum']:g}, "
                f"median {described['median']:g}"
            )
        rows.append({"label": feature.label, "values": values, "missing": described["missing"]})
    return rows


def importance_rows(version: ModelVersion) -> list[dict[str, Any]]:
    importance = version.evaluation.get("permutation_importance", {})
    rows = [
        {"label": FEATURES_BY_NAME[name].label, "mean": values["mean"], "std": values["std"]}
        for name, values in importance.items()
        if name in FEATURES_BY_NAME
    ]
    return sorted(rows, key=lambda row: row["mean"], reverse=True)
