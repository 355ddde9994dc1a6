"""What a request must pass before an API endpoint runs: the per-client rate limits and
the body's size and type."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from functools import wraps
from http import HTTPStatus
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from ninja.throttling import AnonRateThrottle
from redis.exceptions import ConnectionError as CacheConnectionError
from redis.exceptions import RedisError

from survival.ops.metrics import THROTTLE_CACHE_ERRORS

logger = logging.getLogger(__name__)

BODY_TOO_LARGE = "The request body is larger than {limit} bytes."
NOT_JSON = "The request body must be JSON (Content-Type: application/json)."
NOT_JSON_CONTENT_TYPE = "The request body must be sent with Content-Type: application/json."
CACHE_SKIPPED = "The cache failed within the last few seconds; not asked again yet."
# After the cache failed, this process does not ask it again for this long: a Redis that
# is down (or a host that swallows packets) then costs one request in this period a timeout,
# not every request.
CACHE_RETRY_SECONDS = 5.0
# Errors of the cache itself: Redis' own, and the file cache's (a full or unwritable disk).
CACHE_ERRORS = (RedisError, OSError)


class PredictThrottle(AnonRateThrottle):
    """django-ninja's per-client limit (client = address, see NINJA_NUM_PROXIES) at
    settings.API_PREDICT_RATE: a client may send that many requests in any window of the
    rate's period. The rate is read on each request, so it can change without rebuilding
    the API; the counts live in Django's default cache, so the limit holds across workers
    and hosts that share it."""

    scope = "predict"

    def __init__(self) -> None:
        super().__init__(settings.API_PREDICT_RATE)

    # Monotonic time until which this process leaves the cache alone (see CACHE_RETRY_SECONDS);
    # shared by every throttle of the process, since they share the cache.
    _cache_down_until = 0.0

    def allow_request(self, request: HttpRequest) -> bool:
        self.rate = settings.API_PREDICT_RATE
        self.num_requests, self.duration = self.parse_rate(self.rate)
        if time.monotonic() < PredictThrottle._cache_down_until:
            return self._cache_unreachable(CacheConnectionError(CACHE_SKIPPED))
        try:
            return super().allow_request(request)
        except CACHE_ERRORS as exc:
            PredictThrottle._cache_down_until = time.monotonic() + CACHE_RETRY_SECONDS
            logger.warning(
                "API throttle: the cache cannot be reached (%s); %s for the next %g s",
                exc,
                "requests go through unthrottled"
                if settings.API_THROTTLE_FAIL_OPEN
                else "requests are refused with 503",
                CACHE_RETRY_SECONDS,
            )
            return self._cache_unreachable(exc)

    def _cache_unreachable(self, error: Exception) -> bool:
        """What a request gets while the counts cannot be read: through (fail open, the
        default: predictions matter more than the limit), or `error` raised again (fail
        closed), which the site's error handler answers with 503 (error_pages)."""
        if settings.API_THROTTLE_FAIL_OPEN:
            THROTTLE_CACHE_ERRORS.labels("let_through").inc()
            return True
        THROTTLE_CACHE_ERRORS.labels("refused").inc()
        raise error


class FeedbackThrottle(PredictThrottle):
    """The predict limit, counted separately so reporting outcomes never uses up a client's
    predictions (or the other way round)."""

    scope = "feedback"


def limit_json_body(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Refuses bodies over settings.API_MAX_BODY_BYTES (413) and bodies that are not JSON
    (400) with a clear message, before anything else reads them."""

    @wraps(view)
    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        limit = settings.API_MAX_BODY_BYTES
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        if declared > limit or len(request.body) > limit:
            return JsonResponse(
                {"detail": BODY_TOO_LARGE.format(limit=limit)},
                status=HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
            )
        if request.body:
            # A plain HTML form on another site can post form-encoded, multipart or
            # text/plain bodies (even ones that parse as JSON) with a visitor's browser, but
            # not application/json: refusing the others keeps such pages out.
            content_type = request.content_type or ""
            if content_type != "application/json" and not content_type.endswith("+json"):
                return JsonResponse(
                    {"detail": NOT_JSON_CONTENT_TYPE}, status=HTTPStatus.UNSUPPORTED_MEDIA_TYPE
                )
            try:
                json.loads(request.body)
            except ValueError:
                return JsonResponse({"detail": NOT_JSON}, status=HTTPStatus.BAD_REQUEST)
        return view(request, *args, **kwargs)

    return guarded
