"""What the API's rate limits do when the cache that holds their counts (Redis with
REDIS_URL, else the host's SQLite file) cannot be reached: let the request through
(API_THROTTLE_FAIL_OPEN, the default: predictions matter more than the limit), or raise the
cache's error again, which the site's error handler answers with 503 (error_pages). Either
way a warning is logged and
titanic_throttle_cache_errors_total counts the request.

After a failure this process leaves the cache alone for CACHE_RETRY_SECONDS: a Redis that
is down (or a host that swallows packets) then costs one request in that period a timeout
(REDIS_TIMEOUT_SECONDS), not every request."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from django.conf import settings
from redis.exceptions import ConnectionError as CacheConnectionError

from survival.ops.host_cache import CACHE_ERRORS
from survival.ops.metrics import THROTTLE_CACHE_ERRORS

logger = logging.getLogger(__name__)

CACHE_RETRY_SECONDS = 5.0
CACHE_SKIPPED = "The cache failed within the last few seconds; not asked again yet."


class _Pause:
    # Monotonic time until which this process does not ask the cache (shared by every
    # throttle of the process, since they share the cache).
    until = 0.0


def cache_pause_end() -> None:
    """Ask the cache again from the next request on (tests; a cache known to be back)."""
    _Pause.until = 0.0


def allow_unless_cache_fails(check: Callable[[], bool]) -> bool:
    """`check()` (a throttle's own decision, which reads and writes the cache), or what
    API_THROTTLE_FAIL_OPEN says when the cache cannot be reached."""
    if time.monotonic() < _Pause.until:
        return _cache_unreachable(CacheConnectionError(CACHE_SKIPPED))
    try:
        return check()
    except CACHE_ERRORS as exc:
        _Pause.until = time.monotonic() + CACHE_RETRY_SECONDS
        logger.warning(
            "API throttle: the cache cannot be reached (%s); %s for the next %g s",
            exc,
            "requests go through unthrottled"
            if settings.API_THROTTLE_FAIL_OPEN
            else "requests are refused with 503",
            CACHE_RETRY_SECONDS,
        )
        return _cache_unreachable(exc)


def _cache_unreachable(error: Exception) -> bool:
    if settings.API_THROTTLE_FAIL_OPEN:
        THROTTLE_CACHE_ERRORS.labels("let_through").inc()
        return True
    THROTTLE_CACHE_ERRORS.labels("refused").inc()
    raise error
