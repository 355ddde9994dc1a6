"""The admin's confirmation page for deactivating the active version: it says what stops
(every prediction, until a version is activated), names the challenger, asks for the reason
to record and offers to activate another version instead."""

from __future__ import annotations

from http import HTTPStatus
from typing import TYPE_CHECKING

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse

from survival.models import ModelVersion
from survival.registry import selectors
from survival.registry.admin_confirm import metric_text
from survival.registry.artifacts import MODEL_UNAVAILABLE
from survival.registry.forms import ReasonForm
from survival.registry.services import model_version_deactivate

if TYPE_CHECKING:
    from django.contrib.admin import ModelAdmin

DEACTIVATED = (
    "Version {version} is deactivated: no version is active, so predictions are paused until "
    "one is activated."
)
NOT_ACTIVE = "Version {version} is not active; there is nothing to deactivate."
TEMPLATE = "admin/survival/modelversion/confirm_deactivation.html"


def confirm_deactivation(
    model_admin: ModelAdmin, request: HttpRequest, *, version: ModelVersion
) -> HttpResponse:
    """The confirmation page (GET), or the deactivation it confirms (POST, with a reason):
    then back to the list with a message. Without a reason, the page again (400) saying so,
    and nothing changes. A version that is not active goes back to its page with a notice."""
    change_page = reverse("admin:survival_modelversion_change", args=[version.pk])
    if not version.is_active:
        model_admin.message_user(
            request, NOT_ACTIVE.format(version=version.version), messages.WARNING
        )
        return HttpResponseRedirect(change_page)
    form = ReasonForm(request.POST or None)
    status = HTTPStatus.OK
    if request.method == "POST":
        if form.is_valid():
            model_version_deactivate(
                version=version, by=request.user, reason=form.cleaned_data["reason"]
            )
            message = DEACTIVATED.format(version=version.version)
            model_admin.message_user(request, message, messages.WARNING)
            return HttpResponseRedirect(reverse("admin:survival_modelversion_changelist"))
        status = HTTPStatus.BAD_REQUEST
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.opts,
        "title": f"Deactivate version {version.version}",
        "version": version,
        "challenger": selectors.model_version_get_challenger(),
        "alternatives": _alternatives(version),
        "unavailable_message": MODEL_UNAVAILABLE,
        "form": form,
        "cancel_url": change_page,
        "submit_label": f"Deactivate version {version.version}",
    }
    return TemplateResponse(request, TEMPLATE, context, status=status)


def _alternatives(active: ModelVersion) -> list[dict[str, object]]:
    """Every other version that is not broken, newest first, with the held-out numbers the
    promotion gate will judge (its verdict is on the activation page the link opens)."""
    others = selectors.model_version_list().exclude(pk=active.pk).filter(broken_reason="")
    return [
        {
            "version": other,
            "url": reverse("admin:survival_modelversion_activate", args=[other.pk]),
            "roc_auc": metric_text(other.metric("holdout", "roc_auc")),
            "brier": metric_text(other.metric("holdout", "brier")),
        }
        for other in others
    ]
