"""The API's rate limits: a count per client (or key) and window in Django's default cache.

A client may send the rate's count of requests in a window that opens with its first
request and lasts the rate's period; past the count it is refused (429) until the window
closes, and `Retry-After` says in how many seconds that is. Its next request then opens a
new window. So no window ever holds more than the count, and any stretch of one period
holds at most twice the count (the end of one window and the start of the next).

Each request costs one atomic step on the cache whatever the rate: the count and the
window's end are all that is kept (django-ninja's own throttle kept every request time of
the window and wrote the whole list back on each request, so its cost grew with the rate).
The step is one UPSERT … RETURNING on the host's SQLite cache (ops.host_cache) and one
MULTI/EXEC transaction on Redis (REDIS_URL), so two workers or hosts counting the same
client at once each see their own request. Any other cache backend is counted with a get
and a set, which is exact within a process but may lose a count to another process.
"""

from __future__ import annotations

import functools
import threading
import time
from typing import Any

from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.http import HttpRequest
from ninja.throttling import BaseThrottle, SimpleRateThrottle

from survival.api.cache_faults import allow_unless_cache_fails

# Any other backend's get-then-set is made atomic between the threads of a process.
_OTHER_BACKEND_LOCK = threading.Lock()


def count_in_window(key: str, seconds: int, now: float) -> tuple[int, float]:
    """Adds this request to the key's count in the default cache; returns the count with
    this request included and the seconds its window has left."""
    cache = caches["default"]
    counted = getattr(cache, "count_in_window", None)
    if counted is not None:
        return counted(key, seconds, now)
    if isinstance(cache, RedisCache):
        return _redis_count(cache, key, seconds)
    return _other_count(cache, key, seconds, now)


def _redis_count(cache: RedisCache, key: str, seconds: int) -> tuple[int, float]:
    # Django's RedisCache has no atomic "add with expiry, then increment" of its own (its
    # incr asks whether the key exists first), so the count is kept with the client it
    # uses. SET NX EX opens a window only where none is open; the transaction means no
    # other client's command runs between it, the increment and the time left.
    key = cache.make_and_validate_key(key)
    client = cache._cache.get_client(key, write=True)
    with client.pipeline(transaction=True) as transaction:
        transaction.set(key, 0, ex=seconds, nx=True)
        transaction.incr(key)
        transaction.pttl(key)
        _, count, left_ms = transaction.execute()
    return count, (left_ms / 1000 if left_ms > 0 else float(seconds))


def _other_count(cache: Any, key: str, seconds: int, now: float) -> tuple[int, float]:
    with _OTHER_BACKEND_LOCK:
        closes, count = cache.get(key) or (now, 0)
        if closes <= now:
            closes, count = now + seconds, 0
        count += 1
        cache.set(key, (closes, count), closes - now)
    return count, closes - now


class WindowThrottle(BaseThrottle):
    """A rate limit for django-ninja's `throttle=`: counts the request under
    `cache_key(request)` (None: not limited) at `rate(request)` ("<count>/<period>", as
    ninja's rates are written), in windows as the module's docstring says."""

    scope = ""
    cache_format = "throttle_%(scope)s_%(ident)s_window"
    # The clock the windows are measured with (tests set it).
    timer = time.time

    def __init__(self) -> None:
        # ninja keeps one throttle object per endpoint, shared by a worker's threads: what
        # a refusal's wait() reports is kept per thread.
        self._refused = threading.local()

    def rate(self, request: HttpRequest) -> str:
        raise NotImplementedError

    def cache_key(self, request: HttpRequest) -> str | None:
        raise NotImplementedError

    def allow_request(self, request: HttpRequest) -> bool:
        key = self.cache_key(request)
        if key is None:
            return True
        self._refused.wait = None
        limit, seconds = parse_rate(self.rate(request))

        def check() -> bool:
            count, left = count_in_window(key, seconds, self.timer())
            if count <= limit:
                return True
            self._refused.wait = left
            return False

        # Redis down: through or 503, as API_THROTTLE_FAIL_OPEN says (cache_faults).
        return allow_unless_cache_fails(check)

    def wait(self) -> float | None:
        """Seconds until the refused request's window closes."""
        return getattr(self._refused, "wait", None)


class _RateParser(SimpleRateThrottle):
    # Only for ninja's parse_rate: the rates keep ninja's notation.
    def __init__(self) -> None:
        self.rate = None


_RATES = _RateParser()


@functools.lru_cache(maxsize=256)
def parse_rate(rate: str) -> tuple[int, int]:
    """The count and seconds of a rate written as ninja writes it ("600/min": 600, 60);
    each distinct rate is read once."""
    return _RATES.parse_rate(rate)  # type: ignore[return-value]
