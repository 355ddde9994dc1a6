"""The liveness and readiness probes."""

from __future__ import annotations

from http import HTTPStatus

import pytest

from survival.registry.artifacts import MODEL_UNAVAILABLE, clear_loaded_models
from survival.registry.services import model_version_deactivate
from tests.stores import model_file_alter_everywhere

pytestmark = pytest.mark.django_db


def test_healthz_answers_without_a_model(client):
    response = client.get("/healthz")
    assert response.status_code == HTTPStatus.OK
    assert response.json() == {"status": "ok"}


def test_readyz_is_ready_with_a_verified_active_model(client, active_version):
    clear_loaded_models()
    response = client.get("/readyz")
    assert response.status_code == HTTPStatus.OK
    assert response.json() == {
        "status": "ready",
        "model_version": active_version.version,
        "components": {"database": "ok", "cache": "ok", "model": "ok"},
    }


def test_readyz_is_503_without_an_active_model(client, active_version):
    model_version_deactivate(version=active_version)
    response = client.get("/readyz")
    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert response.json() == {
        "status": "unavailable",
        "component": "model",
        "reason": MODEL_UNAVAILABLE,
        "components": {"database": "ok", "cache": "ok", "model": MODEL_UNAVAILABLE},
    }


def test_readyz_is_503_when_the_artifact_fails_its_check(client, active_version):
    model_file_alter_everywhere(active_version, b"not the model")
    clear_loaded_models()
    response = client.get("/readyz")
    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert response.json()["component"] == "model"
    assert "does not match its recorded sha256" in response.json()["reason"]


def test_readyz_is_503_when_the_database_is_unreachable(client, monkeypatch):
    from django.db import OperationalError, connection

    from survival.ops.health import DATABASE_UNREACHABLE, MODEL_NOT_CHECKED

    def refuse():
        raise OperationalError("connection refused")

    monkeypatch.setattr(connection, "ensure_connection", refuse)
    response = client.get("/readyz")
    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert response.json() == {
        "status": "unavailable",
        "component": "database",
        "reason": DATABASE_UNREACHABLE,
        "components": {"database": DATABASE_UNREACHABLE, "cache": "ok", "model": MODEL_NOT_CHECKED},
    }
