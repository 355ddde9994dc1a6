"""The visitor's page. One template, two answers: the whole page, or for htmx only the parts
that change."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import reswap

from ml_pipeline.errors import PredictorError
from ml_pipeline.schema import FEATURE_NAMES, default_passenger
from survival.pages import HtmxHttpRequest, show_problem
from survival.predictions.forms import PassengerForm
from survival.predictions.presets import PRESETS
from survival.predictions.services import predict_survival
from survival.registry import selectors

PAGE = "survival/home.html"
HTMX_ANSWER = "survival/home.html#htmx-answer"


@require_safe
@never_cache
@vary_on_headers("HX-Request")
def home(request: HtmxHttpRequest) -> HttpResponse:
    # A query string with passenger fields (a preset link, a shared address) fills the form
    # and answers at once, without logging: reading a page is not a prediction. Otherwise
    # the form starts with a typical passenger.
    if any(name in request.GET for name in FEATURE_NAMES):
        return _answer(request, PassengerForm(request.GET), form_changed=True, log=False)
    context = {
        "form": PassengerForm(initial=default_passenger()),
        "active_version": selectors.model_version_get_active(),
        "presets": PRESETS,
    }
    return render(request, PAGE, context)


@require_http_methods(["GET", "HEAD", "POST"])
@never_cache
@vary_on_headers("HX-Request")
def predict(request: HtmxHttpRequest) -> HttpResponse:
    # A reload or a bookmark of the result page lands on the form again.
    if request.method in ("GET", "HEAD"):
        return redirect("survival:home")
    # The visitor is typing in this form: a live answer must not replace its inputs.
    return _answer(request, PassengerForm(request.POST), form_changed=False, log=True)


def _answer(
    request: HtmxHttpRequest, form: PassengerForm, *, form_changed: bool, log: bool
) -> HttpResponse:
    context: dict[str, Any] = {
        "form": form,
        "outcome": None,
        "unavailable": None,
        "presets": PRESETS,
        "form_changed": form_changed,
    }
    status = HTTPStatus.OK
    if not form.is_valid():
        status = HTTPStatus.UNPROCESSABLE_ENTITY
    else:
        try:
            context["outcome"] = predict_survival(passenger=form.cleaned_data, log=log)
        except PredictorError as exc:
            status = show_problem(context, exc)
    if context["outcome"] is not None:
        context["active_version"] = context["outcome"].model_version
    else:
        context["active_version"] = selectors.model_version_get_active()
    if not request.htmx:
        return render(request, PAGE, context, status=status)
    response = render(request, HTMX_ANSWER, context, status=status)
    if status == HTTPStatus.UNPROCESSABLE_ENTITY:
        # Keep the last good result on screen; the out-of-band parts of the answer mark it
        # out of date and put each error next to its field.
        response = reswap(response, "none")
    return response
