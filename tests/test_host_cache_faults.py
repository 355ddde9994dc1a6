"""The host's own cache (one SQLite file, survival/ops/host_cache.py, without REDIS_URL)
failing: the API's rate limit does what API_THROTTLE_FAIL_OPEN says, as for Redis, and
/readyz names the cache; never a 500. "Failing" is a cache file that cannot be opened (a
folder where the file should be)."""

from __future__ import annotations

from http import HTTPStatus

import pytest

from survival.api.cache_faults import cache_pause_end
from survival.models import Prediction
from survival.ops.health import CACHE_UNREACHABLE
from survival.ops.host_cache import FILE_NAME
from tests.test_api import passenger, post
from tests.test_redis_faults import assert_refused_while_the_cache_is_down

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def broken_host_cache(settings, tmp_path):
    (tmp_path / FILE_NAME).mkdir()
    settings.CACHES = {
        "default": {"BACKEND": "survival.ops.host_cache.SQLiteCache", "LOCATION": str(tmp_path)}
    }
    settings.API_PREDICT_RATE = "3/min"
    cache_pause_end()
    yield
    cache_pause_end()


def test_predictions_go_through_when_the_host_cache_fails_open(client, active_version, caplog):
    answers = [post(client, passenger()) for _ in range(5)]
    assert [answer.status_code for answer in answers] == [HTTPStatus.OK] * 5
    assert Prediction.objects.count() == 5
    assert "the cache cannot be reached" in caplog.text


def test_predictions_are_refused_with_503_when_the_host_cache_fails_closed(
    client, active_version, settings
):
    assert_refused_while_the_cache_is_down(client, settings)


def test_readiness_is_degraded_naming_the_host_cache_while_the_limit_fails_open(
    client, active_version
):
    answer = client.get("/readyz")
    assert answer.status_code == HTTPStatus.OK
    assert answer.json()["status"] == "degraded"
    assert answer.json()["components"]["cache"] == CACHE_UNREACHABLE


def test_readiness_is_503_naming_the_host_cache_when_the_limit_fails_closed(
    client, active_version, settings
):
    settings.API_THROTTLE_FAIL_OPEN = False
    answer = client.get("/readyz")
    assert answer.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert answer.json()["component"] == "cache"
    assert answer.json()["reason"] == CACHE_UNREACHABLE
