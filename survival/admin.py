"""The registry in Django's admin: every version with its metrics and state, activation as
one action (for holders of the "activate" permission only), the challenger that shadows the
active version, each version's live numbers, and the record of every change."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.html import format_html

from survival.inference import ModelUnavailableError, load_pipeline
from survival.models import ModelActivation, ModelVersion, Prediction
from survival.selectors import (
    ChallengerComparison,
    LiveStats,
    challenger_comparison,
    version_live_stats,
)
from survival.services import (
    ChallengerRefusedError,
    model_version_activate,
    model_version_clear_challenger,
    model_version_deactivate,
    model_version_make_challenger,
)

SELECT_EXACTLY_ONE = "Select exactly one version to activate (you selected {count})."
ACTIVATED = "Version {version} is now active; the next prediction in every worker uses it."
ACTIVATION_REFUSED = "Version {version} was not activated: {reason}"
DEACTIVATED = "Deactivated {count} version(s). With no active version, predictions are paused."
CHECKED_GOOD = "Version {version}: the file verifies and loads."
CHECKED_BROKEN = "Version {version} is broken: {reason}"
# Activations from the admin are recorded with this reason.
ADMIN_REASON = "Activated in the admin."
ADMIN_DEACTIVATION_REASON = "Deactivated in the admin."
ACTIVATE_PERMISSION = "survival.activate_modelversion"
CHALLENGER_SELECT_EXACTLY_ONE = (
    "Select exactly one version to make the challenger (you selected {count})."
)
CHALLENGER_SET = (
    "Version {version} is now the challenger: from the next request on it scores every "
    "prediction beside the active version; visitors and clients never see its answers."
)
CHALLENGER_REFUSED = "Version {version} was not made the challenger: {reason}"
CHALLENGER_CLEARED = "Version {version} is no longer the challenger."
CHALLENGER_NOT_SELECTED = "None of the selected versions is the challenger; nothing changed."


def _format(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def _live_rows(stats: LiveStats) -> list[tuple[str, str]]:
    return [
        ("Predictions answered", str(stats.predictions)),
        ("Feedback received", str(stats.with_feedback)),
        ("Live accuracy (on feedback)", _format(stats.accuracy)),
        ("Live Brier score (on feedback)", _format(stats.brier)),
    ]


def _comparison_rows(comparison: ChallengerComparison) -> list[tuple[str, str, str]]:
    """(measure, the answering versions, the challenger) on the predictions both scored."""
    return [
        (
            "Accuracy (on feedback)",
            _format(comparison.champion_accuracy),
            _format(comparison.challenger_accuracy),
        ),
        (
            "Brier score (on feedback)",
            _format(comparison.champion_brier),
            _format(comparison.challenger_brier),
        ),
        (
            "Right where they disagreed (with feedback)",
            str(comparison.champion_right_when_disagreeing),
            str(comparison.challenger_right_when_disagreeing),
        ),
    ]


@admin.register(ModelVersion)
class ModelVersionAdmin(admin.ModelAdmin):
    list_display = [
        "version",
        "algorithm",
        "cv_roc_auc",
        "holdout_accuracy",
        "holdout_roc_auc",
        "holdout_brier",
        "data_rows",
        "created_at",
        "is_active",
        "is_challenger",
        "state",
        "model_card",
        "live_numbers",
    ]
    list_filter = ["is_active", "is_challenger", "algorithm"]
    ordering = ["-version"]
    actions = ["activate", "deactivate", "make_challenger", "clear_challenger", "check_files"]
    # Everything a version records is evidence of how it was made: nothing is editable, and
    # versions are only created by the training pipeline.
    readonly_fields = ["model_card", *(field.name for field in ModelVersion._meta.fields)]

    @admin.display(description="model card")
    def model_card(self, version: ModelVersion) -> str:
        url = reverse("survival:model_card", args=[version.version])
        return format_html('<a href="{}">Model card of version {}</a>', url, version.version)

    @admin.display(description="live numbers")
    def live_numbers(self, version: ModelVersion) -> str:
        url = reverse("admin:survival_modelversion_change", args=[version.pk])
        return format_html(
            '<a href="{}#live-numbers">Live numbers of version {}</a>', url, version.version
        )

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        # The version's page shows how it does in service: counts, live accuracy and Brier,
        # daily predicted survival, and, when it has shadowed, how it compares.
        version = self.get_object(request, unquote(object_id))
        if version is not None:
            stats = version_live_stats(version=version)
            comparison = challenger_comparison(challenger=version)
            extra_context = {
                **(extra_context or {}),
                "live_rows": _live_rows(stats),
                "daily": [(d.day, d.predictions, _percent(d.survival_rate)) for d in stats.daily],
                "comparison": comparison,
                "comparison_rate": _percent(comparison.disagreement_rate),
                "comparison_rows": _comparison_rows(comparison),
            }
        return super().change_view(request, object_id, form_url, extra_context)

    @admin.display(description="state")
    def state(self, version: ModelVersion) -> str:
        return f"Broken: {version.broken_reason}" if version.broken_reason else "OK"

    @admin.display(description="CV ROC AUC")
    def cv_roc_auc(self, version: ModelVersion) -> str:
        mean = version.metric("cv", "roc_auc")
        std = (version.cv_metrics.get("roc_auc") or {}).get("std")
        return f"{_format(mean)} ± {_format(std)}" if std is not None else _format(mean)

    @admin.display(description="held-out accuracy")
    def holdout_accuracy(self, version: ModelVersion) -> str:
        return _format(version.metric("holdout", "accuracy"))

    @admin.display(description="held-out ROC AUC")
    def holdout_roc_auc(self, version: ModelVersion) -> str:
        return _format(version.metric("holdout", "roc_auc"))

    @admin.display(description="held-out Brier")
    def holdout_brier(self, version: ModelVersion) -> str:
        return _format(version.metric("holdout", "brier"))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: ModelVersion | None = None) -> bool:
        # Predictions point at the version that made them; the history stays whole.
        return False

    def has_activate_permission(self, request: HttpRequest) -> bool:
        # Seeing the registry needs staff status; changing which model answers needs this.
        return request.user.has_perm(ACTIVATE_PERMISSION)

    @admin.action(description="Activate the selected version", permissions=["activate"])
    def activate(self, request: HttpRequest, queryset: QuerySet[ModelVersion]) -> None:
        count = queryset.count()
        if count != 1:
            self.message_user(request, SELECT_EXACTLY_ONE.format(count=count), messages.ERROR)
            return
        version = queryset.get()
        try:
            model_version_activate(version=version, by=request.user, reason=ADMIN_REASON)
        except ModelUnavailableError as exc:
            self.message_user(
                request,
                ACTIVATION_REFUSED.format(version=version.version, reason=exc),
                messages.ERROR,
            )
            return
        self.message_user(request, ACTIVATED.format(version=version.version), messages.SUCCESS)

    @admin.action(description="Deactivate the selected versions", permissions=["activate"])
    def deactivate(self, request: HttpRequest, queryset: QuerySet[ModelVersion]) -> None:
        versions = list(queryset.filter(is_active=True))
        for version in versions:
            model_version_deactivate(
                version=version, by=request.user, reason=ADMIN_DEACTIVATION_REASON
            )
        self.message_user(request, DEACTIVATED.format(count=len(versions)), messages.WARNING)

    @admin.action(description="Make the selected version the challenger", permissions=["activate"])
    def make_challenger(self, request: HttpRequest, queryset: QuerySet[ModelVersion]) -> None:
        count = queryset.count()
        if count != 1:
            message = CHALLENGER_SELECT_EXACTLY_ONE.format(count=count)
            self.message_user(request, message, messages.ERROR)
            return
        version = queryset.get()
        try:
            model_version_make_challenger(version=version, by=request.user)
        except (ModelUnavailableError, ChallengerRefusedError) as exc:
            message = CHALLENGER_REFUSED.format(version=version.version, reason=exc)
            self.message_user(request, message, messages.ERROR)
            return
        self.message_user(request, CHALLENGER_SET.format(version=version.version), messages.SUCCESS)

    @admin.action(description="Stop the selected challenger shadowing", permissions=["activate"])
    def clear_challenger(self, request: HttpRequest, queryset: QuerySet[ModelVersion]) -> None:
        if not queryset.filter(is_challenger=True).exists():
            self.message_user(request, CHALLENGER_NOT_SELECTED, messages.WARNING)
            return
        cleared = model_version_clear_challenger(by=request.user)
        if cleared is not None:
            self.message_user(request, CHALLENGER_CLEARED.format(version=cleared.version))

    @admin.action(description="Check the selected versions' files", permissions=["view"])
    def check_files(self, request: HttpRequest, queryset: QuerySet[ModelVersion]) -> None:
        # Verifying marks a version broken, or mends it, exactly as serving it would.
        for version in queryset:
            try:
                load_pipeline(version, recheck=True)
            except ModelUnavailableError as exc:
                message = CHECKED_BROKEN.format(version=version.version, reason=exc)
                self.message_user(request, message, messages.ERROR)
            else:
                self.message_user(request, CHECKED_GOOD.format(version=version.version))


@admin.register(ModelActivation)
class ModelActivationAdmin(admin.ModelAdmin):
    """Every change of the active version, newest first; a record nobody can edit."""

    list_display = ["at", "from_version", "to_version", "by", "reason"]
    list_filter = ["to_version"]
    list_select_related = ["from_version", "to_version", "by"]
    date_hierarchy = "at"
    readonly_fields = [field.name for field in ModelActivation._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(
        self, request: HttpRequest, obj: ModelActivation | None = None
    ) -> bool:
        return False

    def has_delete_permission(
        self, request: HttpRequest, obj: ModelActivation | None = None
    ) -> bool:
        return False


@admin.register(Prediction)
class PredictionAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "model_version",
        "channel",
        "probability",
        "survived",
        "challenger",
        "challenger_probability",
        "outcome",
    ]
    list_filter = ["channel", "survived", "model_version", "challenger", "outcome"]
    list_select_related = ["model_version", "challenger"]
    date_hierarchy = "created_at"
    readonly_fields = [field.name for field in Prediction._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Prediction | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Prediction | None = None) -> bool:
        return False
