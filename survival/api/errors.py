"""How the API answers errors: the one place where the error hierarchy, request validation,
throttling and an unreachable database become JSON bodies with their status.

Every refusal is `{"detail": "..."}` (validation adds per-field `errors`); nothing is logged
for a refused request.
"""

from __future__ import annotations

import math
from http import HTTPStatus
from typing import Any

from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import HttpError, Throttled, ValidationError

from ml_pipeline.errors import PredictorError, UnauthorizedError
from survival.error_pages import DATABASE_UNAVAILABLE, RETRY_AFTER_SECONDS

INVALID_REQUEST = "The request does not match the API's schema; see errors."
TOO_MANY_REQUESTS = "Too many prediction requests; retry after {seconds} seconds."
# RFC 6750's challenge; a key that was sent and refused adds error="invalid_token".
BEARER_CHALLENGE = 'Bearer realm="api"'


def install_error_handlers(api: NinjaAPI) -> None:
    """Registers the API's answer to each kind of error on `api`."""

    def predictor_error(request: HttpRequest, exc: PredictorError) -> HttpResponse:
        # What the caller did wrong (4xx) or what the service cannot do now (503).
        return api.create_response(request, {"detail": exc.message}, status=exc.status)

    def unauthorized(request: HttpRequest, exc: UnauthorizedError) -> HttpResponse:
        response = predictor_error(request, exc)
        challenge = BEARER_CHALLENGE
        if exc.rule == "invalid_token":
            challenge += ', error="invalid_token"'
        response["WWW-Authenticate"] = challenge
        return response

    def validation_failed(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        errors = []
        for error in exc.errors:
            field = field_path(tuple(error.get("loc", ())))
            errors.append(
                {"field": field, "rule": error["type"], "message": f"{field}: {error['msg']}."}
            )
        body = {"detail": INVALID_REQUEST, "errors": errors}
        return api.create_response(request, body, status=HTTPStatus.UNPROCESSABLE_ENTITY)

    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        message = str(exc)
        if isinstance(exc, Throttled):
            message = TOO_MANY_REQUESTS.format(seconds=math.ceil(exc.wait or 1))
        return api.create_response(request, {"detail": message}, status=exc.status_code)

    def database_unavailable(request: HttpRequest, exc: DatabaseError) -> HttpResponse:
        response = api.create_response(
            request, {"detail": DATABASE_UNAVAILABLE}, status=HTTPStatus.SERVICE_UNAVAILABLE
        )
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response

    api.add_exception_handler(PredictorError, predictor_error)
    api.add_exception_handler(UnauthorizedError, unauthorized)
    api.add_exception_handler(ValidationError, validation_failed)
    api.add_exception_handler(HttpError, http_error)
    # Connection failures (refused, dropped, timed out); any other database error is a bug.
    api.add_exception_handler(OperationalError, database_unavailable)
    api.add_exception_handler(InterfaceError, database_unavailable)


def field_path(location: tuple[Any, ...]) -> str:
    """("body", "payload", "batch", "passengers", 2, "age") → "passengers[2].age";
    ("path", "version") → "version"."""
    parts = list(location)
    # Drop where ninja found the value and which request shape was judged.
    while parts and parts[0] in {"body", "payload", "path", "query", "single", "batch"}:
        parts.pop(0)
    path = ""
    for part in parts:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "body"
