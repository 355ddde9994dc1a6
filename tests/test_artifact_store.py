"""The database holds every version's files; each host's ARTIFACTS_DIR is only a cache.

A host serves a version trained on another (its cache empty), fetches a copy that is gone,
refuses a copy that was altered (never unpickled) and fetches it again, and a version whose
model file is in no store cannot be activated.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import pickle
import subprocess
import sys
from http import HTTPStatus
from pathlib import Path

import pytest
from django.db import IntegrityError, connection
from django.urls import reverse

from ml_pipeline.schema import default_passenger
from survival.models import ModelActivation, ModelVersion, StoredArtifact
from survival.registry.admin_confirm import ACTIVATION_REFUSED
from survival.registry.artifacts import (
    ARTIFACT_MISSING,
    ARTIFACT_TAMPERED,
    ArtifactMissingError,
    artifact_storage,
    clear_loaded_models,
    load_pipeline,
)
from survival.registry.services import model_version_activate, model_version_register
from tests.stores import (
    local_copy_write,
    model_file_in_database,
    model_file_remove_everywhere,
)

HTMX = {"HTTP_HX_REQUEST": "true"}
ROOT = Path(__file__).resolve().parent.parent


class MarkerTrap:
    """Pickles to a call that creates `marker` when the pickle is loaded."""

    def __init__(self, marker: Path) -> None:
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def api_predict(client):
    return client.post("/api/v1/predict", default_passenger(), content_type="application/json")


def form_data() -> dict[str, str]:
    return {name: str(value) for name, value in default_passenger().items()}


def another_host(settings, folder: Path) -> Path:
    """This process from now on is a host whose cache is `folder` (empty), as a fresh one:
    nothing loaded."""
    settings.ARTIFACTS_DIR = folder
    settings.STORAGES = {
        **settings.STORAGES,
        "artifacts": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": folder, "base_url": None},
        },
    }
    clear_loaded_models()
    return folder


@pytest.mark.django_db
def test_registration_stores_the_model_file_and_plots_beside_the_version(
    active_version, artifact_storage_in_tmp
):
    stored = {row.name: row for row in StoredArtifact.objects.filter(version=active_version)}
    model = stored.pop(active_version.artifact_name)
    assert model.kind == StoredArtifact.Kind.MODEL
    assert model.sha256 == active_version.artifact_sha256
    assert hashlib.sha256(model.content).hexdigest() == active_version.artifact_sha256
    assert model.size == len(model.content) > 0
    assert set(stored) == set(active_version.plots.values())
    assert len(stored) == 4
    for name, row in stored.items():
        assert row.kind == StoredArtifact.Kind.PLOT
        assert bytes(row.content).startswith(b"<?xml")
        # The host that trained it has its copy already.
        assert (artifact_storage_in_tmp / name).read_bytes() == bytes(row.content)
    cached = (artifact_storage_in_tmp / active_version.artifact_name).read_bytes()
    assert cached == bytes(model.content)


@pytest.mark.django_db
def test_a_version_and_its_bytes_are_written_together_or_not_at_all(trained_logreg):
    first = model_version_register(result=trained_logreg)
    # The next version's model file name is taken: storing its bytes fails, and the
    # version's row goes with them.
    taken = f"model-v0002-{first.artifact_sha256[:12]}.joblib"
    StoredArtifact.objects.create(
        version=first, kind="plot", name=taken, sha256="0" * 64, size=1, content=b"x"
    )
    with pytest.raises(IntegrityError):
        model_version_register(result=trained_logreg)
    assert list(ModelVersion.objects.values_list("version", flat=True)) == [1]
    assert StoredArtifact.objects.exclude(version=first).count() == 0


@pytest.mark.django_db
def test_a_deleted_local_copy_is_fetched_from_the_database(
    client, active_version, artifact_storage_in_tmp
):
    artifact_storage().delete(active_version.artifact_name)
    clear_loaded_models()
    response = api_predict(client)
    assert response.status_code == HTTPStatus.OK
    assert response.json()["model_version"] == active_version.version
    cached = artifact_storage_in_tmp / active_version.artifact_name
    assert cached.read_bytes() == model_file_in_database(active_version)
    # No temporary file is left beside it.
    assert not [p for p in artifact_storage_in_tmp.iterdir() if p.name.startswith(".")]


@pytest.mark.django_db
def test_a_host_with_an_empty_cache_serves_a_version_trained_on_another(
    client, settings, active_version, tmp_path
):
    folder = another_host(settings, tmp_path / "second-host")
    assert not folder.exists()
    response = client.post(reverse("survival:predict"), form_data(), **HTMX)
    assert response.status_code == HTTPStatus.OK
    assert f'data-version="{active_version.version}"' in response.content.decode()
    card = client.get(reverse("survival:model_card", args=[active_version.version]))
    plot_url = reverse("survival:model_plot", args=[active_version.version, "roc"])
    assert plot_url in card.content.decode()
    plot = client.get(plot_url)
    assert plot.status_code == HTTPStatus.OK
    stored_plot = StoredArtifact.objects.get(name=active_version.plots["roc"])
    assert plot.content == bytes(stored_plot.content)
    assert (folder / active_version.artifact_name).read_bytes() == model_file_in_database(
        active_version
    )
    assert (folder / active_version.plots["roc"]).read_bytes() == plot.content


@pytest.mark.django_db
def test_an_altered_local_copy_is_refused_never_unpickled_and_fetched_again(
    client, active_version, artifact_storage_in_tmp, tmp_path, caplog
):
    marker = tmp_path / "unpickled"
    local_copy_write(active_version.artifact_name, pickle.dumps(MarkerTrap(marker)))
    clear_loaded_models()
    response = client.post(reverse("survival:predict"), form_data(), **HTMX)
    assert response.status_code == HTTPStatus.OK
    assert "Unlikely to survive" in response.content.decode()
    assert not marker.exists()
    cached = artifact_storage_in_tmp / active_version.artifact_name
    assert cached.read_bytes() == model_file_in_database(active_version)
    assert "does not match its sha256; refused, fetched again" in caplog.text
    active_version.refresh_from_db()
    assert active_version.broken_reason == ""


@pytest.mark.django_db
def test_an_altered_local_plot_is_served_from_the_database(
    client, active_version, artifact_storage_in_tmp
):
    name = active_version.plots["calibration"]
    local_copy_write(name, b"<svg><script>alert(1)</script></svg>")
    response = client.get(
        reverse("survival:model_plot", args=[active_version.version, "calibration"])
    )
    assert response.status_code == HTTPStatus.OK
    good = bytes(StoredArtifact.objects.get(name=name).content)
    assert response.content == good
    assert (artifact_storage_in_tmp / name).read_bytes() == good


@pytest.mark.django_db
def test_altered_bytes_in_the_database_break_the_version_and_are_never_unpickled(
    client, active_version, artifact_storage_in_tmp, tmp_path
):
    marker = tmp_path / "unpickled"
    StoredArtifact.objects.filter(name=active_version.artifact_name).update(
        content=pickle.dumps(MarkerTrap(marker))
    )
    artifact_storage().delete(active_version.artifact_name)
    clear_loaded_models()
    reason = ARTIFACT_TAMPERED.format(version=active_version.version)

    page = client.post(reverse("survival:predict"), form_data(), **HTMX)
    assert page.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert "predictions are paused" in page.content.decode()
    api = api_predict(client)
    assert api.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert api.json() == {"detail": reason}
    active_version.refresh_from_db()
    assert active_version.broken_reason == reason
    assert not marker.exists()
    # The refused bytes were not copied into the cache either.
    assert not (artifact_storage_in_tmp / active_version.artifact_name).exists()


@pytest.mark.django_db
def test_a_version_whose_model_file_is_in_no_store_cannot_be_activated(
    admin_client, active_version, trained_forest
):
    other = model_version_register(result=trained_forest)
    model_file_remove_everywhere(other)
    clear_loaded_models()
    reason = ARTIFACT_MISSING.format(version=other.version)
    with pytest.raises(ArtifactMissingError) as refused:
        model_version_activate(version=other)
    assert str(refused.value) == reason
    assert f"version {other.version} is in no store" in reason

    response = admin_client.post(
        reverse("admin:survival_modelversion_activate", args=[other.pk]),
        {"reason": "try it"},
        follow=True,
    )
    assert ACTIVATION_REFUSED.format(version=other.version, reason=reason) in (
        response.content.decode()
    )
    assert list(ModelVersion.objects.filter(is_active=True)) == [active_version]
    assert not ModelActivation.objects.filter(to_version=other).exists()
    other.refresh_from_db()
    assert other.broken_reason == reason


@pytest.mark.django_db
@pytest.mark.parametrize("in_database", ["nothing", "altered bytes"])
def test_activating_a_version_only_this_host_holds_stores_it_for_every_host(
    client, settings, active_version, trained_forest, tmp_path, in_database
):
    other = model_version_register(result=trained_forest)
    good = model_file_in_database(other)
    if in_database == "nothing":
        StoredArtifact.objects.filter(name=other.artifact_name).delete()
    else:
        StoredArtifact.objects.filter(name=other.artifact_name).update(content=b"altered")
    model_version_activate(version=other)
    assert model_file_in_database(other) == good

    another_host(settings, tmp_path / "second-host")
    response = api_predict(client)
    assert response.status_code == HTTPStatus.OK
    assert response.json()["model_version"] == other.version


@pytest.mark.django_db
def test_scoring_reads_no_stored_bytes_once_loaded(active_version, django_assert_max_num_queries):
    load_pipeline(active_version)
    with django_assert_max_num_queries(0):
        load_pipeline(active_version)


def database_url() -> str:
    database = connection.settings_dict
    if database["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{database['NAME']}"
    user = f"{database['USER']}:{database['PASSWORD']}@" if database["USER"] else ""
    host = f"{database['HOST'] or 'localhost'}:{database['PORT'] or 5432}"
    return f"postgres://{user}{host}/{database['NAME']}"


@pytest.mark.django_db(transaction=True)
def test_a_host_is_a_process_with_its_own_artifacts_dir(trained_logreg, tmp_path):
    version = model_version_register(result=trained_logreg, activate=True)
    passengers = tmp_path / "passengers.csv"
    passenger = default_passenger()
    passengers.write_text(
        ",".join(passenger) + "\n" + ",".join(str(v) for v in passenger.values()) + "\n"
    )
    host = tmp_path / "host-b"
    env = {**os.environ, "DATABASE_URL": database_url(), "ARTIFACTS_DIR": str(host)}
    scored = subprocess.run(
        [sys.executable, "manage.py", "predict", str(passengers)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert scored.returncode == 0, scored.stderr
    [row] = list(csv.DictReader(io.StringIO(scored.stdout)))
    assert 0 < float(row["Probability"]) < 1
    assert f"with model version {version.version}." in scored.stderr
    assert (host / version.artifact_name).read_bytes() == model_file_in_database(version)
