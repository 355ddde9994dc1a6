"""HTTP as the tools of the field expect it: HEAD on every page and probe, JSON for every
answer under /api/, and every error in the site's own look with a way back."""

from __future__ import annotations

import json
import time
from email.utils import parsedate_to_datetime
from http import HTTPStatus

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.test import Client

from survival.error_pages import (
    API_NOT_FOUND,
    CSRF_FAILED,
    FORBIDDEN,
    NOT_FOUND,
    SERVER_ERROR,
    TOO_LARGE,
)

pytestmark = pytest.mark.django_db

GET_ADDRESSES = ["/", "/models/", "/models/1/", "/batch/", "/healthz", "/readyz"]


@pytest.fixture
def visitor() -> Client:
    return Client(raise_request_exception=False)


@pytest.mark.parametrize("address", GET_ADDRESSES)
def test_head_answers_like_get_without_a_body(visitor, active_version, address):
    got = visitor.get(address)
    head = visitor.head(address)
    assert got.status_code == HTTPStatus.OK
    assert head.status_code == got.status_code
    assert head["Content-Type"] == got["Content-Type"]
    assert head.content == b""


def test_the_favicon_address_leads_to_the_icon(visitor):
    response = visitor.get("/favicon.ico")
    assert response.status_code == HTTPStatus.MOVED_PERMANENTLY
    assert response["Location"].endswith("favicon.svg")


@pytest.mark.parametrize("address", ["/api/v1/nothing-here", "/api/v1/predict/", "/api/v1/models/"])
def test_an_unknown_api_address_answers_json_404(visitor, address):
    response = visitor.get(address)
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": API_NOT_FOUND.format(path=address)}


def test_a_wrong_method_in_the_api_answers_json_405_with_allow(visitor):
    response = visitor.get("/api/v1/predict")
    assert response.status_code == HTTPStatus.METHOD_NOT_ALLOWED
    assert response["Content-Type"] == "application/json"
    assert "POST" in response["Allow"]
    assert "does not accept GET requests" in response.json()["detail"]


def test_an_oversized_api_body_answers_json_413(visitor, active_version):
    body = json.dumps({"padding": "x" * (settings.API_MAX_BODY_BYTES + 1)})
    response = visitor.post("/api/v1/predict", body, content_type="application/json")
    assert response.status_code == HTTPStatus.REQUEST_ENTITY_TOO_LARGE
    assert response["Content-Type"] == "application/json"
    assert "larger than" in response.json()["detail"]


def assert_site_page(response, status: int, message: str) -> None:
    assert response.status_code == status
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert message in page
    # In the site's look, with a way back.
    assert "Titanic Survival Predictor" in page
    assert 'href="/"' in page


def test_a_missing_page_is_the_sites_404(visitor):
    assert_site_page(visitor.get("/models/999/"), HTTPStatus.NOT_FOUND, "")
    assert_site_page(visitor.get("/no-such-page/"), HTTPStatus.NOT_FOUND, NOT_FOUND)


def test_a_wrong_method_on_a_page_is_the_sites_405_with_allow(visitor):
    response = visitor.delete("/")
    assert_site_page(response, HTTPStatus.METHOD_NOT_ALLOWED, "does not accept DELETE requests")
    assert response["Allow"] == "GET, HEAD"


def test_a_form_without_its_csrf_token_is_the_sites_403():
    guarded = Client(enforce_csrf_checks=True, raise_request_exception=False)
    response = guarded.post("/predict/", {"age": "30"})
    assert_site_page(response, HTTPStatus.FORBIDDEN, CSRF_FAILED)


def test_a_staff_page_without_permission_is_the_sites_403(visitor, active_version):
    visitor.force_login(User.objects.create_user("clerk", is_staff=True))
    response = visitor.get(f"/admin/survival/modelversion/{active_version.pk}/activate/")
    assert_site_page(response, HTTPStatus.FORBIDDEN, FORBIDDEN)


def test_a_page_body_over_the_limit_is_the_sites_413(visitor):
    data = {"padding": "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)}
    assert_site_page(
        visitor.post("/predict/", data), HTTPStatus.REQUEST_ENTITY_TOO_LARGE, TOO_LARGE
    )


def test_a_locked_out_sign_in_is_the_sites_429(visitor, settings):
    settings.AXES_FAILURE_LIMIT = 1
    User.objects.create_user("admin2", password="the-right-password-here", is_staff=True)
    form = {"username": "admin2", "password": "wrong", "next": "/admin/"}
    visitor.post("/admin/login/", form)
    response = visitor.post("/admin/login/", form)
    assert_site_page(response, HTTPStatus.TOO_MANY_REQUESTS, "Too many failed sign-ins")


def test_with_debug_on_people_still_get_the_sites_pages(visitor, settings, monkeypatch):
    # `make run` keeps DEBUG on for tracebacks in the console; pages stay the product's.
    settings.DEBUG = True
    assert_site_page(visitor.get("/no-such-page/"), HTTPStatus.NOT_FOUND, NOT_FOUND)
    assert_site_page(visitor.get("/models/999/"), HTTPStatus.NOT_FOUND, "")
    api = visitor.get("/api/v1/nothing-here")
    assert api.json() == {"detail": API_NOT_FOUND.format(path="/api/v1/nothing-here")}

    from survival.predictions import views

    def explode(**kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(views, "predict_survival", explode)
    crashed = visitor.get("/?pclass=1&sex=female&age=30&sibsp=0&parch=0&fare=80&embarked=S")
    assert_site_page(crashed, HTTPStatus.INTERNAL_SERVER_ERROR, SERVER_ERROR)
    assert "a bug" not in crashed.content.decode()


@pytest.mark.parametrize("address", ["/", "/models/", "/batch/", "/no-such-page/"])
def test_pages_are_not_cached_by_shared_caches(visitor, active_version, address):
    control = visitor.get(address)["Cache-Control"]
    assert "no-cache" in control or "no-store" in control


A_PASSENGER = {"pclass": 3, "sex": "male", "age": 40, "sibsp": 0, "parch": 0, "fare": 8}
TOO_OLD = {**A_PASSENGER, "age": 400}
HTMX = {"HX-Request": "true"}


@pytest.mark.parametrize(
    ("method", "data", "headers"),
    [
        ("get", {}, {}),
        ("get", A_PASSENGER, {}),
        ("get", A_PASSENGER, HTMX),
        ("get", TOO_OLD, HTMX),
        ("post", A_PASSENGER, HTMX),
    ],
)
def test_the_visitors_answers_are_kept_by_no_cache_and_expire_now(
    visitor, active_version, method, data, headers
):
    # What Django's never_cache writes, so a browser's back button and any proxy ask again.
    address = "/predict/" if method == "post" else "/"
    before = time.time()
    sent = {**data, "embarked": "S"} if data else {}
    response = getattr(visitor, method)(address, sent, headers=headers)
    after = time.time()
    assert response["Cache-Control"] == "max-age=0, no-cache, no-store, must-revalidate, private"
    expires = parsedate_to_datetime(response["Expires"]).timestamp()
    assert int(before) - 1 <= expires <= after


SECURITY_HEADERS = (
    "Content-Security-Policy",
    "X-Frame-Options",
    "X-Content-Type-Options",
    "Referrer-Policy",
    "Cross-Origin-Opener-Policy",
    "Cache-Control",
)


def test_the_htmx_partial_carries_the_full_pages_security_headers(visitor, active_version):
    from django.urls import reverse

    form = {"pclass": "1", "sex": "female", "age": "30", "sibsp": "0", "parch": "0"}
    form |= {"fare": "80", "embarked": "S"}
    page = visitor.post(reverse("survival:predict"), form)
    partial = visitor.post(reverse("survival:predict"), form, HTTP_HX_REQUEST="true")
    assert "<html" in page.content.decode()
    assert "<html" not in partial.content.decode()
    for header in SECURITY_HEADERS:
        assert page.get(header) is not None, header
        assert partial.get(header) == page.get(header), header


def test_the_csrf_cookie_is_same_site_lax(visitor):
    response = visitor.get("/")
    assert response.cookies["csrftoken"]["samesite"] == "Lax"


@pytest.mark.parametrize(
    ("address", "methods"),
    [
        ("/", "GET, HEAD, OPTIONS"),
        ("/predict/", "GET, HEAD, POST, OPTIONS"),
        ("/healthz", "GET, HEAD, OPTIONS"),
        ("/api/v1/predict", "POST, OPTIONS"),
    ],
)
def test_options_says_which_methods_an_address_accepts(visitor, address, methods):
    response = visitor.options(address)
    assert response.status_code == HTTPStatus.OK
    assert response["Allow"] == methods
    assert response.content == b""
