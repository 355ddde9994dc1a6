"""The admin's confirmation page for changing the answering version: activating one
version, or rolling back to the one before. It shows the candidate's numbers beside the
active version's and the promotion gate's verdict, asks for the reason to record and, for
those allowed, offers the override."""

from __future__ import annotations

from http import HTTPStatus
from typing import TYPE_CHECKING

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse

from ml_pipeline.errors import PredictorError
from survival.models import ModelActivation, ModelVersion
from survival.registry import selectors
from survival.registry.forms import ActivationForm
from survival.registry.gate import OVERRIDE_PERMISSION, PromotionRefusedError, promotion_gate_check
from survival.registry.services import model_version_activate, model_version_rollback

if TYPE_CHECKING:
    from django.contrib.admin import ModelAdmin

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
TEMPLATE = "admin/survival/modelversion/confirm_activation.html"


def metric_text(value: float | None) -> str:
    """A metric as the admin shows it: three decimals, or a dash when there is none."""
    return "—" if value is None else f"{value:.3f}"


def confirm_change(
    model_admin: ModelAdmin, request: HttpRequest, *, version: ModelVersion, rollback: bool
) -> HttpResponse:
    """The confirmation page (GET), or the change it confirms (POST): on success back to the
    list with a message; refused by the gate, the page again (409) with the refusal; any
    other refusal back to the list with the reason."""
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
            except PredictorError as exc:
                message = ACTIVATION_REFUSED.format(version=version.version, reason=exc.message)
                model_admin.message_user(request, message, messages.ERROR)
                if not isinstance(exc, PromotionRefusedError):
                    return _back_to_list()
                # The page again, with the refusal and its numbers; nothing changed.
                status = HTTPStatus.CONFLICT
            else:
                message = _changed_message(changed, active, rollback)
                model_admin.message_user(request, message, messages.SUCCESS)
                return _back_to_list()
            active = selectors.model_version_get_active()
        else:
            status = HTTPStatus.BAD_REQUEST
    failures = promotion_gate_check(candidate=version, active=active)
    activatable = all(failure.overridable for failure in failures)
    can_override = request.user.has_perm(OVERRIDE_PERMISSION) and activatable
    verb = "Roll back to" if rollback else "Activate"
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.opts,
        "title": f"{verb} version {version.version}",
        "version": version,
        "active": active,
        "rollback": rollback,
        "comparison": _comparison(version, active),
        "failures": failures,
        "activatable": activatable,
        "can_override": can_override and bool(failures),
        "form": form,
        "submit_label": f"{verb} version {version.version}",
    }
    return TemplateResponse(request, TEMPLATE, context, status=status)


def _back_to_list() -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse("admin:survival_modelversion_changelist"))


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
                "candidate": metric_text(version.metric("holdout", name)),
                "active": metric_text(active.metric("holdout", name)) if active else "—",
            }
        )
    return rows
