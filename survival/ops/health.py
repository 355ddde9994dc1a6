"""Liveness and readiness probes for load balancers and orchestrators."""

from __future__ import annotations

import hmac
import logging
from http import HTTPStatus

from django.conf import settings
from django.db import DatabaseError, connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from prometheus_client import CONTENT_TYPE_LATEST

from survival.ops import metrics as instruments
from survival.registry import selectors
from survival.registry.artifacts import MODEL_UNAVAILABLE, ModelUnavailableError, load_pipeline

logger = logging.getLogger(__name__)

DATABASE_UNREACHABLE = "The database cannot be reached."
METRICS_TOKEN_REQUIRED = "Send the metrics token as the header 'Authorization: Bearer <token>'."


@require_safe
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """The process is up and answering; nothing else is checked."""
    return JsonResponse({"status": "ok"})


@require_safe
@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    """Ready when the database answers and the active model loads and verifies."""
    try:
        connection.ensure_connection()
        version = selectors.model_version_get_active()
    except DatabaseError:
        logger.exception("readiness: database check failed")
        return _not_ready(DATABASE_UNREACHABLE)
    if version is None:
        return _not_ready(MODEL_UNAVAILABLE)
    try:
        load_pipeline(version)
    except ModelUnavailableError as exc:
        return _not_ready(str(exc), version=version.version)
    return JsonResponse({"status": "ready", "model_version": version.version})


def _not_ready(reason: str, *, version: int | None = None) -> JsonResponse:
    body: dict[str, object] = {"status": "unavailable", "reason": reason}
    if version is not None:
        # The active version that cannot answer (it is marked broken in the admin).
        body["model_version"] = version
    return JsonResponse(body, status=HTTPStatus.SERVICE_UNAVAILABLE)


@require_safe
@never_cache
def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus metrics; see settings.METRICS_ENABLED and METRICS_TOKEN for who may read
    them. Switched off, the address does not exist (404)."""
    if not settings.METRICS_ENABLED:
        raise Http404
    token = settings.METRICS_TOKEN
    if token:
        given = request.headers.get("Authorization", "")
        # Constant-time comparison: the answer's timing must not reveal the token.
        if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
            refused = HttpResponse(
                METRICS_TOKEN_REQUIRED,
                status=HTTPStatus.UNAUTHORIZED,
                content_type="text/plain; charset=utf-8",
            )
            refused["WWW-Authenticate"] = 'Bearer realm="metrics"'
            return refused
    return HttpResponse(instruments.metrics_exposition(), content_type=CONTENT_TYPE_LATEST)
