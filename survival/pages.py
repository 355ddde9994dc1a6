"""What a visitor or client gets when the server cannot answer.

A database that cannot be reached is not a bug in the request: it gets 503 with a clear
message (JSON under /api/, a page elsewhere), and the next request tries again, because
Django drops an unusable connection at the end of each request.
"""

from __future__ import annotations

import sys
from http import HTTPStatus

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader

DATABASE_UNAVAILABLE = (
    "The service is briefly unavailable: its database cannot be reached. "
    "Please try again in a moment."
)
SERVER_ERROR = "Something went wrong on our side. Please try again later."
# Seconds a client is asked to wait before trying again.
RETRY_AFTER_SECONDS = 5


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
