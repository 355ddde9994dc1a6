"""How an HTTP error reaches a person: a page in the site's own look with a way back, or
under /api/ the API's JSON body `{"detail": ...}`, with the status and its headers kept.

Django's error handlers (400, 403, 404, 500, a refused CSRF check, a locked-out login) end
here, and so do the bare error answers Django and its libraries make without a body (405
with its Allow header). A database that cannot be reached is not a bug in the request: it
gets 503 with a clear message, and the next request tries again, because Django drops an
unusable connection at the end of each request.
"""

from __future__ import annotations

import logging
import sqlite3
import sys
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig, SuspiciousOperation
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.template import loader
from django.utils.cache import add_never_cache_headers
from redis.exceptions import RedisError

logger = logging.getLogger("django.request")

API_PREFIX = "/api/"
DATABASE_UNAVAILABLE = (
    "The service is briefly unavailable: its database cannot be reached. "
    "Please try again in a moment."
)
CACHE_UNAVAILABLE = (
    "The service is briefly unavailable: its cache cannot be reached. Please try again in a moment."
)
SERVER_ERROR = "Something went wrong on our side. Please try again later."
BAD_REQUEST = "The request could not be understood. Please check the address and try again."
TOO_LARGE = "The request is larger than this site accepts."
FORBIDDEN = "You do not have permission to see this page."
CSRF_FAILED = (
    "The form could not be sent: it had expired, or it came from another site. Reload the "
    "page and send it again."
)
NOT_FOUND = "There is no page at this address."
API_NOT_FOUND = "There is no API endpoint at {path}; see /api/v1/docs."
METHOD_NOT_ALLOWED = "This address does not accept {method} requests; it accepts {allowed}."
LOCKED_OUT = (
    "Too many failed sign-ins for this user from this address. Please wait "
    "{minutes:g} minutes before trying again."
)
# Seconds a client is asked to wait before trying again.
RETRY_AFTER_SECONDS = 5

TITLES = {
    HTTPStatus.BAD_REQUEST: "Bad request",
    HTTPStatus.FORBIDDEN: "Not allowed",
    HTTPStatus.NOT_FOUND: "Page not found",
    HTTPStatus.METHOD_NOT_ALLOWED: "Method not allowed",
    HTTPStatus.REQUEST_ENTITY_TOO_LARGE: "Too large",
    HTTPStatus.TOO_MANY_REQUESTS: "Too many attempts",
    HTTPStatus.INTERNAL_SERVER_ERROR: "Something went wrong",
    HTTPStatus.SERVICE_UNAVAILABLE: "Briefly unavailable",
}
# Headers of the original answer that the page or JSON body replacing it must keep.
KEPT_HEADERS = ("Allow", "Retry-After", "WWW-Authenticate", "Vary")


def error_response(request: HttpRequest, *, status: int, message: str) -> HttpResponse:
    """The site's answer for an error: JSON under /api/, the error page elsewhere. Never
    cached: the next request may well succeed."""
    if request.path.startswith(API_PREFIX):
        response: HttpResponse = JsonResponse({"detail": message}, status=status)
    else:
        # Rendered without the request's context: its context processors might need the
        # very database or session that just failed.
        context = {"status": int(status), "title": TITLES.get(status, "Error"), "message": message}
        response = HttpResponse(loader.render_to_string("error.html", context), status=status)
    add_never_cache_headers(response)
    return response


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Django's handler400 (a malformed or suspicious request; a body over the size limit)."""
    if isinstance(exception, RequestDataTooBig):
        return error_response(
            request, status=HTTPStatus.REQUEST_ENTITY_TOO_LARGE, message=TOO_LARGE
        )
    return error_response(request, status=HTTPStatus.BAD_REQUEST, message=BAD_REQUEST)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    return error_response(request, status=HTTPStatus.FORBIDDEN, message=FORBIDDEN)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """settings.CSRF_FAILURE_VIEW: a form posted without its valid token."""
    return error_response(request, status=HTTPStatus.FORBIDDEN, message=CSRF_FAILED)


def page_not_found(request: HttpRequest, exception: Exception | None) -> HttpResponse:
    if request.path.startswith(API_PREFIX):
        message = API_NOT_FOUND.format(path=request.path)
    else:
        message = NOT_FOUND
    return error_response(request, status=HTTPStatus.NOT_FOUND, message=message)


def server_error(request: HttpRequest) -> HttpResponse:
    """Django's handler500: called while the exception that stopped the request is handled."""
    # Connection failures (refused, dropped, timed out) are OperationalError or
    # InterfaceError, or the cache's errors: Redis' own, or sqlite3's from the host's cache
    # file (Django wraps its database's in its own). Those reach here only when the API's
    # throttle fails closed, API_THROTTLE_FAIL_OPEN=0; anything else is a real error.
    error = sys.exc_info()[1]
    of_cache = isinstance(error, RedisError | sqlite3.Error)
    unreachable = of_cache or isinstance(error, OperationalError | InterfaceError)
    if of_cache:
        status, message = HTTPStatus.SERVICE_UNAVAILABLE, CACHE_UNAVAILABLE
    elif unreachable:
        status, message = HTTPStatus.SERVICE_UNAVAILABLE, DATABASE_UNAVAILABLE
    else:
        status, message = HTTPStatus.INTERNAL_SERVER_ERROR, SERVER_ERROR
    response = error_response(request, status=status, message=message)
    if unreachable:
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def login_locked_out(request: HttpRequest, credentials: Any = None, **kwargs: Any) -> HttpResponse:
    """settings.AXES_LOCKOUT_CALLABLE: the admin's sign-in after too many wrong passwords."""
    minutes = float(settings.AXES_COOLOFF_TIME) * 60
    message = LOCKED_OUT.format(minutes=round(minutes, 1))
    return error_response(request, status=HTTPStatus.TOO_MANY_REQUESTS, message=message)


def options_answer(allowed: str) -> HttpResponse:
    """200 with an Allow header naming the methods an address accepts, OPTIONS included."""
    methods = [method.strip() for method in allowed.split(",") if method.strip()]
    answer = HttpResponse(status=HTTPStatus.OK)
    answer["Allow"] = ", ".join([*methods, "OPTIONS"])
    answer["Content-Length"] = "0"
    return answer


class ErrorPageMiddleware:
    """Gives the bare error answers (405 from a view's method check, in the API too, and any
    error answer without a body) the site's page or JSON body, keeping status and headers.

    With DEBUG on (`make run`), Django answers a missing page or a crash with its debug page
    instead of calling the handlers above; people using the app still get the site's page
    (the traceback is in the console, where Django logs every crash)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code < 400:
            return response
        if request.method == "OPTIONS" and response.status_code == HTTPStatus.METHOD_NOT_ALLOWED:
            # OPTIONS asks which methods an address accepts: the answer to that question is
            # the Allow header of the method check, and it is not an error.
            return options_answer(response.get("Allow", ""))
        # Django's method checks answer 405 with no body, django-ninja's with plain text.
        bare = not response.streaming and not response.content
        # With DEBUG on, an address no URL pattern matches gets Django's debug page.
        unmatched = settings.DEBUG and request.resolver_match is None
        if not (bare or unmatched or isinstance(response, HttpResponseNotAllowed)):
            return response
        if response.status_code == HTTPStatus.NOT_FOUND:
            replaced = page_not_found(request, None)
        elif response.status_code == HTTPStatus.METHOD_NOT_ALLOWED:
            allowed = response.get("Allow", "")
            message = METHOD_NOT_ALLOWED.format(method=request.method, allowed=allowed)
            replaced = error_response(request, status=response.status_code, message=message)
        else:
            message = TITLES.get(response.status_code, "Error") + "."
            replaced = error_response(request, status=response.status_code, message=message)
        for header in KEPT_HEADERS:
            if header in response:
                replaced[header] = response[header]
        return replaced

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        """With DEBUG off Django's handlers answer; with it on, this does what they would."""
        if not settings.DEBUG:
            return None
        if isinstance(exception, Http404):
            return page_not_found(request, exception)
        if isinstance(exception, PermissionDenied):
            return permission_denied(request, exception)
        if isinstance(exception, SuspiciousOperation):
            return bad_request(request, exception)
        logger.error("Internal Server Error: %s", request.path, exc_info=exception)
        return server_error(request)
