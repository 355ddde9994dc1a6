"""When the database is briefly unreachable every page and endpoint says so with 503, and the
next request after it is back is answered as usual."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.db import OperationalError, connection
from django.test import Client
from django.urls import reverse

from ml_pipeline.schema import default_passenger
from survival.error_pages import DATABASE_UNAVAILABLE, RETRY_AFTER_SECONDS
from survival.models import Prediction
from survival.ops.health import DATABASE_UNREACHABLE

pytestmark = pytest.mark.django_db


def refuse(execute, sql, params, many, context):
    raise OperationalError("could not connect to server: Connection refused")


@pytest.fixture
def visitor() -> Client:
    # Answers as a browser would see them, instead of re-raising the server's exception.
    return Client(raise_request_exception=False)


def form_data() -> dict[str, str]:
    return {name: str(value) for name, value in default_passenger().items()}


REQUESTS = {
    "home": lambda c: c.get(reverse("survival:home")),
    "predict": lambda c: c.post(reverse("survival:predict"), form_data()),
    "predict-htmx": lambda c: c.post(
        reverse("survival:predict"), form_data(), HTTP_HX_REQUEST="true"
    ),
    "models": lambda c: c.get(reverse("survival:model_list")),
    "batch": lambda c: c.get(reverse("survival:batch")),
    "admin": lambda c: c.get(reverse("admin:index")),
}


@pytest.mark.parametrize("name", list(REQUESTS))
def test_pages_answer_503_with_a_clear_message_and_recover(
    visitor, active_version, admin_user, name
):
    # Signed in, so that the admin reads its session and user from the database.
    visitor.force_login(admin_user)
    with connection.execute_wrapper(refuse):
        response = REQUESTS[name](visitor)
    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert response["Retry-After"] == str(RETRY_AFTER_SECONDS)
    page = response.content.decode()
    assert DATABASE_UNAVAILABLE in page
    assert "Traceback" not in page
    # The cause is gone: the very next request is answered as usual.
    assert REQUESTS[name](visitor).status_code in {HTTPStatus.OK, HTTPStatus.FOUND}


@pytest.mark.parametrize(
    ("method", "url"),
    [("post", "/api/v1/predict"), ("get", "/api/v1/models"), ("get", "/api/v1/models/1")],
)
def test_the_api_answers_503_in_json_and_recovers(visitor, active_version, method, url):
    send = getattr(visitor, method)
    kwargs = {"data": default_passenger(), "content_type": "application/json"}
    with connection.execute_wrapper(refuse):
        response = send(url, **kwargs) if method == "post" else send(url)
    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert response.json() == {"detail": DATABASE_UNAVAILABLE}
    assert response["Retry-After"] == str(RETRY_AFTER_SECONDS)
    again = send(url, **kwargs) if method == "post" else send(url)
    assert again.status_code == HTTPStatus.OK


def test_readyz_reports_the_database_and_recovers(visitor, active_version):
    with connection.execute_wrapper(refuse):
        response = visitor.get("/readyz")
    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert response.json()["component"] == "database"
    assert response.json()["reason"] == DATABASE_UNREACHABLE
    assert visitor.get("/readyz").json()["status"] == "ready"
    # Liveness does not depend on the database.
    with connection.execute_wrapper(refuse):
        assert visitor.get("/healthz").status_code == HTTPStatus.OK


def test_nothing_is_logged_while_the_database_is_unreachable(visitor, active_version):
    with connection.execute_wrapper(refuse):
        visitor.post("/api/v1/predict", default_passenger(), content_type="application/json")
    assert not Prediction.objects.exists()


def test_other_server_errors_stay_500_without_a_trace(visitor, monkeypatch, active_version):
    from survival.error_pages import SERVER_ERROR
    from survival.predictions import views

    def explode(**kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(views, "predict_survival", explode)
    response = visitor.post(reverse("survival:predict"), form_data())
    assert response.status_code == HTTPStatus.INTERNAL_SERVER_ERROR
    assert SERVER_ERROR in response.content.decode()
    assert "a bug" not in response.content.decode()
