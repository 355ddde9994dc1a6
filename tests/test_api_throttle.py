"""The API's rate limit per client: 429 with Retry-After, per address, the window, exact
counting, and what it does not limit. The tests' cache is a memory one per process; the
host's SQLite cache, which `make serve` counts in, is tested here too (Redis:
test_redis_faults, the counts on each cache: test_rate_window)."""

from __future__ import annotations

import os
import subprocess
import sys
from http import HTTPStatus
from pathlib import Path

import pytest
from django.core.cache import cache

from survival.api.errors import TOO_MANY_REQUESTS
from survival.api.guards import PredictThrottle
from survival.models import Prediction
from tests.test_api import passenger, post

pytestmark = pytest.mark.django_db


@pytest.fixture
def low_rate(settings):
    settings.API_PREDICT_RATE = "3/min"
    cache.clear()
    yield
    cache.clear()


class Clock:
    """The windows' clock, moved by hand."""

    def __init__(self) -> None:
        self.now = 1_000_000.0

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock(monkeypatch) -> Clock:
    frozen = Clock()
    monkeypatch.setattr(PredictThrottle, "timer", staticmethod(lambda: frozen.now))
    return frozen


def test_a_client_over_the_rate_gets_429_with_retry_after(client, active_version, low_rate):
    statuses = [post(client, passenger()).status_code for _ in range(4)]
    assert statuses == [HTTPStatus.OK] * 3 + [HTTPStatus.TOO_MANY_REQUESTS]
    refused = post(client, passenger())
    retry_after = int(refused["Retry-After"])
    assert 1 <= retry_after <= 60
    assert refused.json() == {"detail": TOO_MANY_REQUESTS.format(seconds=retry_after)}
    assert Prediction.objects.count() == 3


def test_the_limit_is_per_client(client, active_version, low_rate):
    for _ in range(3):
        post(client, passenger(), REMOTE_ADDR="10.0.0.1")
    assert post(client, passenger(), REMOTE_ADDR="10.0.0.1").status_code == 429
    assert post(client, passenger(), REMOTE_ADDR="10.0.0.2").status_code == HTTPStatus.OK
    # A forged X-Forwarded-For does not make a new client (no trusted proxies by default).
    forged = post(client, passenger(), REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="1.2.3.4")
    assert forged.status_code == HTTPStatus.TOO_MANY_REQUESTS


def test_a_client_may_send_again_when_its_window_closes(client, active_version, low_rate, clock):
    assert [post(client, passenger()).status_code for _ in range(3)] == [HTTPStatus.OK] * 3
    clock.advance(45)
    refused = post(client, passenger())
    assert refused.status_code == HTTPStatus.TOO_MANY_REQUESTS
    # The window opened with the first request: 15 of its 60 seconds are left.
    assert refused["Retry-After"] == "15"
    clock.advance(15)
    assert [post(client, passenger()).status_code for _ in range(4)] == [HTTPStatus.OK] * 3 + [
        HTTPStatus.TOO_MANY_REQUESTS
    ]
    assert Prediction.objects.count() == 6


def test_on_the_host_cache_the_call_past_the_rate_waits_for_the_window(
    client, active_version, low_rate, settings, tmp_path, clock
):
    backend = "survival.ops.host_cache.SQLiteCache"
    settings.CACHES = {"default": {"BACKEND": backend, "LOCATION": str(tmp_path)}}
    assert [post(client, passenger()).status_code for _ in range(3)] == [HTTPStatus.OK] * 3
    clock.advance(59.5)
    refused = post(client, passenger())
    assert refused.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert refused["Retry-After"] == "1"
    assert refused.json() == {"detail": TOO_MANY_REQUESTS.format(seconds=1)}
    clock.advance(0.5)
    assert post(client, passenger()).status_code == HTTPStatus.OK
    assert Prediction.objects.count() == 4


def test_a_window_holds_the_rate_but_two_windows_meet(client, active_version, low_rate, clock):
    # What the README says the limit allows: the count per window, and so at most twice
    # the count in one period that spans the end of a window and the start of the next.
    post(client, passenger())
    clock.advance(59)
    assert [post(client, passenger()).status_code for _ in range(3)] == [HTTPStatus.OK] * 2 + [
        HTTPStatus.TOO_MANY_REQUESTS
    ]
    clock.advance(1)
    assert [post(client, passenger()).status_code for _ in range(4)] == [HTTPStatus.OK] * 3 + [
        HTTPStatus.TOO_MANY_REQUESTS
    ]
    assert Prediction.objects.count() == 6


def test_a_high_rate_is_counted_exactly(client, active_version, settings):
    settings.API_PREDICT_RATE = "50/hour"
    cache.clear()
    statuses = [post(client, passenger()).status_code for _ in range(51)]
    cache.clear()
    assert statuses == [HTTPStatus.OK] * 50 + [HTTPStatus.TOO_MANY_REQUESTS]


def test_the_model_list_is_not_throttled(client, active_version, low_rate):
    for _ in range(5):
        assert client.get("/api/v1/models").status_code == HTTPStatus.OK


def test_the_count_is_shared_by_the_processes_of_a_host(
    client, active_version, low_rate, settings, tmp_path
):
    # The default cache of `make serve` (the tests run on a per-process one).
    backend = "survival.ops.host_cache.SQLiteCache"
    settings.CACHES = {"default": {"BACKEND": backend, "LOCATION": str(tmp_path)}}
    # Another process (as another gunicorn worker would) lets three requests from one
    # address through, with the same cache settings.
    other_worker = (
        "import django; django.setup()\n"
        "from django.test import RequestFactory\n"
        "from survival.api.guards import PredictThrottle\n"
        "request = RequestFactory().post('/api/v1/predict', REMOTE_ADDR='10.0.0.9')\n"
        "print([PredictThrottle().allow_request(request) for _ in range(4)])\n"
    )
    environment = {
        **os.environ,
        "API_PREDICT_RATE": "3/min",
        "DJANGO_CACHE_BACKEND": backend,
        "DJANGO_CACHE_LOCATION": str(tmp_path),
    }
    answered = subprocess.run(
        [sys.executable, "-c", other_worker],
        env=environment,
        cwd=Path(__file__).resolve().parent.parent,
        capture_output=True,
        text=True,
        check=True,
    )
    assert answered.stdout.strip() == "[True, True, True, False]"
    refused = post(client, passenger(), REMOTE_ADDR="10.0.0.9")
    assert refused.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert post(client, passenger(), REMOTE_ADDR="10.0.0.10").status_code == HTTPStatus.OK
