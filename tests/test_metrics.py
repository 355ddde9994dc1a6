"""GET /metrics: Prometheus text that moves with what the app does, behind its setting."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.test import Client
from django.urls import reverse
from prometheus_client.parser import text_string_to_metric_families

from ml_pipeline.schema import default_passenger
from survival.registry.artifacts import ModelUnavailableError, clear_loaded_models, load_pipeline
from survival.registry.gate import PromotionRefusedError
from survival.registry.services import model_version_activate
from tests.stores import model_file_alter_everywhere

pytestmark = pytest.mark.django_db

METRICS = reverse("metrics")
TOKEN = "a-scraper-token-for-tests"


@pytest.fixture
def open_metrics(settings):
    settings.METRICS_ENABLED = True
    settings.METRICS_TOKEN = ""


def scrape(client: Client) -> dict[tuple[str, frozenset], float]:
    """Every sample of /metrics, keyed by (name, labels)."""
    response = client.get(METRICS)
    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"].startswith("text/plain; version=")
    samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return samples


def value(samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def test_metrics_are_off_by_default_in_production(client, settings):
    # The test suite runs with DEBUG off and no METRICS_* variables, like production.
    assert settings.DEBUG is False
    assert settings.METRICS_ENABLED is False
    assert client.get(METRICS).status_code == HTTPStatus.NOT_FOUND


def test_with_a_token_the_bearer_header_is_required(client, settings):
    settings.METRICS_ENABLED = True
    settings.METRICS_TOKEN = TOKEN
    refused = client.get(METRICS)
    assert refused.status_code == HTTPStatus.UNAUTHORIZED
    assert refused["WWW-Authenticate"].startswith("Bearer")
    assert "titanic_" not in refused.content.decode()
    wrong = client.get(METRICS, headers={"Authorization": "Bearer not-the-token"})
    assert wrong.status_code == HTTPStatus.UNAUTHORIZED
    allowed = client.get(METRICS, headers={"Authorization": f"Bearer {TOKEN}"})
    assert allowed.status_code == HTTPStatus.OK
    assert "titanic_http_requests_total" in allowed.content.decode()


def test_predictions_are_counted_by_version_and_channel(client, open_metrics, active_version):
    version = str(active_version.version)
    before = scrape(client)
    page = client.post(reverse("survival:predict"), default_passenger())
    assert page.status_code == HTTPStatus.OK
    api = client.post(
        "/api/v1/predict",
        {"passengers": [default_passenger(), default_passenger()]},
        content_type="application/json",
    )
    assert api.status_code == HTTPStatus.OK
    after = scrape(client)
    name = "titanic_predictions_total"
    assert value(after, name, version=version, channel="web") == (
        value(before, name, version=version, channel="web") + 1
    )
    assert value(after, name, version=version, channel="api") == (
        value(before, name, version=version, channel="api") + 2
    )
    assert value(after, "titanic_active_model_version") == active_version.version


def test_requests_are_labelled_by_url_name_never_by_path(client, open_metrics, active_version):
    before = scrape(client)
    # Version 1 exists; 2 and 12345 do not.
    for number in (1, 2, 12345):
        client.get(reverse("survival:model_card", args=[number]))
    client.get("/no/such/page-abc123")
    after = scrape(client)
    card = {"route": "survival:model_card", "method": "GET"}
    total = "titanic_http_requests_total"
    assert (
        value(after, total, **card, status="200") == value(before, total, **card, status="200") + 1
    )
    assert (
        value(after, total, **card, status="404") == value(before, total, **card, status="404") + 2
    )
    unmatched = {"route": "unmatched", "method": "GET", "status": "404"}
    assert value(after, total, **unmatched) == value(before, total, **unmatched) + 1
    count = "titanic_http_request_duration_seconds_count"
    assert value(after, count, **card) == value(before, count, **card) + 3
    text = client.get(METRICS).content.decode()
    assert "page-abc123" not in text
    assert "12345" not in text


def test_gate_refusals_are_counted(client, open_metrics, version_with):
    model_version_activate(version=version_with(roc_auc=0.86, brier=0.13))
    weak = version_with(roc_auc=0.70, brier=0.13)
    before = value(scrape(client), "titanic_promotion_gate_refusals_total")
    with pytest.raises(PromotionRefusedError):
        model_version_activate(version=weak)
    assert value(scrape(client), "titanic_promotion_gate_refusals_total") == before + 1


def test_model_loads_and_refused_files_are_counted(
    client, open_metrics, active_version, artifact_storage_in_tmp
):
    clear_loaded_models()
    before = scrape(client)
    load_pipeline(active_version)
    loaded = scrape(client)
    loads = "titanic_model_load_duration_seconds_count"
    assert value(loaded, loads) == value(before, loads) + 1
    assert value(loaded, "titanic_model_load_duration_seconds_sum") > value(
        before, "titanic_model_load_duration_seconds_sum"
    )

    # This host's copy altered: refused, fetched again from the database, and loaded.
    artifact = artifact_storage_in_tmp / active_version.artifact_name
    good = artifact.read_bytes()
    artifact.write_bytes(good + b"tampered")
    load_pipeline(active_version, recheck=True)
    refused = "titanic_model_artifact_refusals_total"
    local = scrape(client)
    assert value(local, refused, reason="local_copy_altered") == (
        value(before, refused, reason="local_copy_altered") + 1
    )
    assert artifact.read_bytes() == good
    reloaded = value(local, loads)
    assert reloaded == value(loaded, loads) + 1

    # The database's bytes altered too: the version is refused.
    model_file_alter_everywhere(active_version, good + b"tampered")
    with pytest.raises(ModelUnavailableError):
        load_pipeline(active_version, recheck=True)
    after = scrape(client)
    assert value(after, refused, reason="altered") == value(before, refused, reason="altered") + 1
    # A refused file is not a load.
    assert value(after, loads) == reloaded
