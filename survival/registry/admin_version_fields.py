"""What a version's admin columns and page show: short list columns, and the version's
recorded facts in sections, its JSON fields as tables (see admin_display)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from survival.models import ModelVersion
from survival.registry.admin_confirm import metric_text
from survival.registry.admin_display import json_field_html

PAGES_TEMPLATE = "admin/survival/modelversion/pages.html"


def _json_display(field: str, description: str) -> Any:
    """An admin column showing one JSON field of a version as tables (see admin_display)."""

    @admin.display(description=description)
    def show(model_admin: admin.ModelAdmin, version: ModelVersion) -> str:
        return json_field_html(getattr(version, field))

    return show


class VersionColumns:
    """The read-only columns of the version list and page, for ModelVersionAdmin."""

    params_table = _json_display("params", "parameters")
    cv_metrics_table = _json_display("cv_metrics", "cross-validation metrics")
    holdout_metrics_table = _json_display("holdout_metrics", "held-out metrics")
    candidates_table = _json_display("candidates", "candidates' CV metrics")
    search_table = _json_display("search", "settings tried")
    evaluation_table = _json_display("evaluation", "held-out details")
    holdout_index_table = _json_display("holdout_index", "held-out rows")
    data_summary_table = _json_display("data_summary", "data summary")
    reference_passenger_table = _json_display("reference_passenger", "reference passenger")
    background_table = _json_display("explanation_background", "explanation background")
    context_table = _json_display("training_context", "training context")
    library_versions_table = _json_display("library_versions", "library versions")
    plots_table = _json_display("plots", "plots")

    @admin.display(description="pages")
    def pages(self, version: ModelVersion) -> str:
        """The public model card and the version's live numbers, as two short links."""
        return render_to_string(
            PAGES_TEMPLATE,
            {
                "version": version.version,
                "card_url": reverse("survival:model_card", args=[version.version]),
                "live_url": reverse("admin:survival_modelversion_change", args=[version.pk])
                + "#live-numbers",
            },
        )

    @admin.display(description="state", ordering="-is_active")
    def state(self, version: ModelVersion) -> str:
        if version.is_active:
            role = "Active"
        elif version.is_challenger:
            role = "Challenger"
        else:
            role = "Inactive"
        return f"{role}; Broken: {version.broken_reason}" if version.broken_reason else role

    @admin.display(description="training time")
    def training_time(self, version: ModelVersion) -> str:
        return f"{version.training_seconds:.1f} s"

    @admin.display(description="rows", ordering="data_rows")
    def rows(self, version: ModelVersion) -> int:
        return version.data_rows

    @admin.display(description="trained", ordering="created_at")
    def trained(self, version: ModelVersion) -> str:
        return f"{timezone.localtime(version.created_at):%Y-%m-%d}"

    @admin.display(description="CV AUC")
    def cv_roc_auc(self, version: ModelVersion) -> str:
        mean = version.metric("cv", "roc_auc")
        std = (version.cv_metrics.get("roc_auc") or {}).get("std")
        if std is None:
            return metric_text(mean)
        return f"{metric_text(mean)} ± {metric_text(std)}"

    @admin.display(description="accuracy")
    def holdout_accuracy(self, version: ModelVersion) -> str:
        return metric_text(version.metric("holdout", "accuracy"))

    @admin.display(description="AUC")
    def holdout_roc_auc(self, version: ModelVersion) -> str:
        return metric_text(version.metric("holdout", "roc_auc"))

    @admin.display(description="Brier")
    def holdout_brier(self, version: ModelVersion) -> str:
        return metric_text(version.metric("holdout", "brier"))


# The version page in sections, the numbers before the files they came from.
VERSION_FIELDSETS: list[tuple[str | None, dict[str, list[str]]]] = [
    (
        None,
        {
            "fields": [
                "version",
                "algorithm",
                "state",
                "selection_metric",
                "seed",
                "created_at",
                "activated_at",
                "challenger_since",
                "training_time",
            ]
        },
    ),
    ("Metrics", {"fields": ["cv_metrics_table", "holdout_metrics_table", "candidates_table"]}),
    ("Parameters and search", {"fields": ["params_table", "search_table"]}),
    ("Held-out evaluation", {"fields": ["evaluation_table", "holdout_index_table"]}),
    (
        "Training data",
        {
            "fields": [
                "data_rows",
                "train_rows",
                "holdout_rows",
                "data_sha256",
                "data_summary_table",
                "reference_passenger_table",
                "background_table",
                "context_table",
            ]
        },
    ),
    (
        "Files and integrity",
        {
            "fields": [
                "artifact_name",
                "artifact_sha256",
                "schema_fingerprint",
                "library_versions_table",
                "git_commit",
                "plots_table",
                "broken_reason",
                "broken_at",
            ]
        },
    ),
    ("Activation history", {"fields": ["activation_history"]}),
]
