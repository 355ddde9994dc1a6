"""The visitor's page. One template, two answers: the whole page, or for htmx only the parts
that change."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods
from django.views.decorators.vary import vary_on_headers
from django_htmx.middleware import HtmxDetails

from ml_pipeline.schema import default_passenger
from survival import selectors
from survival.forms import PassengerForm
from survival.inference import ModelUnavailableError
from survival.services import predict_survival

PAGE = "survival/home.html"
HTMX_ANSWER = "survival/home.html#htmx-answer"


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


@require_GET
def home(request: HtmxHttpRequest) -> HttpResponse:
    context: dict[str, Any] = {
        "form": PassengerForm(initial=default_passenger()),
        "active_version": selectors.model_version_get_active(),
    }
    return render(request, PAGE, context)


@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
def predict(request: HtmxHttpRequest) -> HttpResponse:
    # A reload or a bookmark of the result page lands on the form again.
    if request.method == "GET":
        return redirect("survival:home")
    form = PassengerForm(request.POST)
    context: dict[str, Any] = {"form": form, "outcome": None, "unavailable": None}
    status = HTTPStatus.OK
    if not form.is_valid():
        status = HTTPStatus.UNPROCESSABLE_ENTITY
    else:
        try:
            context["outcome"] = predict_survival(passenger=form.cleaned_data)
        except ModelUnavailableError as exc:
            context["unavailable"] = str(exc)
            status = HTTPStatus.SERVICE_UNAVAILABLE
    if context["outcome"] is not None:
        context["active_version"] = context["outcome"].model_version
    else:
        context["active_version"] = selectors.model_version_get_active()
    template = HTMX_ANSWER if request.htmx else PAGE
    return render(request, template, context, status=status)
