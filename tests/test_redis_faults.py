"""REDIS_URL: the API's throttle counts in a Redis every host shares, and what happens when
that Redis is down. A real redis-server answers; "down" is a port nothing listens on."""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
from http import HTTPStatus
from pathlib import Path

import pytest
import redis
from django.core.cache import cache
from prometheus_client import REGISTRY

from survival.api.cache_faults import cache_pause_end
from survival.api.errors import TOO_MANY_REQUESTS
from survival.error_pages import CACHE_UNAVAILABLE
from survival.models import Prediction
from survival.ops.health import CACHE_UNREACHABLE, OK
from tests.test_api import passenger, post

pytestmark = pytest.mark.django_db
PROJECT_DIR = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def redis_cache(url: str) -> dict:
    """The CACHES setting that REDIS_URL=url gives (site_config/settings.py)."""
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    return {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            "OPTIONS": {
                "socket_connect_timeout": 0.5,
                "socket_timeout": 0.5,
                "retry": Retry(NoBackoff(), 0),
            },
        }
    }


@pytest.fixture(autouse=True)
def throttle_asks_the_cache():
    """A failure in an earlier test must not keep this process off the cache."""
    cache_pause_end()
    yield
    cache_pause_end()


@pytest.fixture
def shared_redis(settings, redis_url):
    settings.CACHES = redis_cache(redis_url)
    settings.API_PREDICT_RATE = "3/min"
    redis.Redis.from_url(redis_url).flushdb()
    return redis_url


@pytest.fixture
def redis_down(settings):
    settings.CACHES = redis_cache(f"redis://127.0.0.1:{free_port()}/0")
    settings.API_PREDICT_RATE = "3/min"


def let_through() -> float:
    value = REGISTRY.get_sample_value(
        "titanic_throttle_cache_errors_total", {"decision": "let_through"}
    )
    return value or 0.0


def test_redis_url_selects_djangos_redis_cache():
    code = "from django.conf import settings; print(settings.CACHES['default']['BACKEND'])"
    env = {**os.environ, "REDIS_URL": "redis://127.0.0.1:6390/2"}
    env.pop("DJANGO_CACHE_BACKEND", None)
    shown = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert shown.strip().splitlines()[-1] == "django.core.cache.backends.redis.RedisCache"


def test_the_throttle_counts_in_redis(client, active_version, shared_redis):
    statuses = [post(client, passenger()).status_code for _ in range(4)]
    assert statuses == [HTTPStatus.OK] * 3 + [HTTPStatus.TOO_MANY_REQUESTS]
    refused = post(client, passenger())
    retry_after = int(refused["Retry-After"])
    assert 1 <= retry_after <= 60
    assert refused.json() == {"detail": TOO_MANY_REQUESTS.format(seconds=retry_after)}
    # The counts are in Redis itself, where another host's workers read them, and go with
    # their window.
    server = redis.Redis.from_url(shared_redis)
    (key,) = server.keys("*throttle_predict_*")
    assert 0 < server.pttl(key) <= 60_000


def test_redis_down_predictions_go_through_with_a_warning_and_a_metric(
    client, active_version, redis_down, caplog
):
    before = let_through()
    with caplog.at_level(logging.WARNING, logger="survival.api.cache_faults"):
        statuses = [post(client, passenger()).status_code for _ in range(5)]
    # Fail open: more requests than the rate allows, all answered and logged.
    assert statuses == [HTTPStatus.OK] * 5
    assert Prediction.objects.count() == 5
    assert let_through() - before == 5
    warnings = [r.getMessage() for r in caplog.records if "cannot be reached" in r.getMessage()]
    # One warning, then this process leaves the cache alone for a few seconds.
    assert len(warnings) == 1
    assert "unthrottled" in warnings[0]


def assert_refused_while_the_cache_is_down(client, settings) -> None:
    """With the throttle failing closed, a prediction is refused with 503 naming the cache
    (and when to try again), and nothing is logged."""
    settings.API_THROTTLE_FAIL_OPEN = False
    client.raise_request_exception = False
    response = post(client, passenger())
    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert response.json() == {"detail": CACHE_UNAVAILABLE}
    assert response["Retry-After"]
    assert not Prediction.objects.exists()


def test_redis_down_fail_closed_refuses_with_503_and_logs_nothing(
    client, active_version, redis_down, settings
):
    assert_refused_while_the_cache_is_down(client, settings)


def test_redis_down_the_page_still_predicts(client, active_version, redis_down):
    from ml_pipeline.schema import default_passenger

    form = {name: str(value) for name, value in default_passenger().items()}
    response = client.post("/predict/", form, HTTP_HX_REQUEST="true")
    assert response.status_code == HTTPStatus.OK
    assert Prediction.objects.count() == 1


def test_the_throttle_uses_redis_again_once_it_is_back(client, active_version, shared_redis):
    # The process gave up on the cache a moment ago; once that pause is over, it counts again.
    cache_pause_end()
    cache.clear()
    statuses = [post(client, passenger()).status_code for _ in range(4)]
    assert statuses[-1] == HTTPStatus.TOO_MANY_REQUESTS


def test_readyz_names_every_component_when_all_are_up(client, active_version, shared_redis):
    response = client.get("/readyz")
    assert response.status_code == HTTPStatus.OK
    assert response.json() == {
        "status": "ready",
        "model_version": active_version.version,
        "components": {"database": OK, "cache": OK, "model": OK},
    }


def test_readyz_with_redis_down_is_degraded_while_the_throttle_fails_open(
    client, active_version, redis_down
):
    response = client.get("/readyz")
    assert response.status_code == HTTPStatus.OK
    body = response.json()
    assert body["status"] == "degraded"
    assert body["components"] == {"database": OK, "cache": CACHE_UNREACHABLE, "model": OK}


def test_readyz_with_redis_down_is_503_naming_the_cache_when_the_throttle_fails_closed(
    client, active_version, redis_down, settings
):
    settings.API_THROTTLE_FAIL_OPEN = False
    response = client.get("/readyz")
    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["component"] == "cache"
    assert body["reason"] == CACHE_UNREACHABLE


def test_redis_down_a_keyed_call_goes_through_too(client, active_version, redis_down):
    from survival.apikeys.services import api_key_create

    key = api_key_create(name="notebook", rate="1/min").key
    headers = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    statuses = [post(client, passenger(), **headers).status_code for _ in range(3)]
    # Over the key's own rate of 1 a minute, and answered: its counts cannot be read.
    assert statuses == [HTTPStatus.OK] * 3
