"""The visitor's page. One template, two answers: the whole page, or for htmx only the parts
that change.

Previews are not predictions: `GET /` with a passenger in its query (the live form as the
visitor types, a preset, a shared link, the first visit) scores and shows, and writes
nothing. Only submitting the form, `POST /predict/`, logs a prediction.
"""

from __future__ import annotations

import logging
import time
from functools import cache
from http import HTTPStatus
from typing import Any

from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import get_script_prefix, reverse
from django.utils.safestring import SafeString
from django.views.decorators.http import require_http_methods, require_safe
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import replace_url, reswap

from ml_pipeline.errors import PredictorError
from ml_pipeline.schema import FEATURE_NAMES, default_passenger
from survival.pages import HtmxHttpRequest, never_cached, show_problem
from survival.predictions import answers, card
from survival.predictions.forms import FARE, PassengerForm
from survival.predictions.presets import PRESETS, passenger_query
from survival.predictions.services import PredictionOutcome, predict_survival
from survival.predictions.version_page import VersionPage, version_page
from survival.registry import selectors
from survival.registry.artifacts import ModelUnavailableError

logger = logging.getLogger(__name__)

PAGE = "survival/home.html"
HTMX_ANSWER = "survival/home.html#htmx-answer"
# The element of the form whose changes ask for previews (its id, sent as HX-Trigger).
LIVE_FIELDS = "passenger-fields"

PAUSED_LOG = (
    "Predictions are paused: %s Train and activate a model with "
    "`python manage.py train --activate`, or activate a version in the admin "
    "(/admin/survival/modelversion/)."
)
# The reason is logged at most this often per process: every visitor's page would repeat it.
PAUSED_LOG_SECONDS = 60.0
_paused_logged_at = -PAUSED_LOG_SECONDS


@require_safe
@never_cached
@vary_on_headers("HX-Request")
def home(request: HtmxHttpRequest) -> HttpResponse:
    serving = _serving_versions()
    page = version_page(version=serving.answering) if serving else None
    fares = page.typical_fares if page else None
    if any(name in request.GET for name in FEATURE_NAMES):
        # Typing in the form keeps its inputs (the visitor is still typing); a preset or a
        # shared link fills the form anew.
        form_changed = request.htmx.trigger != LIVE_FIELDS
        form = PassengerForm(request.GET, typical_fares=fares)
        return _answer(
            request, form, serving=serving, page=page, form_changed=form_changed, log=False
        )
    # The first visit shows a typical passenger, already answered. The fare is left empty:
    # the class's typical fare is used, and follows the class when it changes.
    starting = {name: str(value) for name, value in default_passenger().items()}
    form = PassengerForm({**starting, FARE: ""}, typical_fares=fares)
    response = _answer(request, form, serving=serving, page=page, form_changed=True, log=False)
    if response.status_code == HTTPStatus.SERVICE_UNAVAILABLE:
        # Paused predictions are said on the page; the page itself is there.
        response.status_code = HTTPStatus.OK
    return response


@require_http_methods(["GET", "HEAD", "POST"])
@never_cached
@vary_on_headers("HX-Request")
def predict(request: HtmxHttpRequest) -> HttpResponse:
    # A reload or a bookmark of the result page lands on the form again.
    if request.method in ("GET", "HEAD"):
        return redirect("survival:home")
    serving = _serving_versions()
    page = version_page(version=serving.answering) if serving else None
    form = PassengerForm(request.POST, typical_fares=page.typical_fares if page else None)
    # The visitor is typing in this form: the answer must not replace its inputs.
    return _answer(request, form, serving=serving, page=page, form_changed=False, log=True)


def _serving_versions() -> selectors.ServingVersions | None:
    """The version that answers now and the challenger (read once for the whole request),
    or None; a missing or broken version is reported in the server log, where whoever runs
    the site reads how to mend it."""
    try:
        serving = selectors.model_versions_serving()
    except ModelUnavailableError as exc:
        _log_paused(exc.message)
        return None
    version = serving.answering
    if version.broken_reason:
        _log_paused(f"model version {version.version} is broken: {version.broken_reason}")
    return serving


def _log_paused(reason: str) -> None:
    global _paused_logged_at
    now = time.monotonic()
    if now - _paused_logged_at >= PAUSED_LOG_SECONDS:
        _paused_logged_at = now
        logger.warning(PAUSED_LOG, reason)


def _answer(
    request: HtmxHttpRequest,
    form: PassengerForm,
    *,
    serving: selectors.ServingVersions | None,
    page: VersionPage | None,
    form_changed: bool,
    log: bool,
) -> HttpResponse:
    context, status = answer_context(
        form, serving=serving, page=page, form_changed=form_changed, log=log
    )
    if not request.htmx:
        return render(request, PAGE, context, status=status)
    if context["outcome"] and not form_changed:
        # The answer to every keystroke: what the partial renders, built directly.
        response = HttpResponse(live_answer(context, form))
        return replace_url(response, context["share_url"])
    response = render(request, HTMX_ANSWER, context, status=status)
    if status == HTTPStatus.UNPROCESSABLE_ENTITY:
        # Keep the last good result on screen; the out-of-band parts of the answer mark it
        # out of date and put each error next to its field.
        response = reswap(response, "none")
    # The address bar follows the answer shown (a link that reproduces it), and only that.
    return replace_url(response, context.get("share_url", False))


def answer_context(
    form: PassengerForm,
    *,
    serving: selectors.ServingVersions | None,
    page: VersionPage | None,
    form_changed: bool,
    log: bool,
) -> tuple[dict[str, Any], HTTPStatus]:
    """The page's context for the passenger in `form` (scored, and logged if `log`, when
    valid) and the answer's status."""
    context: dict[str, Any] = {
        "form": form,
        "outcome": None,
        "unavailable": None,
        "presets": PRESETS,
        "form_changed": form_changed,
        "active_version": serving.answering if serving else None,
        "version_page": page,
        "facts": page.facts if page else None,
    }
    status = HTTPStatus.OK
    # The template reads the errors as a name of its own: `form.errors` would first be
    # looked up as a field named "errors", a failure that costs more than the rest.
    context["form_errors"] = form.errors
    if not form.is_valid():
        status = HTTPStatus.UNPROCESSABLE_ENTITY
    else:
        try:
            outcome = predict_survival(passenger=form.cleaned_data, log=log, serving=serving)
        except PredictorError as exc:
            status = show_problem(context, exc)
        else:
            context.update(_described(outcome, form))
    return context, status


def live_answer(context: dict[str, Any], form: PassengerForm) -> SafeString:
    """The htmx answer to a valid passenger being edited in the form (see `card.live_answer`)."""
    return card.live_answer(
        card=context["card"],
        summary=context["summary"],
        verdict=context["verdict"],
        fare_hint_id=f"{form[FARE].auto_id}_hint",
        fare_hint=form.fare_hint(),
    )


def _described(outcome: PredictionOutcome, form: PassengerForm) -> dict[str, Any]:
    """The outcome and what the page says around it (the answering version's own lines are
    in the context already: it is the version the request read as answering)."""
    passenger = form.cleaned_data
    version = outcome.model_version
    verdict = answers.verdict_for(probability=outcome.probability)
    share_url = f"{_home_address(get_script_prefix())}?{passenger_query(passenger)}"
    return {
        "outcome": outcome,
        "active_version": version,
        "verdict": verdict,
        "share_url": share_url,
        "card": card.result_card(
            outcome=outcome,
            verdict=verdict,
            page=version_page(version=version),
            likeness=answers.passengers_like_this_one(version=version, passenger=passenger),
            fare_used=passenger[FARE] if form.fare_filled else None,
            share_url=share_url,
        ),
        "summary": card.answer_summary(outcome=outcome, verdict=verdict),
    }


@cache
def _home_address(script_prefix: str) -> str:
    """The page's address under a script prefix (reversed once per prefix: every answer's
    share link starts with it)."""
    return reverse("survival:home")
