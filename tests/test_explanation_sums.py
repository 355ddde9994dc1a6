"""The explanation adds up where people read it: in the API's answer and in the numbers the
page prints, for every preset and for random valid passengers."""

from __future__ import annotations

import html
import json
import re
from http import HTTPStatus
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from ml_pipeline.explain import Contribution
from ml_pipeline.schema import FEATURE_NAMES, FEATURES
from survival.api.schemas import MAX_EXPLAINED_PASSENGERS
from survival.predictions.explanation import SHOWN_PUSHES, shown_explanation, tenths_of
from survival.predictions.presets import PRESETS
from survival.registry.services import model_version_register

pytestmark = pytest.mark.django_db

PREDICT = "/api/v1/predict"
EXAMPLES = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def feature_values(feature) -> st.SearchStrategy:
    """Values the form and the API accept for one input: ages to a tenth of a year, fares
    to the penny."""
    if feature.kind == "category":
        return st.sampled_from(feature.choice_values)
    low, high = int(feature.minimum), int(feature.maximum)
    if feature.kind == "integer":
        return st.integers(low, high)
    per_unit = 100 if feature.name == "fare" else 10
    return st.integers(low * per_unit, high * per_unit).map(lambda units: units / per_unit)


PASSENGERS = st.fixed_dictionaries({feature.name: feature_values(feature) for feature in FEATURES})


@pytest.fixture(params=["logreg", "random_forest"])
def serving(request, db, trained_logreg, trained_forest):
    result = trained_logreg if request.param == "logreg" else trained_forest
    return model_version_register(result=result, activate=True)


def explained_by_api(client, passenger) -> dict:
    body = json.dumps({**passenger, "explain": True})
    response = client.post(PREDICT, body, content_type="application/json")
    assert response.status_code == HTTPStatus.OK, response.content
    return response.json()


def assert_api_answer_adds_up(answer: dict) -> None:
    assert 0 <= answer["baseline"] <= 1
    assert sorted(c["feature"] for c in answer["contributions"]) == sorted(FEATURE_NAMES)
    total = answer["baseline"] * 100 + sum(c["points"] for c in answer["contributions"])
    assert abs(total - answer["probability"] * 100) <= 0.5
    # In fact to float precision.
    assert total == pytest.approx(answer["probability"] * 100, abs=1e-9)


def printed_numbers(page: str) -> dict:
    """The numbers the result card prints, as a visitor reads them."""

    def number(text: str) -> float:
        return float(html.unescape(text).replace("\u2212", "-").strip())

    card = page[page.index('class="card result-card') :]
    return {
        "probability": number(re.search(r'class="probability">([\d.]+)%', card)[1]),
        "baseline": number(re.search(r'class="baseline">([\d.]+)%', card)[1]),
        "lines": [
            number(points)
            for points in re.findall(r'class="points" aria-hidden="true">([^ ]+) pts', card)
        ],
        "total": number(re.search(r'class="explained-probability">([\d.]+)%', card)[1]),
        "features": re.findall(r'class="contribution [^"]*" data-feature="(\w+)"', card),
    }


def assert_page_adds_up(page: str) -> None:
    shown = printed_numbers(page)
    assert shown["total"] == shown["probability"]
    assert len(shown["lines"]) <= SHOWN_PUSHES + 1
    assert shown["features"][-1] == "other"
    printed_sum = shown["baseline"] + sum(shown["lines"])
    assert abs(printed_sum - shown["probability"]) <= 0.5
    # The printed lines add up to the tenth: the other inputs take up the rounding.
    assert round(printed_sum, 1) == shown["probability"]


@pytest.mark.parametrize("preset", PRESETS, ids=lambda preset: preset.slug)
def test_every_preset_adds_up_in_the_api_and_on_the_page(client, serving, preset):
    answer = explained_by_api(client, preset.passenger)
    assert answer["model_version"] == serving.version
    assert_api_answer_adds_up(answer)
    page = client.get(f"/?{preset.query}")
    assert page.status_code == HTTPStatus.OK
    assert_page_adds_up(page.content.decode())


@given(passenger=PASSENGERS)
@EXAMPLES
def test_random_passengers_add_up_in_the_api(client, active_version, passenger):
    assert_api_answer_adds_up(explained_by_api(client, passenger))


@given(passenger=PASSENGERS)
@settings(EXAMPLES, max_examples=20)
def test_random_passengers_add_up_on_the_page(client, active_version, passenger):
    page = client.get("/?" + urlencode(passenger))
    assert page.status_code == HTTPStatus.OK
    assert_page_adds_up(page.content.decode())


@given(
    baseline=st.floats(0, 1),
    points=st.lists(st.floats(-60, 60), min_size=7, max_size=7),
)
@EXAMPLES
def test_the_printed_lines_are_each_within_a_quarter_point_and_add_up(baseline, points):
    probability = baseline + sum(points) / 100
    assume(0 <= probability <= 1)
    contributions = sorted(
        (
            Contribution(feature=name, label=name, value="", points=p)
            for name, p in zip(FEATURE_NAMES, points, strict=True)
        ),
        key=lambda c: abs(c.points),
        reverse=True,
    )
    shown = shown_explanation(
        probability=probability,
        baseline=baseline,
        contributions=contributions,
        background_size=24,
    )
    assert shown.probability_tenths == tenths_of(probability)
    assert shown.baseline_tenths + sum(line.tenths for line in shown.lines) == (
        shown.probability_tenths
    )
    *pushes, other = shown.lines
    # Each printed push is its own value rounded; the lumped line is within a quarter point
    # of the other inputs' true sum.
    for line, contribution in zip(pushes, contributions, strict=False):
        assert line.feature == contribution.feature
        assert abs(line.tenths / 10 - contribution.points) <= 0.05 + 1e-9
    assert other.feature == "other"
    assert len(other.inputs) == 7 - len(pushes)
    rest = sum(c.points for c in contributions[len(pushes) :])
    assert abs(other.tenths / 10 - rest) <= 0.25 + 1e-9


def test_a_large_batch_cannot_ask_for_explanations(client, active_version):
    passenger = PRESETS[0].passenger
    body = {"passengers": [passenger] * (MAX_EXPLAINED_PASSENGERS + 1), "explain": True}
    response = client.post(PREDICT, json.dumps(body), content_type="application/json")
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    (error,) = response.json()["errors"]
    assert error["field"] == "passengers"
    assert error["rule"] == "too_many_to_explain"
    assert f"at most {MAX_EXPLAINED_PASSENGERS} passengers" in error["message"]
    body["passengers"] = body["passengers"][:MAX_EXPLAINED_PASSENGERS]
    response = client.post(PREDICT, json.dumps(body), content_type="application/json")
    assert response.status_code == HTTPStatus.OK
    for answer in response.json()["predictions"]:
        assert_api_answer_adds_up(answer)


def test_a_version_without_a_background_explains_against_its_reference_passenger(
    client, trained_logreg
):
    from dataclasses import replace

    from ml_pipeline.schema import to_frame

    older = replace(trained_logreg, explanation_background=[])
    model_version_register(result=older, activate=True)
    answer = explained_by_api(client, PRESETS[0].passenger)
    reference = trained_logreg.reference_passenger
    expected = trained_logreg.pipeline.predict_proba(to_frame([reference]))[0, 1]
    assert answer["baseline"] == pytest.approx(expected, abs=1e-9)
    assert_api_answer_adds_up(answer)
    page = client.get(f"/?{PRESETS[0].query}").content.decode()
    assert "A typical passenger:" in page
    assert_page_adds_up(page)
