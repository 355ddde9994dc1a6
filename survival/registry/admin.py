"""The registry in Django's admin: every version with its metrics and state, its live
numbers, and the actions that change what answers (activate, roll back and deactivate, each
through a confirmation page that asks for the reason; choose the challenger) for holders of
the "activate" permission only. Its HTML lives in templates/admin/survival/modelversion/."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.urls import URLPattern, path, reverse

from ml_pipeline.errors import PredictorError
from survival.models import ModelActivation, ModelVersion
from survival.registry import selectors
from survival.registry.admin_confirm import confirm_change, metric_text
from survival.registry.admin_deactivate import confirm_deactivation
from survival.registry.admin_version_fields import VERSION_FIELDSETS, VersionColumns
from survival.registry.artifacts import load_pipeline
from survival.registry.live import (
    ChallengerComparison,
    LiveStats,
    challenger_comparison,
    version_live_stats,
)
from survival.registry.services import (
    NOTHING_TO_ROLL_BACK,
    model_version_clear_challenger,
    model_version_make_challenger,
)

SELECT_EXACTLY_ONE = "Select exactly one version to activate (you selected {count})."
NO_HISTORY = "No activation has been recorded for this version."
NONE_ACTIVE_SELECTED = "None of the selected versions is active; nothing to deactivate."
CHECKED_GOOD = "Version {version}: the file verifies and loads."
CHECKED_BROKEN = "Version {version} is broken: {reason}"
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


@admin.register(ModelVersion)
class ModelVersionAdmin(VersionColumns, admin.ModelAdmin):
    # Short columns, so the list fits a 1280 px screen beside the admin's menu; whether a
    # version answers comes right after which version it is.
    list_display = [
        "version",
        "state",
        "algorithm",
        "cv_roc_auc",
        "holdout_roc_auc",
        "holdout_accuracy",
        "holdout_brier",
        "rows",
        "trained",
        "pages",
    ]
    list_display_links = ["version"]
    list_filter = ["is_active", "is_challenger", "algorithm"]
    ordering = ["-version"]
    actions = ["activate", "deactivate", "make_challenger", "clear_challenger", "check_files"]
    # Everything a version records is evidence of how it was made: nothing is editable, and
    # versions are only created by the training pipeline.
    fieldsets = VERSION_FIELDSETS
    readonly_fields = [name for _, options in VERSION_FIELDSETS for name in options["fields"]]

    def get_urls(self) -> list[URLPattern]:
        # Before the default ones: "<path:object_id>/" would otherwise take these addresses.
        wrap = self.admin_site.admin_view
        return [
            path(
                "<int:pk>/activate/",
                wrap(self.activate_view),
                name="survival_modelversion_activate",
            ),
            path(
                "<int:pk>/deactivate/",
                wrap(self.deactivate_view),
                name="survival_modelversion_deactivate",
            ),
            path("rollback/", wrap(self.rollback_view), name="survival_modelversion_rollback"),
            *super().get_urls(),
        ]

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        context = {
            "can_activate": self.has_activate_permission(request),
            "active_version": selectors.model_version_get_active(),
            **(extra_context or {}),
        }
        return super().changelist_view(request, extra_context=context)

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        # The version's page shows how it does in service: counts, live accuracy and Brier,
        # daily predicted survival, and, when it has shadowed, how it compares.
        extra_context = {
            "can_activate": self.has_activate_permission(request),
            **(extra_context or {}),
        }
        version = self.get_object(request, unquote(object_id))
        if version is not None:
            stats = version_live_stats(version=version)
            comparison = challenger_comparison(challenger=version)
            extra_context = {
                **extra_context,
                "card_url": reverse("survival:model_card", args=[version.version]),
                "live_rows": _live_rows(stats),
                "daily": [(d.day, d.predictions, _percent(d.survival_rate)) for d in stats.daily],
                "comparison": comparison,
                "comparison_rate": _percent(comparison.disagreement_rate),
                "comparison_rows": _comparison_rows(comparison),
            }
        return super().change_view(request, object_id, form_url, extra_context)

    @admin.display(description="activation history")
    def activation_history(self, version: ModelVersion) -> str:
        """Every recorded change that made this version active or took it out of service,
        newest first."""
        records = ModelActivation.objects.filter(
            Q(to_version=version) | Q(from_version=version)
        ).select_related("from_version", "to_version", "by")
        if not records:
            return NO_HISTORY
        return render_to_string(
            "admin/survival/modelversion/activation_history.html", {"records": records}
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: ModelVersion | None = None) -> bool:
        # A version's page is a record to read: without this the admin offers Save buttons
        # that could change nothing. Activation has its own permission and pages.
        return False

    def has_delete_permission(self, request: HttpRequest, obj: ModelVersion | None = None) -> bool:
        # Predictions point at the version that made them; the history stays whole.
        return False

    def has_activate_permission(self, request: HttpRequest) -> bool:
        # Seeing the registry needs staff status; changing which model answers needs this.
        return request.user.has_perm(ACTIVATE_PERMISSION)

    def activate_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """Confirms the activation of one version (see admin_confirm)."""
        if not self.has_activate_permission(request):
            raise PermissionDenied
        version = get_object_or_404(ModelVersion, pk=pk)
        return confirm_change(self, request, version=version, rollback=False)

    def deactivate_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """Confirms taking the active version out of service (see admin_deactivate)."""
        if not self.has_activate_permission(request):
            raise PermissionDenied
        version = get_object_or_404(ModelVersion, pk=pk)
        return confirm_deactivation(self, request, version=version)

    def rollback_view(self, request: HttpRequest) -> HttpResponse:
        """Confirms re-activating the version that was active before the current one."""
        if not self.has_activate_permission(request):
            raise PermissionDenied
        target = selectors.model_version_previous()
        if target is None:
            self.message_user(request, NOTHING_TO_ROLL_BACK, messages.WARNING)
            return HttpResponseRedirect(reverse("admin:survival_modelversion_changelist"))
        return confirm_change(self, request, version=target, rollback=True)

    @admin.action(description="Activate the selected version…", permissions=["activate"])
    def activate(
        self, request: HttpRequest, queryset: QuerySet[ModelVersion]
    ) -> HttpResponse | None:
        count = queryset.count()
        if count != 1:
            self.message_user(request, SELECT_EXACTLY_ONE.format(count=count), messages.ERROR)
            return None
        # The change itself happens on the confirmation page, which asks for the reason.
        version = queryset.get()
        return HttpResponseRedirect(
            reverse("admin:survival_modelversion_activate", args=[version.pk])
        )

    @admin.action(description="Deactivate the selected version…", permissions=["activate"])
    def deactivate(
        self, request: HttpRequest, queryset: QuerySet[ModelVersion]
    ) -> HttpResponse | None:
        version = queryset.filter(is_active=True).first()
        if version is None:
            self.message_user(request, NONE_ACTIVE_SELECTED, messages.WARNING)
            return None
        # Like activating: the confirmation page says what stops and asks for the reason.
        return HttpResponseRedirect(
            reverse("admin:survival_modelversion_deactivate", args=[version.pk])
        )

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
        except PredictorError as exc:
            self._refused(request, CHALLENGER_REFUSED, version, exc)
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
            except PredictorError as exc:
                self._refused(request, CHECKED_BROKEN, version, exc)
            else:
                self.message_user(request, CHECKED_GOOD.format(version=version.version))

    def _refused(
        self, request: HttpRequest, template: str, version: ModelVersion, error: PredictorError
    ) -> None:
        """How an action reports an error of the hierarchy: a message naming the version."""
        message = template.format(version=version.version, reason=error.message)
        self.message_user(request, message, messages.ERROR)


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def _live_rows(stats: LiveStats) -> list[tuple[str, str]]:
    return [
        ("Predictions answered", str(stats.predictions)),
        ("Feedback received", str(stats.with_feedback)),
        ("Live accuracy (on feedback)", metric_text(stats.accuracy)),
        ("Live Brier score (on feedback)", metric_text(stats.brier)),
    ]


def _comparison_rows(comparison: ChallengerComparison) -> list[tuple[str, str, str]]:
    """(measure, the answering versions, the challenger) on the predictions both scored."""
    return [
        (
            "Accuracy (on feedback)",
            metric_text(comparison.champion_accuracy),
            metric_text(comparison.challenger_accuracy),
        ),
        (
            "Brier score (on feedback)",
            metric_text(comparison.champion_brier),
            metric_text(comparison.challenger_brier),
        ),
        (
            "Right where they disagreed (with feedback)",
            str(comparison.champion_right_when_disagreeing),
            str(comparison.challenger_right_when_disagreeing),
        ),
    ]
