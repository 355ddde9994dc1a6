"""The registry in Django's admin: every version with its metrics and state, activation
and rollback through a confirmation page that asks for a reason and shows the promotion
gate's verdict (for holders of the "activate" permission only), the challenger that shadows
the active version, each version's live numbers, and the record of every change and every
refusal."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html, format_html_join

from survival import selectors
from survival.forms import ActivationForm
from survival.inference import ModelUnavailableError, load_pipeline
from survival.models import GateRefusal, ModelActivation, ModelVersion, Prediction
from survival.selectors import (
    ChallengerComparison,
    LiveStats,
    challenger_comparison,
    version_live_stats,
)
from survival.services import (
    NOTHING_TO_ROLL_BACK,
    OVERRIDE_PERMISSION,
    ChallengerRefusedError,
    NothingToRollBackError,
    PromotionRefusedError,
    model_version_activate,
    model_version_clear_challenger,
    model_version_deactivate,
    model_version_make_challenger,
    model_version_rollback,
    promotion_gate_check,
)

SELECT_EXACTLY_ONE = "Select exactly one version to activate (you selected {count})."
ACTIVATED = "Version {version} is now active; the next prediction in every worker uses it."
ACTIVATED_OVER_GATE = (
    "Version {version} is now active although the promotion gate refused it; the override and "
    "your reason are recorded."
)
ROLLED_BACK = (
    "Rolled back from version {previous} to version {version}; the next prediction in every "
    "worker uses it."
)
ACTIVATION_REFUSED = "Version {version} was not activated: {reason}"
NO_HISTORY = "No activation has been recorded for this version."
DEACTIVATED = "Deactivated {count} version(s). With no active version, predictions are paused."
CHECKED_GOOD = "Version {version}: the file verifies and loads."
CHECKED_BROKEN = "Version {version} is broken: {reason}"
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
    readonly_fields = [
        "model_card",
        "activation_history",
        *(field.name for field in ModelVersion._meta.fields),
    ]

    def get_urls(self) -> list[URLPattern]:
        # Before the default ones: "<path:object_id>/" would otherwise take these addresses.
        wrap = self.admin_site.admin_view
        return [
            path(
                "<int:pk>/activate/",
                wrap(self.activate_view),
                name="survival_modelversion_activate",
            ),
            path("rollback/", wrap(self.rollback_view), name="survival_modelversion_rollback"),
            *super().get_urls(),
        ]

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        context = {"can_activate": self.has_activate_permission(request), **(extra_context or {})}
        return super().changelist_view(request, extra_context=context)

    @admin.display(description="activation history")
    def activation_history(self, version: ModelVersion) -> str:
        """Every recorded change that made this version active or took it out of service,
        newest first."""
        records = ModelActivation.objects.filter(
            Q(to_version=version) | Q(from_version=version)
        ).select_related("from_version", "to_version", "by")
        if not records:
            return NO_HISTORY
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    f"{record.at:%Y-%m-%d %H:%M:%S}",
                    f"v{record.from_version.version}" if record.from_version else "none",
                    f"v{record.to_version.version}" if record.to_version else "none",
                    record.by.get_username() if record.by else "the system",
                    record.reason,
                    _change_kind(record),
                )
                for record in records
            ),
        )
        return format_html(
            '<table class="activation-history"><thead><tr><th scope="col">when</th>'
            '<th scope="col">from</th><th scope="col">to</th><th scope="col">by</th>'
            '<th scope="col">reason</th><th scope="col">kind</th></tr></thead>'
            "<tbody>{}</tbody></table>",
            rows,
        )

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
        extra_context = {
            "can_activate": self.has_activate_permission(request),
            **(extra_context or {}),
        }
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

    def activate_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """Confirms the activation of one version: its numbers beside the active one's, the
        promotion gate's verdict, the reason to record and, for those allowed, the override."""
        if not self.has_activate_permission(request):
            raise PermissionDenied
        version = get_object_or_404(ModelVersion, pk=pk)
        return self._confirm_change(request, version=version, rollback=False)

    def rollback_view(self, request: HttpRequest) -> HttpResponse:
        """Confirms re-activating the version that was active before the current one."""
        if not self.has_activate_permission(request):
            raise PermissionDenied
        target = selectors.model_version_previous()
        if target is None:
            self.message_user(request, NOTHING_TO_ROLL_BACK, messages.WARNING)
            return HttpResponseRedirect(reverse("admin:survival_modelversion_changelist"))
        return self._confirm_change(request, version=target, rollback=True)

    def _confirm_change(
        self, request: HttpRequest, *, version: ModelVersion, rollback: bool
    ) -> HttpResponse:
        status = HTTPStatus.OK
        form = ActivationForm(request.POST or None)
        active = selectors.model_version_get_active()
        if request.method == "POST":
            if form.is_valid():
                reason = form.cleaned_data["reason"]
                override = form.cleaned_data["override_gate"]
                try:
                    if rollback:
                        changed = model_version_rollback(
                            by=request.user, reason=reason, override_gate=override
                        )
                    else:
                        changed = model_version_activate(
                            version=version, by=request.user, reason=reason, override_gate=override
                        )
                except PromotionRefusedError as exc:
                    # The page again, with the refusal and its numbers; nothing changed.
                    message = ACTIVATION_REFUSED.format(version=version.version, reason=exc)
                    self.message_user(request, message, messages.ERROR)
                    status = HTTPStatus.CONFLICT
                except (ModelUnavailableError, NothingToRollBackError) as exc:
                    message = ACTIVATION_REFUSED.format(version=version.version, reason=exc)
                    self.message_user(request, message, messages.ERROR)
                    return HttpResponseRedirect(reverse("admin:survival_modelversion_changelist"))
                else:
                    self.message_user(
                        request, _changed_message(changed, active, rollback), messages.SUCCESS
                    )
                    return HttpResponseRedirect(reverse("admin:survival_modelversion_changelist"))
                active = selectors.model_version_get_active()
            else:
                status = HTTPStatus.BAD_REQUEST
        failures = promotion_gate_check(candidate=version, active=active)
        can_override = request.user.has_perm(OVERRIDE_PERMISSION) and all(
            failure.overridable for failure in failures
        )
        verb = "Roll back to" if rollback else "Activate"
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"{verb} version {version.version}",
            "version": version,
            "active": active,
            "rollback": rollback,
            "comparison": _comparison(version, active),
            "failures": failures,
            "activatable": all(failure.overridable for failure in failures),
            "can_override": can_override and bool(failures),
            "form": form,
            "submit_label": f"{verb} version {version.version}",
        }
        return TemplateResponse(
            request,
            "admin/survival/modelversion/confirm_activation.html",
            context,
            status=status,
        )

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


def _change_kind(record: ModelActivation) -> str:
    if record.to_version is None:
        return "deactivation"
    kind = "rollback" if record.rollback else "activation"
    return f"{kind}, over the promotion gate" if record.gate_overridden else kind


def _changed_message(version: ModelVersion, previous: ModelVersion | None, rollback: bool) -> str:
    record = ModelActivation.objects.filter(to_version=version).first()
    if record is not None and record.gate_overridden:
        return ACTIVATED_OVER_GATE.format(version=version.version)
    if rollback and previous is not None:
        return ROLLED_BACK.format(previous=previous.version, version=version.version)
    return ACTIVATED.format(version=version.version)


def _comparison(version: ModelVersion, active: ModelVersion | None) -> list[dict[str, str]]:
    """The held-out numbers the gate judges, for the candidate and the active version."""
    rows = []
    for name, label in (("roc_auc", "held-out ROC AUC"), ("brier", "held-out Brier score")):
        rows.append(
            {
                "label": label,
                "candidate": _format(version.metric("holdout", name)),
                "active": _format(active.metric("holdout", name)) if active else "—",
            }
        )
    return rows


class RecordAdmin(admin.ModelAdmin):
    """A record of what happened: listed and readable, never added, changed or deleted
    through the admin."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ModelActivation)
class ModelActivationAdmin(RecordAdmin):
    """Every change of the active version, newest first; a record nobody can edit."""

    list_display = [
        "at",
        "from_version",
        "to_version",
        "by",
        "reason",
        "rollback",
        "gate_overridden",
    ]
    list_filter = ["to_version", "rollback", "gate_overridden"]
    list_select_related = ["from_version", "to_version", "by"]
    date_hierarchy = "at"
    readonly_fields = [field.name for field in ModelActivation._meta.fields]


@admin.register(GateRefusal)
class GateRefusalAdmin(RecordAdmin):
    """Every activation the promotion gate refused, with the failing numbers; read-only."""

    list_display = ["at", "candidate", "active", "by", "override_requested", "failure_list"]
    list_filter = ["override_requested", "candidate"]
    list_select_related = ["candidate", "active", "by"]
    date_hierarchy = "at"
    readonly_fields = [*(field.name for field in GateRefusal._meta.fields), "failure_list"]

    @admin.display(description="failures")
    def failure_list(self, refusal: GateRefusal) -> str:
        return "; ".join(failure.get("message", "") for failure in refusal.failures)


@admin.register(Prediction)
class PredictionAdmin(RecordAdmin):
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
