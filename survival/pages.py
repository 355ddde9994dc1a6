"""What every page shares: the request type htmx views see, and how an error becomes part
of a page (the one place where the page and its htmx partials map the error hierarchy).

A database that cannot be reached is not a bug in the request: it gets 503 with a clear
message (JSON under /api/, a page elsewhere), and the next request tries again, because
Django drops an unusable connection at the end of each request.
"""

from __future__ import annotations

import sys
from http import HTTPStatus
from typing import Any

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from django_htmx.middleware import HtmxDetails

from ml_pipeline.errors import PredictorError, UnavailableError

DATABASE_UNAVAILABLE = (
    "The service is briefly unavailable: its database cannot be reached. "
    "Please try again in a moment."
)
SERVER_ERROR = "Something went wrong on our side. Please try again later."
# Seconds a client is asked to wait before trying again.
RETRY_AFTER_SECONDS = 5


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


def show_problem(context: dict[str, Any], error: PredictorError) -> int:
    """Puts an error on the page being answered and returns the page's status: what the
    service cannot do now is the "unavailable" notice (503), what the visitor sent wrong is
    the "problem" message beside the form (4xx). Pages and their htmx partials read both."""
    key = "unavailable" if isinstance(error, UnavailableError) else "problem"
    context[key] = error.message
    return error.status


def server_error(request: HttpRequest) -> HttpResponse:
    """Django's handler500: called while the exception that stopped the request is handled."""
    # Connection failures (refused, dropped, timed out) are OperationalError or
    # InterfaceError; anything else is a real error.
    unreachable = isinstance(sys.exc_info()[1], OperationalError | InterfaceError)
    if unreachable:
        status, message = HTTPStatus.SERVICE_UNAVAILABLE, DATABASE_UNAVAILABLE
    else:
        status, message = HTTPStatus.INTERNAL_SERVER_ERROR, SERVER_ERROR
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse({"detail": message}, status=status)
    else:
        # No request context: context processors might need the database that just failed.
        page = loader.render_to_string("error.html", {"status": status, "message": message})
        response = HttpResponse(page, status=status)
    if unreachable:
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
