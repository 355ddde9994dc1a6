"""What every page shares: the request type htmx views see, and how an error of the
hierarchy becomes part of a page (the one place where the pages and their htmx partials map
it). Whole-page errors (404, 500, …) are survival.error_pages."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.templatetags.static import static
from django.utils.http import http_date
from django.views.decorators.http import require_safe
from django_htmx.middleware import HtmxDetails

from ml_pipeline.errors import PredictorError, UnavailableError


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


class TemplateFields:
    """Makes an object's attributes readable as keys, for objects a page draws many times
    (the live answer's verdict, explanation lines, facts).

    Django's templates look `{{ line.label }}` up as `line["label"]` first and as an
    attribute only when that fails; the failure is an exception, which costs more than the
    read itself. With this the first try succeeds.
    """

    __slots__ = ()

    def __getitem__(self, name: str) -> Any:
        if not isinstance(name, str):
            raise KeyError(name)
        try:
            return getattr(self, name)
        except AttributeError:
            raise KeyError(name) from None


# What django.utils.cache.add_never_cache_headers writes: no cache may keep the answer.
NEVER_CACHE_CONTROL = "max-age=0, no-cache, no-store, must-revalidate, private"


def never_cached(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Django's `never_cache` for the visitor's page, which answers every keystroke: the
    same two headers (Cache-Control above, Expires now), set directly. Django's parses and
    merges any Cache-Control the view set, which measured about 1.5% of a live answer;
    these views set neither header themselves."""

    @wraps(view)
    def answer(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        response.headers["Expires"] = http_date()
        response.headers["Cache-Control"] = NEVER_CACHE_CONTROL
        return response

    return answer


def show_problem(context: dict[str, Any], error: PredictorError) -> int:
    """Puts an error on the page being answered and returns the page's status: what the
    service cannot do now is the "unavailable" notice (503), what the visitor sent wrong is
    the "problem" message beside the form (4xx). Pages and their htmx partials read both."""
    key = "unavailable" if isinstance(error, UnavailableError) else "problem"
    context[key] = error.message
    return error.status


@require_safe
def favicon(request: HttpRequest) -> HttpResponse:
    """/favicon.ico, which browsers ask for on pages that link no icon (the API docs)."""
    return redirect(static("favicon.svg"), permanent=True)
