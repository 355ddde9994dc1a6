"""Liveness and readiness probes for load balancers and orchestrators."""

from __future__ import annotations

import hmac
import logging
import uuid
from http import HTTPStatus

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from prometheus_client import CONTENT_TYPE_LATEST

from survival.ops import metrics as instruments
from survival.ops.host_cache import CACHE_ERRORS
from survival.registry import selectors
from survival.registry.artifacts import MODEL_UNAVAILABLE, ModelUnavailableError, load_pipeline

logger = logging.getLogger(__name__)

OK = "ok"
DATABASE_UNREACHABLE = "The database cannot be reached."
CACHE_UNREACHABLE = "The cache cannot be reached: the API's rate limits cannot be counted."
MODEL_NOT_CHECKED = "Not checked: the active version is read from the database."
CACHE_PROBE_SECONDS = 10
METRICS_TOKEN_REQUIRED = "Send the metrics token as the header 'Authorization: Bearer <token>'."


@require_safe
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """The process is up and answering; nothing else is checked."""
    return JsonResponse({"status": "ok"})


@require_safe
@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    """Ready when the database answers, the cache answers and the active model loads and
    verifies. Each component is reported by name ("ok" or what is wrong); the first one
    down is named in `component` and `reason`, with 503. The cache only holds the API's
    throttle counts: with API_THROTTLE_FAIL_OPEN (the default) the host still answers
    everything without it, so a cache that is down leaves it "degraded" with 200, and a
    load balancer keeps sending it requests."""
    components: dict[str, str] = {}
    version_number: int | None = None
    try:
        connection.ensure_connection()
        version = selectors.model_version_get_active()
        components["database"] = OK
    except DatabaseError:
        logger.exception("readiness: database check failed")
        components["database"] = DATABASE_UNREACHABLE
        version = None
    components["cache"] = _cache_state()
    if components["database"] != OK:
        components["model"] = MODEL_NOT_CHECKED
    elif version is None:
        components["model"] = MODEL_UNAVAILABLE
    else:
        version_number = version.version
        try:
            load_pipeline(version)
            components["model"] = OK
        except ModelUnavailableError as exc:
            components["model"] = str(exc)
    required = ["database", "model"]
    if not settings.API_THROTTLE_FAIL_OPEN:
        required.insert(1, "cache")
    down = [name for name in required if components[name] != OK]
    body: dict[str, object] = {}
    if down:
        body = {"status": "unavailable", "component": down[0], "reason": components[down[0]]}
    else:
        body = {"status": "ready" if components["cache"] == OK else "degraded"}
    if version_number is not None:
        # The active version (when it cannot answer, it is marked broken in the admin).
        body["model_version"] = version_number
    body["components"] = components
    status = HTTPStatus.SERVICE_UNAVAILABLE if down else HTTPStatus.OK
    return JsonResponse(body, status=status)


def _cache_state() -> str:
    """ "ok" when Django's cache (Redis with REDIS_URL) takes a value and gives it back."""
    probe = f"readyz-{uuid.uuid4().hex}"
    try:
        cache.set(probe, 1, timeout=CACHE_PROBE_SECONDS)
        answered = cache.get(probe)
        cache.delete(probe)
    except CACHE_ERRORS as exc:
        logger.warning("readiness: the cache cannot be reached: %s", exc)
        return CACHE_UNREACHABLE
    return OK if answered == 1 else CACHE_UNREACHABLE


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
