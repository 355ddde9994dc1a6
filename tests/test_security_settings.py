"""Production settings, security headers, CSRF, request size limits and admin login limits."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from http import HTTPStatus
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from ml_pipeline.schema import default_passenger
from survival.models import Prediction

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION_ENV = {
    "DJANGO_SECRET_KEY": "a-production-secret-of-more-than-fifty-characters-0123456789-XYZ",
    "DJANGO_ALLOWED_HOSTS": "titanic.example.org",
    "DJANGO_SECURE_SSL_REDIRECT": "1",
    "DJANGO_SECURE_PROXY_SSL_HEADER": "HTTP_X_FORWARDED_PROTO,https",
    "DJANGO_SECURE_HSTS_SECONDS": "31536000",
    "DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS": "1",
    "DJANGO_SECURE_HSTS_PRELOAD": "1",
    "DJANGO_SECURE_COOKIES": "1",
}


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    # A clean environment: nothing from the test run (its key, DEBUG) leaks in, nor from the
    # .env file `make run` writes in this checkout.
    base = {key: os.environ[key] for key in ("PATH", "HOME") if key in os.environ}
    base["DJANGO_ENV_FILE"] = os.devnull
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_reports_nothing_under_production_settings():
    result = manage("check", "--deploy", "--fail-level", "DEBUG", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_check_deploy_complains_without_the_production_switches():
    env = {"DJANGO_SECRET_KEY": PRODUCTION_ENV["DJANGO_SECRET_KEY"]}
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode != 0
    for check in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert check in result.stderr + result.stdout


def test_a_secret_key_is_required_when_debug_is_off():
    result = manage("check", env={})
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


def test_debug_is_off_unless_asked_for():
    result = manage(
        "shell",
        "-c",
        "from django.conf import settings; print(settings.DEBUG)",
        env={"DJANGO_SECRET_KEY": "x" * 60},
    )
    assert result.stdout.strip().splitlines()[-1] == "False"


def test_https_switches_stay_off_by_default_for_local_http():
    assert not settings.SECURE_SSL_REDIRECT
    assert not settings.SESSION_COOKIE_SECURE
    assert not settings.CSRF_COOKIE_SECURE
    assert settings.SECURE_HSTS_SECONDS == 0


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/", "/models/", "/batch/", "/api/v1/docs", "/admin/login/"])
def test_every_page_has_a_strict_content_security_policy_and_security_headers(client, url):
    response = client.get(url)
    assert response.status_code == HTTPStatus.OK
    policy = response["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in policy
    assert "unsafe-eval" not in policy
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/", "/models/", "/batch/", "/admin/login/"])
def test_our_pages_carry_no_inline_script_or_style(client, url):
    html = client.get(url).content.decode()
    assert not re.search(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", html)
    assert "<style" not in html
    assert not re.search(r"\sstyle=", html)
    assert not re.search(r"\son[a-z]+=", html)


# --- CSRF ----------------------------------------------------------------------------------


@pytest.fixture
def csrf_client() -> Client:
    return Client(enforce_csrf_checks=True)


@pytest.mark.django_db
def test_the_passenger_form_needs_the_csrf_token(csrf_client, active_version):
    data = {name: str(value) for name, value in default_passenger().items()}
    refused = csrf_client.post(reverse("survival:predict"), data, HTTP_HX_REQUEST="true")
    assert refused.status_code == HTTPStatus.FORBIDDEN
    assert not Prediction.objects.exists()

    page = csrf_client.get(reverse("survival:home")).content.decode()
    # htmx sends the token in a header, from the attribute on <body>.
    token = re.search(r'hx-headers=\'\{"x-csrftoken": "([^"]+)"\}\'', page).group(1)
    accepted = csrf_client.post(
        reverse("survival:predict"), data, HTTP_HX_REQUEST="true", HTTP_X_CSRFTOKEN=token
    )
    assert accepted.status_code == HTTPStatus.OK
    assert Prediction.objects.count() == 1


@pytest.mark.django_db
def test_the_batch_upload_and_admin_login_need_the_csrf_token(csrf_client):
    assert csrf_client.post(reverse("survival:batch"), {}).status_code == HTTPStatus.FORBIDDEN
    login = csrf_client.post(reverse("admin:login"), {"username": "a", "password": "b"})
    assert login.status_code == HTTPStatus.FORBIDDEN


@pytest.mark.django_db
def test_the_api_uses_no_session_and_refuses_what_a_cross_site_form_can_send(
    client, admin_client, active_version
):
    from ninja.constants import NOT_SET
    from ninja.security import HttpBearer

    from survival.api.endpoints import api
    from survival.api.guards import NOT_JSON_CONTENT_TYPE

    # No endpoint authenticates by session cookie, so a signed-in admin's cookie grants
    # nothing there (were one added, django-ninja would then demand the CSRF token): the only
    # credential is an API key in the Authorization header, which a cross-site form cannot
    # set. What a hostile page's plain <form> can post (form-encoded, multipart, text/plain
    # shaped as JSON) is refused and logs nothing.
    assert api.auth in (NOT_SET, None)
    for _prefix, router in api._routers:
        for path_view in router.path_operations.values():
            for operation in path_view.operations:
                for callback in operation.auth_callbacks:
                    assert isinstance(callback, HttpBearer), operation.view_func.__name__
    # A text/plain form whose one field is named '{"pclass": 1, …, "x": "' with value '"}'.
    body = json.dumps({**default_passenger(), "x": "="})
    for content_type, data in [
        ("application/x-www-form-urlencoded", "pclass=1&sex=male"),
        ("text/plain", body),
        ("multipart/form-data; boundary=x", "--x--"),
    ]:
        response = admin_client.post("/api/v1/predict", data, content_type=content_type)
        assert response.status_code == HTTPStatus.UNSUPPORTED_MEDIA_TYPE, content_type
        assert response.json() == {"detail": NOT_JSON_CONTENT_TYPE}
    assert not Prediction.objects.exists()


# --- request size limits -----------------------------------------------------------------


def test_request_size_limits_are_set_deliberately():
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE == settings.API_MAX_BODY_BYTES == 1024 * 1024
    assert settings.DATA_UPLOAD_MAX_NUMBER_FIELDS == 200
    assert settings.DATA_UPLOAD_MAX_NUMBER_FILES == 1
    assert settings.FILE_UPLOAD_MAX_MEMORY_SIZE == 2 * 1024 * 1024


@pytest.mark.django_db
def test_a_form_body_over_the_limit_is_refused_with_413(active_version):
    visitor = Client(raise_request_exception=False)
    data = {name: str(value) for name, value in default_passenger().items()}
    data["padding"] = "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
    response = visitor.post(reverse("survival:predict"), data)
    assert response.status_code == HTTPStatus.REQUEST_ENTITY_TOO_LARGE
    assert "The request is larger than this site accepts." in response.content.decode()
    assert not Prediction.objects.exists()


@pytest.mark.django_db
def test_too_many_form_fields_are_refused_with_400(active_version):
    visitor = Client(raise_request_exception=False)
    data = {name: str(value) for name, value in default_passenger().items()}
    data.update({f"extra{i}": "1" for i in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS)})
    response = visitor.post(reverse("survival:predict"), data)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert not Prediction.objects.exists()


@pytest.mark.django_db
def test_more_than_one_uploaded_file_is_refused_with_400(active_version):
    from django.core.files.uploadedfile import SimpleUploadedFile

    visitor = Client(raise_request_exception=False)
    files = [SimpleUploadedFile(f"f{i}.csv", b"pclass\n1\n") for i in range(2)]
    response = visitor.post(reverse("survival:batch"), {"file": files})
    assert response.status_code == HTTPStatus.BAD_REQUEST


# --- admin login attempts ------------------------------------------------------------------


@pytest.mark.django_db
def test_admin_logins_are_locked_after_repeated_failures(client, django_user_model):
    django_user_model.objects.create_superuser("boss", password="the right password 42")
    login = reverse("admin:login")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = client.post(login, {"username": "boss", "password": "wrong"})
        assert response.status_code == HTTPStatus.OK
    locked = client.post(login, {"username": "boss", "password": "wrong"})
    assert locked.status_code == HTTPStatus.TOO_MANY_REQUESTS
    # Even the right password is refused now.
    right = client.post(login, {"username": "boss", "password": "the right password 42"})
    assert right.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert "_auth_user_id" not in client.session
    # Another user from the same address is not locked out by boss's failures.
    django_user_model.objects.create_superuser("deputy", password="another right password 7")
    other = client.post(login, {"username": "deputy", "password": "another right password 7"})
    assert other.status_code == HTTPStatus.FOUND
