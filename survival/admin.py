"""The registry in Django's admin: every version with its metrics and state, activation as
one action (for holders of the "activate" permission only), and the record of every change."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from survival.inference import ModelUnavailableError, load_pipeline
from survival.models import ModelActivation, ModelVersion, Prediction
from survival.services import model_version_activate, model_version_deactivate

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


def _format(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


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
        "state",
        "model_card",
    ]
    list_filter = ["is_active", "algorithm"]
    ordering = ["-version"]
    actions = ["activate", "deactivate", "check_files"]
    # Everything a version records is evidence of how it was made: nothing is editable, and
    # versions are only created by the training pipeline.
    readonly_fields = ["model_card", *(field.name for field in ModelVersion._meta.fields)]

    @admin.display(description="model card")
    def model_card(self, version: ModelVersion) -> str:
        url = reverse("survival:model_card", args=[version.version])
        return format_html('<a href="{}">Model card of version {}</a>', url, version.version)

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
    list_display = ["created_at", "model_version", "channel", "probability", "survived"]
    list_filter = ["channel", "survived", "model_version"]
    list_select_related = ["model_version"]
    date_hierarchy = "created_at"
    readonly_fields = [field.name for field in Prediction._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Prediction | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Prediction | None = None) -> bool:
        return False
