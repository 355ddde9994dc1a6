"""Feedback: the true outcome of a predicted passenger, reported through the API, and each
version's live numbers computed from it."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from http import HTTPStatus

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from ml_pipeline.schema import default_passenger
from survival.api.errors import TOO_MANY_REQUESTS
from survival.models import ModelVersion, Prediction
from survival.predictions.services import FEEDBACK_CONFLICT, PREDICTION_NOT_FOUND
from survival.registry.live import version_live_stats

pytestmark = pytest.mark.django_db


def feedback_url(prediction_id: int | str) -> str:
    return f"/api/v1/predictions/{prediction_id}/feedback"


def send(client, prediction_id: int | str, body, **extra):
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    return client.post(
        feedback_url(prediction_id),
        data,
        content_type=extra.pop("content_type", None) or "application/json",
        **extra,
    )


@pytest.fixture
def prediction_id(client, active_version) -> int:
    response = client.post(
        "/api/v1/predict", json.dumps(default_passenger()), content_type="application/json"
    )
    return response.json()["prediction_id"]


def outcomes() -> list[tuple[int | None, object]]:
    return list(Prediction.objects.values_list("outcome", "outcome_at"))


# --- the endpoint ---------------------------------------------------------------------------


@pytest.mark.parametrize(("survived", "stored"), [(True, 1), (False, 0)])
def test_feedback_records_the_outcome(client, prediction_id, survived, stored):
    response = send(client, prediction_id, {"survived": survived})
    assert response.status_code == HTTPStatus.OK
    logged = Prediction.objects.get(pk=prediction_id)
    assert logged.outcome == stored
    assert logged.outcome_at is not None
    answer = response.json()
    assert answer["prediction_id"] == prediction_id
    assert answer["survived"] is survived
    assert answer["recorded_at"].startswith(f"{logged.outcome_at:%Y-%m-%dT%H:%M:%S}")


def test_an_unknown_prediction_is_404_with_a_clear_message(client, prediction_id):
    response = send(client, prediction_id + 1000, {"survived": True})
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert response.json() == {
        "detail": PREDICTION_NOT_FOUND.format(prediction_id=prediction_id + 1000)
    }
    assert outcomes() == [(None, None)]


@pytest.mark.parametrize(
    ("body", "field", "rule"),
    [
        ({"survived": "yes"}, "survived", "bool_type"),
        ({"survived": 1}, "survived", "bool_type"),
        ({"survived": None}, "survived", "bool_type"),
        ({}, "survived", "missing"),
        ({"survived": True, "note": "x"}, "note", "extra_forbidden"),
    ],
)
def test_a_bad_body_is_422_naming_the_field_and_nothing_is_written(
    client, prediction_id, body, field, rule
):
    response = send(client, prediction_id, body)
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    errors = response.json()["errors"]
    assert {(e["field"], e["rule"]) for e in errors} == {(field, rule)}
    assert errors[0]["message"].startswith(f"{field}: ")
    assert outcomes() == [(None, None)]


@pytest.mark.parametrize("bad_id", ["0", "-1", "abc", str(2**63)])
def test_an_id_that_is_not_a_prediction_id_is_422(client, prediction_id, bad_id):
    response = send(client, bad_id, {"survived": True})
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert response.json()["errors"][0]["field"] == "prediction_id"
    assert outcomes() == [(None, None)]


def test_a_body_that_is_not_json_is_refused_and_nothing_is_written(client, prediction_id):
    assert send(client, prediction_id, "{not json").status_code == HTTPStatus.BAD_REQUEST
    form = send(client, prediction_id, "survived=true", content_type="text/plain")
    assert form.status_code == HTTPStatus.UNSUPPORTED_MEDIA_TYPE
    assert outcomes() == [(None, None)]


def test_the_same_feedback_again_is_accepted_and_changes_nothing(client, prediction_id):
    first = send(client, prediction_id, {"survived": True})
    recorded = outcomes()
    again = send(client, prediction_id, {"survived": True})
    assert again.status_code == HTTPStatus.OK
    assert again.json() == first.json()
    assert outcomes() == recorded


def test_contradicting_feedback_is_409_and_the_first_outcome_stands(client, prediction_id):
    send(client, prediction_id, {"survived": False})
    recorded = outcomes()
    response = send(client, prediction_id, {"survived": True})
    assert response.status_code == HTTPStatus.CONFLICT
    logged = Prediction.objects.get(pk=prediction_id)
    assert response.json() == {
        "detail": FEEDBACK_CONFLICT.format(
            prediction_id=prediction_id, recorded="died", at=logged.outcome_at
        )
    }
    assert outcomes() == recorded


def test_feedback_is_throttled_per_client(client, prediction_id, settings):
    cache.clear()
    settings.API_PREDICT_RATE = "2/min"
    assert send(client, prediction_id, {"survived": True}).status_code == HTTPStatus.OK
    assert send(client, prediction_id, {"survived": True}).status_code == HTTPStatus.OK
    refused = send(client, prediction_id, {"survived": True})
    assert refused.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert refused.json()["detail"] == TOO_MANY_REQUESTS.format(seconds=refused["Retry-After"])
    cache.clear()


def test_feedback_only_accepts_post(client, prediction_id):
    assert client.get(feedback_url(prediction_id)).status_code == HTTPStatus.METHOD_NOT_ALLOWED


def test_the_openapi_document_describes_feedback(client):
    document = client.get("/api/v1/openapi.json").json()
    operation = document["paths"]["/api/v1/predictions/{prediction_id}/feedback"]["post"]
    assert {"200", "404", "409", "422", "429"} <= set(operation["responses"])
    body = document["components"]["schemas"]["FeedbackIn"]
    assert body["required"] == ["survived"]
    assert body["properties"]["survived"]["type"] == "boolean"
    assert body["additionalProperties"] is False
    answer = document["components"]["schemas"]["PredictionOut"]
    assert "prediction_id" in answer["required"]


# --- live numbers per version ------------------------------------------------------------------

# (probability, true outcome or None, days ago)
LOGGED = [
    (0.9, 1, 0),  # said survived, right
    (0.8, 0, 0),  # said survived, wrong
    (0.3, 0, 3),  # said died, right
    (0.6, None, 3),  # said survived, no feedback
    (0.2, 1, 20),  # said died, wrong; older than the daily table
]


@pytest.fixture
def logged(active_version, trained_forest) -> ModelVersion:
    from survival.registry.services import model_version_register

    now = timezone.now()
    for probability, outcome, days_ago in LOGGED:
        row = Prediction.objects.create(
            model_version=active_version,
            inputs=default_passenger(),
            probability=probability,
            survived=probability >= 0.5,
            outcome=outcome,
        )
        Prediction.objects.filter(pk=row.pk).update(created_at=now - timedelta(days=days_ago))
    # Another version's prediction counts for that version only.
    other = model_version_register(result=trained_forest)
    Prediction.objects.create(
        model_version=other, inputs=default_passenger(), probability=0.1, survived=False, outcome=1
    )
    return active_version


def test_live_stats_against_hand_computed_numbers(logged):
    stats = version_live_stats(version=logged)
    assert stats.predictions == 5
    assert stats.with_feedback == 4
    assert stats.accuracy == pytest.approx(2 / 4)
    assert stats.brier == pytest.approx((0.01 + 0.64 + 0.09 + 0.64) / 4)
    assert len(stats.daily) == 14
    today = timezone.localdate()
    assert stats.daily[-1].day == today
    assert stats.daily[0].day == today - timedelta(days=13)
    by_day = {d.day: (d.predictions, d.predicted_survivors) for d in stats.daily}
    assert by_day[today] == (2, 2)
    assert by_day[today - timedelta(days=3)] == (2, 1)
    assert sum(d.predictions for d in stats.daily) == 4
    assert stats.daily[-1].survival_rate == 1.0
    assert stats.daily[-2].survival_rate is None


def test_live_stats_without_feedback_have_no_accuracy(active_version):
    stats = version_live_stats(version=active_version)
    assert (stats.predictions, stats.with_feedback) == (0, 0)
    assert stats.accuracy is None
    assert stats.brier is None


def test_feedback_through_the_api_reaches_the_live_numbers(client, prediction_id):
    logged = Prediction.objects.get(pk=prediction_id)
    send(client, prediction_id, {"survived": not logged.survived})
    stats = version_live_stats(version=logged.model_version)
    assert stats.accuracy == 0
    assert stats.brier == pytest.approx((logged.probability - (not logged.survived)) ** 2)


def test_the_admin_shows_each_versions_live_numbers(admin_client, logged):
    url = reverse("admin:survival_modelversion_change", args=[logged.pk])
    html = admin_client.get(url).content.decode()
    found = re.search(r'<section id="live-numbers".*?</section>', html, re.S)
    assert found
    shown = re.sub(r"\s+", " ", found.group(0))
    assert '<th scope="row">Predictions answered</th><td>5</td>' in shown
    assert '<th scope="row">Feedback received</th><td>4</td>' in shown
    assert '<th scope="row">Live accuracy (on feedback)</th><td>0.500</td>' in shown
    assert '<th scope="row">Live Brier score (on feedback)</th><td>0.345</td>' in shown
    today = timezone.localdate()
    three_days_ago = today - timedelta(days=3)
    assert f'<th scope="row">{today:%Y-%m-%d}</th><td>2</td><td>100.0%</td>' in shown
    assert f'<th scope="row">{three_days_ago:%Y-%m-%d}</th><td>2</td><td>50.0%</td>' in shown


def test_the_prediction_log_shows_outcomes_read_only(admin_client, prediction_id, client):
    send(client, prediction_id, {"survived": True})
    change = reverse("admin:survival_prediction_change", args=[prediction_id])
    html = admin_client.get(change).content.decode()
    assert "Survived" in html
    assert 'name="outcome"' not in html
