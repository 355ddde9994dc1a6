"""Liveness and readiness probes for load balancers and orchestrators."""

from __future__ import annotations

import logging
from http import HTTPStatus

from django.db import DatabaseError, connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from survival import selectors
from survival.inference import MODEL_UNAVAILABLE, ModelUnavailableError, load_pipeline

logger = logging.getLogger(__name__)

DATABASE_UNREACHABLE = "The database cannot be reached."


@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """The process is up and answering; nothing else is checked."""
    return JsonResponse({"status": "ok"})


@require_GET
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
