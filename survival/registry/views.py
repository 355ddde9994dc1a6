"""The model pages: every version, and each version's model card with its plots.

Every number shown is the one stored at training time; the plots were drawn then too and are
read from the "artifacts" storage by name. Only the plot names a version recorded can be
asked for, so no other file in that storage (least of all a model artifact) is reachable.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from ml_pipeline.constants import ALGORITHM_LABELS, METRIC_LABELS
from ml_pipeline.schema import FEATURES, FEATURES_BY_NAME
from survival import selectors
from survival.inference import artifact_storage
from survival.models import ModelVersion

PLOT_NOT_FOUND = "Model version {number} has no plot called {name!r}."
# What a plot may do when opened on its own: draw itself with inline styles, nothing else.
PLOT_CONTENT_SECURITY_POLICY = "default-src 'none'; style-src 'unsafe-inline'"

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


@require_GET
def model_list(request: HttpRequest) -> HttpResponse:
    return render(
        request, "survival/models/list.html", {"versions": selectors.model_version_list()}
    )


@require_GET
def model_card(request: HttpRequest, number: int) -> HttpResponse:
    version = _version_or_404(number)
    context: dict[str, Any] = {
        "version": version,
        "metric_rows": _metric_rows(version),
        "setting_rows": _setting_rows(version),
        "data_rows": _data_rows(version),
        "importance_rows": _importance_rows(version),
        "params": sorted(version.params.items()),
        "selection_metric": METRIC_LABELS.get(version.selection_metric, ""),
        "calibration": version.evaluation.get("calibration"),
        "confusion": version.evaluation.get("confusion_matrix"),
        "plots": {name: True for name in version.plots},
    }
    return render(request, "survival/models/card.html", context)


@require_GET
@cache_control(max_age=3600)
def model_plot(request: HttpRequest, number: int, name: str) -> HttpResponse:
    version = _version_or_404(number)
    file_name = version.plots.get(name)
    if file_name is None:
        raise Http404(PLOT_NOT_FOUND.format(number=number, name=name))
    try:
        with artifact_storage().open(file_name, "rb") as plot:
            svg = plot.read()
    except OSError as exc:
        raise Http404(PLOT_NOT_FOUND.format(number=number, name=name)) from exc
    response = HttpResponse(svg, content_type="image/svg+xml")
    response["Content-Security-Policy"] = PLOT_CONTENT_SECURITY_POLICY
    return response


def _version_or_404(number: int) -> ModelVersion:
    version = selectors.model_version_get(number=number)
    if version is None:
        raise Http404(selectors.VERSION_NOT_FOUND.format(number=number))
    return version


def _metric_rows(version: ModelVersion) -> list[MetricRow]:
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


def _setting_rows(version: ModelVersion) -> list[SettingRow]:
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


def _data_rows(version: ModelVersion) -> list[dict[str, Any]]:
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


def _importance_rows(version: ModelVersion) -> list[dict[str, Any]]:
    importance = version.evaluation.get("permutation_importance", {})
    rows = [
        {"label": FEATURES_BY_NAME[name].label, "mean": values["mean"], "std": values["std"]}
        for name, values in importance.items()
        if name in FEATURES_BY_NAME
    ]
    return sorted(rows, key=lambda row: row["mean"], reverse=True)
