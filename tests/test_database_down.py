"""A real server whose PostgreSQL cannot be reached (DATABASE_URL names a port nothing listens
on): pages answer 503 with the site's error page, the API a JSON 503, /readyz names the
database, /healthz still answers. No PostgreSQL server is needed: the refusal is the test."""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from http import HTTPStatus

import pytest

from ml_pipeline.schema import default_passenger
from survival.error_pages import DATABASE_UNAVAILABLE, RETRY_AFTER_SECONDS
from survival.ops.health import DATABASE_UNREACHABLE
from tests.test_serving import free_port, start_server, stop_server


@pytest.fixture(scope="module")
def server_without_database(tmp_path_factory):
    folder = tmp_path_factory.mktemp("database-down")
    env = {
        **os.environ,
        "DJANGO_SECRET_KEY": "database-down-test-key",
        "DATABASE_URL": f"postgres://titanic:titanic@127.0.0.1:{free_port()}/titanic",
        "ARTIFACTS_DIR": str(folder / "artifacts"),
        "DJANGO_CACHE_LOCATION": str(folder / "cache"),
        "LOG_LEVEL": "CRITICAL",
        "DJANGO_DEBUG": "0",
    }
    env.pop("DJANGO_CACHE_BACKEND", None)
    server, base = start_server(env, workers=1)
    yield base
    stop_server(server)


def fetch(url: str, *, body: dict | None = None) -> tuple[int, dict[str, str], str]:
    data = json.dumps(body).encode() if body is not None else None
    headers = {"Content-Type": "application/json"} if body is not None else {}
    request = urllib.request.Request(url, data=data, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode()


@pytest.mark.parametrize("path", ["/", "/?pclass=1&sex=female", "/models/", "/batch/"])
def test_pages_answer_503_with_the_sites_error_page(server_without_database, path):
    status, headers, page = fetch(server_without_database + path)
    assert status == HTTPStatus.SERVICE_UNAVAILABLE
    assert headers["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert "text/html" in headers["Content-Type"]
    assert DATABASE_UNAVAILABLE in page
    assert "<title>" in page
    assert "Traceback" not in page


def test_the_api_answers_a_json_503(server_without_database):
    status, headers, body = fetch(
        server_without_database + "/api/v1/predict", body=default_passenger()
    )
    assert status == HTTPStatus.SERVICE_UNAVAILABLE
    assert headers["Content-Type"] == "application/json; charset=utf-8"
    assert json.loads(body) == {"detail": DATABASE_UNAVAILABLE}


def test_readyz_names_the_database_and_healthz_still_answers(server_without_database):
    status, _, body = fetch(server_without_database + "/readyz")
    assert status == HTTPStatus.SERVICE_UNAVAILABLE
    ready = json.loads(body)
    assert ready["component"] == "database"
    assert ready["reason"] == DATABASE_UNREACHABLE
    assert ready["components"]["database"] == DATABASE_UNREACHABLE
    status, _, body = fetch(server_without_database + "/healthz")
    assert status == HTTPStatus.OK
    assert json.loads(body) == {"status": "ok"}
