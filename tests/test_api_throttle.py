"""The API's rate limit per client: 429 with Retry-After, per address, the window, exact
counting, and what it does not limit."""

from __future__ import annotations

from http import HTTPStatus

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


def test_a_client_may_send_again_when_its_window_closes(
    client, active_version, low_rate, monkeypatch
):
    clock = [1_000_000.0]
    monkeypatch.setattr(PredictThrottle, "timer", staticmethod(lambda: clock[0]))
    assert [post(client, passenger()).status_code for _ in range(3)] == [HTTPStatus.OK] * 3
    clock[0] += 45
    refused = post(client, passenger())
    assert refused.status_code == HTTPStatus.TOO_MANY_REQUESTS
    # The window opened with the first request: 15 of its 60 seconds are left.
    assert refused["Retry-After"] == "15"
    clock[0] += 15
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
