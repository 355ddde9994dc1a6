"""Artifacts are code: a file is verified before it is unpickled, a version whose file is
refused is marked broken (admin, /readyz, page, API), and no artifact is reachable over HTTP.

A file is refused when the database's bytes (and so every host's) are altered or gone; a
host's own copy that is altered or gone is only fetched again (tests/test_artifact_store.py).
"""

from __future__ import annotations

import hashlib
import pickle
from http import HTTPStatus
from importlib.metadata import version as installed_version
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.urls import reverse

from ml_pipeline.schema import default_passenger
from survival.models import ModelActivation, ModelVersion, Prediction
from survival.registry import artifacts as inference
from survival.registry.admin_confirm import ACTIVATION_REFUSED
from survival.registry.artifacts import (
    ARTIFACT_MISSING,
    ARTIFACT_TAMPERED,
    SKLEARN_MISMATCH,
    ModelUnavailableError,
    artifact_storage,
    clear_loaded_models,
    load_pipeline,
)
from survival.registry.services import model_version_activate, model_version_register
from tests.stores import (
    model_file_alter_everywhere,
    model_file_in_database,
    model_file_remove_everywhere,
)

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:survival_modelversion_changelist")
HTMX = {"HTTP_HX_REQUEST": "true"}


class MarkerTrap:
    """Pickles to a call that creates `marker` when the pickle is loaded."""

    def __init__(self, marker: Path) -> None:
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def trap_bytes(marker: Path) -> bytes:
    return pickle.dumps(MarkerTrap(marker))


def form_data() -> dict[str, str]:
    return {name: str(value) for name, value in default_passenger().items()}


def api_predict(client):
    return client.post("/api/v1/predict", default_passenger(), content_type="application/json")


def test_the_trap_does_create_its_marker_when_unpickled(tmp_path):
    # Proves the test below can fail: loading this pickle runs code.
    marker = tmp_path / "proof"
    pickle.loads(trap_bytes(marker))
    assert marker.exists()


def test_a_replaced_artifact_is_never_unpickled_and_the_version_is_marked_broken(
    client, admin_client, active_version, tmp_path
):
    marker = tmp_path / "unpickled"
    model_file_alter_everywhere(active_version, trap_bytes(marker))
    clear_loaded_models()
    reason = ARTIFACT_TAMPERED.format(version=active_version.version)

    page = client.post(reverse("survival:predict"), form_data(), **HTMX)
    assert page.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    # Visitors read that predictions are paused; why is for the admin and the server log.
    assert "predictions are paused" in page.content.decode()
    assert reason not in page.content.decode()

    api = api_predict(client)
    assert api.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert api.json() == {"detail": reason}

    ready = client.get("/readyz")
    assert ready.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert ready.json()["status"] == "unavailable"
    assert ready.json()["component"] == "model"
    assert ready.json()["reason"] == reason
    assert ready.json()["model_version"] == active_version.version

    home = client.get(reverse("survival:home")).content.decode()
    assert "Predictions are paused" in home
    assert reason not in home
    assert reason in admin_client.get(reverse("survival:home")).content.decode()

    refused = admin_client.post(
        reverse("admin:survival_modelversion_activate", args=[active_version.pk]),
        {"reason": "try it again"},
        follow=True,
    )
    assert ACTIVATION_REFUSED.format(version=active_version.version, reason=reason) in (
        refused.content.decode()
    )
    changelist = admin_client.get(CHANGELIST).content.decode()
    assert f"Broken: {reason}" in changelist

    active_version.refresh_from_db()
    assert active_version.broken_reason == reason
    assert active_version.broken_at is not None
    assert not marker.exists()
    assert not Prediction.objects.exists()


def test_a_broken_version_mends_itself_once_its_file_is_restored(
    client, active_version, monkeypatch
):
    original = model_file_in_database(active_version)
    model_file_alter_everywhere(active_version, b"not the model")
    clear_loaded_models()
    assert api_predict(client).status_code == HTTPStatus.SERVICE_UNAVAILABLE

    model_file_alter_everywhere(active_version, original)
    # Within the re-check interval the refusal stands without the file being read again.
    assert api_predict(client).status_code == HTTPStatus.SERVICE_UNAVAILABLE
    monkeypatch.setattr(inference, "BROKEN_RECHECK_SECONDS", 0)
    response = api_predict(client)
    assert response.status_code == HTTPStatus.OK
    assert response.json()["model_version"] == active_version.version
    assert client.get("/readyz").status_code == HTTPStatus.OK
    active_version.refresh_from_db()
    assert active_version.broken_reason == ""
    assert Prediction.objects.count() == 1


def test_a_version_marked_broken_elsewhere_is_not_served_from_this_process_cache(
    client, active_version, monkeypatch
):
    assert api_predict(client).status_code == HTTPStatus.OK
    # Another worker found the file altered and said so in the registry; this one still has
    # the verified pipeline in memory, but checks the file again rather than trust it.
    model_file_alter_everywhere(active_version, b"altered")
    ModelVersion.objects.filter(pk=active_version.pk).update(broken_reason="altered elsewhere")
    response = api_predict(client)
    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert response.json() == {"detail": ARTIFACT_TAMPERED.format(version=active_version.version)}
    assert Prediction.objects.count() == 1


def test_a_missing_artifact_marks_the_version_broken(client, active_version):
    model_file_remove_everywhere(active_version)
    clear_loaded_models()
    reason = ARTIFACT_MISSING.format(version=active_version.version)
    response = client.post(reverse("survival:predict"), form_data())
    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert "predictions are paused" in response.content.decode()
    assert client.get("/readyz").json()["reason"] == reason
    active_version.refresh_from_db()
    assert active_version.broken_reason == reason


def test_a_version_from_another_scikit_learn_is_refused_before_unpickling(
    client, admin_client, active_version, trained_logreg, tmp_path
):
    # A verified file (its sha256 matches) recorded as made by another scikit-learn.
    marker = tmp_path / "unpickled"
    data = trap_bytes(marker)
    other = model_version_register(result=trained_logreg)
    model_file_alter_everywhere(other, data)
    ModelVersion.objects.filter(pk=other.pk).update(
        artifact_sha256=hashlib.sha256(data).hexdigest(),
        library_versions={**other.library_versions, "scikit-learn": "0.24.2"},
    )
    other.refresh_from_db()
    reason = SKLEARN_MISMATCH.format(
        version=other.version, trained="0.24.2", installed=installed_version("scikit-learn")
    )
    with pytest.raises(ModelUnavailableError) as refused:
        model_version_activate(version=other)
    assert str(refused.value) == reason
    assert "Retrain it, or install scikit-learn 0.24.2" in reason

    response = admin_client.post(
        reverse("admin:survival_modelversion_activate", args=[other.pk]),
        {"reason": "try the other one"},
        follow=True,
    )
    assert ACTIVATION_REFUSED.format(version=other.version, reason=reason) in (
        response.content.decode()
    )
    assert list(ModelVersion.objects.filter(is_active=True)) == [active_version]
    assert not ModelActivation.objects.filter(to_version=other).exists()
    other.refresh_from_db()
    assert other.broken_reason == reason
    assert not marker.exists()


def test_the_active_version_from_another_scikit_learn_answers_503(client, active_version):
    ModelVersion.objects.filter(pk=active_version.pk).update(
        library_versions={**active_version.library_versions, "scikit-learn": "1.0"}
    )
    clear_loaded_models()
    response = api_predict(client)
    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert "was trained with scikit-learn 1.0" in response.json()["detail"]
    assert not Prediction.objects.exists()


def test_a_good_version_still_loads(active_version):
    clear_loaded_models()
    assert hasattr(load_pipeline(active_version), "predict_proba")


# --- never reachable over HTTP -----------------------------------------------------------


def test_no_address_serves_an_artifact(client, active_version):
    name = active_version.artifact_name
    stem = name.removesuffix(".joblib")
    for url in [
        f"/static/{name}",
        f"/media/{name}",
        f"/artifacts/{name}",
        f"/{name}",
        f"/models/{active_version.version}/plots/{stem}.svg",
        f"/models/{active_version.version}/plots/{stem}.joblib",
    ]:
        response = client.get(url)
        assert response.status_code == HTTPStatus.NOT_FOUND, url
    assert finders.find(name) is None
    # Whatever address the storage would give the file, nothing is there.
    storage_url = "/" + artifact_storage().url(name).lstrip("/")
    assert client.get(storage_url).status_code == HTTPStatus.NOT_FOUND


def test_the_artifacts_folder_is_outside_every_served_folder():
    artifacts = Path(settings.ARTIFACTS_DIR).resolve()
    served = [*settings.STATICFILES_DIRS, settings.STATIC_ROOT]
    if settings.MEDIA_ROOT:
        served.append(settings.MEDIA_ROOT)
    for folder in served:
        assert not artifacts.is_relative_to(Path(folder).resolve()), folder


def test_the_admin_cannot_point_a_version_at_another_file(admin_client, active_version):
    url = reverse("admin:survival_modelversion_change", args=[active_version.pk])
    page = admin_client.get(url).content.decode()
    assert 'type="file"' not in page
    assert 'name="artifact_name"' not in page
    admin_client.post(
        url,
        {
            "artifact_name": "../../etc/passwd",
            "artifact_sha256": "0" * 64,
            "broken_reason": "",
            "library_versions": "{}",
        },
    )
    before = active_version.artifact_name, active_version.artifact_sha256
    active_version.refresh_from_db()
    assert (active_version.artifact_name, active_version.artifact_sha256) == before
