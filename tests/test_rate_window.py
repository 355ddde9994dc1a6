"""The rate limits' counts (survival.api.rate_window) on each cache the service counts in: the
host's SQLite file, Redis, and any other Django cache. A window opens with the first request,
a count never loses a request that ran at the same time as another, and a window's end is
kept with its count."""

from __future__ import annotations

import sqlite3
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis
from django.core.cache import cache

from survival.api.rate_window import count_in_window
from survival.ops.host_cache import FILE_NAME
from tests.test_redis_faults import redis_cache

CACHES = ["sqlite", "redis", "memory"]


@pytest.fixture(params=CACHES)
def counting_cache(request, settings, tmp_path) -> str:
    if request.param == "sqlite":
        backend = "survival.ops.host_cache.SQLiteCache"
        settings.CACHES = {"default": {"BACKEND": backend, "LOCATION": str(tmp_path)}}
    elif request.param == "redis":
        url = request.getfixturevalue("redis_url")
        settings.CACHES = redis_cache(url)
        redis.Redis.from_url(url).flushdb()
    else:
        backend = "django.core.cache.backends.locmem.LocMemCache"
        settings.CACHES = {"default": {"BACKEND": backend, "LOCATION": str(tmp_path)}}
    cache.clear()
    return request.param


def test_a_window_counts_from_its_first_request_and_tells_its_time_left(counting_cache):
    counts = [count_in_window("client", 60, 1_000_000.0 + second)[0] for second in range(3)]
    assert counts == [1, 2, 3]
    count, left = count_in_window("client", 60, 1_000_045.0)
    assert count == 4
    if counting_cache == "redis":
        # Redis measures the window with its own clock, from the first request.
        assert 0 < left <= 60
    else:
        assert left == 15
    assert count_in_window("another-client", 60, 1_000_045.0)[0] == 1


@pytest.mark.parametrize("counting_cache", ["sqlite", "memory"], indirect=True)
def test_the_next_request_after_a_window_closes_opens_a_new_one(counting_cache):
    for _ in range(5):
        count_in_window("client", 60, 1_000_000.0)
    assert count_in_window("client", 60, 1_000_059.9)[0] == 6
    # The window ends 60 s after its first request, however many came after it.
    assert count_in_window("client", 60, 1_000_060.0) == (1, 60)
    assert count_in_window("client", 60, 1_000_061.0) == (2, 59)


def test_requests_counted_at_the_same_time_are_each_counted_once(counting_cache):
    # Four threads (each with its own connection, as gunicorn's workers have) add to one
    # count at once: every request sees a count of its own, none is lost.
    def hundred(_: int) -> list[int]:
        return [count_in_window("client", 60, 1_000_000.0)[0] for _ in range(100)]

    with ThreadPoolExecutor(max_workers=4) as pool:
        seen = [count for counts in pool.map(hundred, range(4)) for count in counts]
    assert sorted(seen) == list(range(1, 401))


@pytest.mark.parametrize("counting_cache", ["redis"], indirect=True)
def test_redis_keeps_the_window_as_the_counts_expiry(counting_cache, redis_url):
    count_in_window("client", 60, 0.0)
    count_in_window("client", 60, 0.0)
    server = redis.Redis.from_url(redis_url)
    (key,) = server.keys("*client")
    assert int(server.get(key)) == 2
    # A count that never expired would refuse its client for good.
    assert 0 < server.pttl(key) <= 60_000


def test_the_host_cache_lets_other_processes_write_right_after_a_count(settings, tmp_path):
    backend = "survival.ops.host_cache.SQLiteCache"
    settings.CACHES = {"default": {"BACKEND": backend, "LOCATION": str(tmp_path)}}
    count_in_window("client", 60, 1_000_000.0)
    # No wait allowed: a count that left its write transaction open would lock this out.
    other = sqlite3.connect(tmp_path / FILE_NAME, timeout=0, isolation_level=None)
    other.execute("INSERT INTO cache (key, value, expires) VALUES (?, 1, NULL)", (":1:other",))
    other.close()
    assert cache.get("other") == 1


def test_the_host_cache_keeps_what_it_is_given(settings, tmp_path):
    backend = "survival.ops.host_cache.SQLiteCache"
    settings.CACHES = {"default": {"BACKEND": backend, "LOCATION": str(tmp_path)}}
    values = {"int": 7, "true": True, "big": 2**70, "list": [1.5, "a"], "none": None}
    for name, value in values.items():
        cache.set(name, value)
    assert {name: cache.get(name, "missing") for name in values} == values
    assert type(cache.get("true")) is bool
    assert cache.incr("int") == 8
