"""The JSON API under /api/v1/, through Django's test client: every endpoint, status code and
validation rule, as a client sees them."""

from __future__ import annotations

import json
from http import HTTPStatus

import pydantic
import pytest
from django.contrib.staticfiles import finders

from ml_pipeline.schema import FEATURE_NAMES, FEATURES, default_passenger
from survival.api.errors import INVALID_REQUEST
from survival.api.guards import BODY_TOO_LARGE, NOT_JSON
from survival.api.schemas import MAX_PASSENGERS, Passenger
from survival.models import Prediction
from survival.registry.artifacts import MODEL_UNAVAILABLE, clear_loaded_models
from survival.registry.selectors import VERSION_NOT_FOUND
from survival.registry.services import model_version_deactivate, model_version_register
from tests.stores import model_file_remove_everywhere

pytestmark = pytest.mark.django_db

PREDICT = "/api/v1/predict"


def post(client, body, **headers):
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    return client.post(PREDICT, data, content_type="application/json", **headers)


def passenger(**changes):
    return {**default_passenger(), **changes}


def errors_by_field(response) -> dict[str, str]:
    return {error["field"]: error["rule"] for error in response.json()["errors"]}


# --- predict: answers -------------------------------------------------------------------


def test_one_passenger_gets_a_verdict_a_probability_and_the_version(client, active_version):
    response = post(client, passenger(pclass=1, sex="female", age=30, fare=80))
    assert response.status_code == HTTPStatus.OK
    answer = response.json()
    assert answer["survived"] is True
    assert 0.5 <= answer["probability"] <= 1
    assert answer["model_version"] == active_version.version
    assert "contributions" not in answer
    assert "baseline" not in answer
    assert answer["prediction_id"] == Prediction.objects.get().pk


def test_api_predictions_are_logged_with_the_api_channel(client, active_version):
    response = post(client, passenger())
    logged = Prediction.objects.get()
    assert logged.pk == response.json()["prediction_id"]
    assert logged.channel == Prediction.Channel.API
    assert logged.probability == pytest.approx(response.json()["probability"])
    assert logged.inputs == default_passenger()
    assert logged.model_version == active_version


def test_the_api_and_the_page_give_the_same_probability(client, active_version):
    api_answer = post(client, passenger(age=4, parch=2)).json()
    client.post("/predict/", {k: str(v) for k, v in passenger(age=4, parch=2).items()})
    api, page = Prediction.objects.order_by("channel")
    assert api.channel == "api"
    assert page.channel == "web"
    assert page.probability == pytest.approx(api_answer["probability"])


def test_a_batch_is_answered_in_order_and_logged_once_per_passenger(client, active_version):
    batch = [passenger(pclass=1, sex="female"), passenger(pclass=3, age=60), passenger()]
    response = post(client, {"passengers": batch})
    assert response.status_code == HTTPStatus.OK
    answers = response.json()["predictions"]
    assert [a["survived"] for a in answers] == [True, False, False]
    assert all(a["model_version"] == active_version.version for a in answers)
    single = post(client, batch[1]).json()
    assert answers[1]["probability"] == pytest.approx(single["probability"])
    assert Prediction.objects.filter(channel="api").count() == 4
    # Each answer names its own logged row.
    for answer, sent in zip(answers, batch, strict=True):
        assert Prediction.objects.get(pk=answer["prediction_id"]).inputs == sent


def test_explain_adds_every_inputs_contribution(client, active_version):
    response = post(client, {**passenger(pclass=1, sex="female"), "explain": True})
    contributions = response.json()["contributions"]
    assert sorted(c["feature"] for c in contributions) == sorted(FEATURE_NAMES)
    by_feature = {c["feature"]: c for c in contributions}
    assert by_feature["sex"]["value"] == "Female"
    assert by_feature["sex"]["points"] > 0
    points = [abs(c["points"]) for c in contributions]
    assert points == sorted(points, reverse=True)
    total = response.json()["baseline"] * 100 + sum(c["points"] for c in contributions)
    assert total == pytest.approx(response.json()["probability"] * 100, abs=1e-9)


def test_explain_works_for_a_batch_and_matches_one_by_one(client, active_version):
    batch = [passenger(pclass=1, sex="female"), passenger(age=2, sibsp=3)]
    together = post(client, {"passengers": batch, "explain": True}).json()["predictions"]
    for sent, answer in zip(batch, together, strict=True):
        alone = post(client, {**sent, "explain": True}).json()
        assert answer["probability"] == pytest.approx(alone["probability"])
        together_points = {c["feature"]: c["points"] for c in answer["contributions"]}
        alone_points = {c["feature"]: c["points"] for c in alone["contributions"]}
        assert together_points == pytest.approx(alone_points)


def test_a_pinned_version_answers_even_when_another_is_active(
    client, active_version, trained_forest
):
    newer = model_version_register(result=trained_forest, activate=True)
    pinned = post(client, {**passenger(), "model_version": active_version.version}).json()
    current = post(client, passenger()).json()
    assert pinned["model_version"] == active_version.version
    assert current["model_version"] == newer.version
    assert Prediction.objects.filter(model_version=active_version).count() == 1


def test_an_unknown_pinned_version_is_404_with_a_clear_message(client, active_version):
    response = post(client, {**passenger(), "model_version": 99})
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert response.json() == {"detail": VERSION_NOT_FOUND.format(number=99)}
    assert not Prediction.objects.exists()


def test_without_an_active_model_predict_is_503(client, active_version):
    model_version_deactivate(version=active_version)
    response = post(client, passenger())
    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert response.json() == {"detail": MODEL_UNAVAILABLE}
    assert not Prediction.objects.exists()


def test_a_missing_artifact_is_503_not_500(client, active_version):
    model_file_remove_everywhere(active_version)
    clear_loaded_models()
    response = post(client, passenger())
    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert "is in no store" in response.json()["detail"]


# --- predict: validation ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field", "rule"),
    [
        ({"pclass": 4}, "pclass", "literal_error"),
        ({"pclass": "1"}, "pclass", "literal_error"),
        ({"sex": "Female"}, "sex", "literal_error"),
        ({"age": -1}, "age", "greater_than_equal"),
        ({"age": 101}, "age", "less_than_equal"),
        ({"age": "30"}, "age", "float_type"),
        ({"age": True}, "age", "float_type"),
        ({"age": None}, "age", "float_type"),
        ({"sibsp": 1.5}, "sibsp", "int_type"),
        ({"sibsp": "1"}, "sibsp", "int_type"),
        ({"parch": False}, "parch", "int_type"),
        ({"sibsp": 11}, "sibsp", "less_than_equal"),
        ({"parch": -1}, "parch", "greater_than_equal"),
        ({"fare": 600.01}, "fare", "less_than_equal"),
        ({"embarked": "X"}, "embarked", "literal_error"),
        ({"cabin": "C85"}, "cabin", "extra_forbidden"),
        ({"explain": "yes"}, "explain", "bool_type"),
        ({"model_version": 0}, "model_version", "greater_than_equal"),
        ({"model_version": 2**40}, "model_version", "less_than_equal"),
    ],
)
def test_each_bad_field_is_named_with_its_rule_and_nothing_is_logged(
    client, active_version, changes, field, rule
):
    response = post(client, passenger(**changes))
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    body = response.json()
    assert body["detail"] == INVALID_REQUEST
    assert errors_by_field(response) == {field: rule}
    assert body["errors"][0]["message"].startswith(f"{field}: ")
    assert not Prediction.objects.exists()


def test_whole_numbers_written_with_a_point_are_accepted(client, active_version):
    # JSON Schema counts 2.0 as an integer, so the documented API must accept it.
    response = post(client, {**passenger(sibsp=2.0, parch=1.0), "model_version": 1.0})
    assert response.status_code == HTTPStatus.OK
    assert Prediction.objects.get().inputs["sibsp"] == 2


def test_every_missing_field_is_listed(client, active_version):
    response = post(client, {"age": 30})
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert errors_by_field(response) == {name: "missing" for name in FEATURE_NAMES if name != "age"}


def test_non_finite_numbers_are_refused(client, active_version):
    response = post(
        client,
        '{"pclass": 1, "sex": "male", "age": NaN, "sibsp": 0, "parch": 0, '
        '"fare": Infinity, "embarked": "S"}',
    )
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert errors_by_field(response) == {"age": "finite_number", "fare": "finite_number"}


def test_bad_rows_of_a_batch_are_named_by_position(client, active_version):
    batch = [passenger(), passenger(age=500), passenger(sex="x", fare=-1)]
    response = post(client, {"passengers": batch})
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert errors_by_field(response) == {
        "passengers[1].age": "less_than_equal",
        "passengers[2].sex": "literal_error",
        "passengers[2].fare": "greater_than_equal",
    }
    assert not Prediction.objects.exists()


@pytest.mark.parametrize(
    ("passengers", "rule"),
    [([], "too_short"), ([default_passenger()] * (MAX_PASSENGERS + 1), "too_long")],
)
def test_a_batch_must_have_1_to_1000_passengers(client, active_version, passengers, rule):
    response = post(client, {"passengers": passengers})
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert errors_by_field(response) == {"passengers": rule}


def test_a_batch_of_1000_is_answered(client, active_version):
    response = post(client, {"passengers": [default_passenger()] * MAX_PASSENGERS})
    assert response.status_code == HTTPStatus.OK
    assert len(response.json()["predictions"]) == MAX_PASSENGERS
    assert Prediction.objects.count() == MAX_PASSENGERS


@pytest.mark.parametrize("body", ["pclass=1&sex=male", "{'pclass': 1}", "{", b"\xff\xfe"])
def test_a_body_that_is_not_json_is_400(client, active_version, body):
    response = post(client, body)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json() == {"detail": NOT_JSON}


@pytest.mark.parametrize("body", ["[1, 2]", '"passenger"', "3", "null"])
def test_json_that_is_not_an_object_is_422(client, active_version, body):
    response = post(client, body)
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert response.json()["errors"][0]["field"] == "body"


def test_an_empty_body_is_422(client, active_version):
    response = post(client, "")
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert errors_by_field(response) == {"body": "missing"}


def test_a_body_over_the_limit_is_413(client, settings, active_version):
    settings.API_MAX_BODY_BYTES = 1000
    response = post(client, {"passengers": [default_passenger()] * 20})
    assert response.status_code == HTTPStatus.REQUEST_ENTITY_TOO_LARGE
    assert response.json() == {"detail": BODY_TOO_LARGE.format(limit=1000)}
    assert not Prediction.objects.exists()


def test_predict_only_accepts_post(client, active_version):
    response = client.get(PREDICT)
    assert response.status_code == HTTPStatus.METHOD_NOT_ALLOWED


# --- models -----------------------------------------------------------------------------


def test_the_model_list_shows_every_version_with_metrics_and_which_is_active(
    client, active_version, trained_forest
):
    second = model_version_register(result=trained_forest)
    response = client.get("/api/v1/models")
    assert response.status_code == HTTPStatus.OK
    listed = response.json()
    assert [v["version"] for v in listed] == [second.version, active_version.version]
    assert [v["is_active"] for v in listed] == [False, True]
    first = listed[1]
    assert first["algorithm"] == "logreg"
    assert first["cv_metrics"]["roc_auc"]["mean"] == pytest.approx(
        active_version.metric("cv", "roc_auc")
    )
    assert first["holdout_metrics"]["accuracy"] == pytest.approx(
        active_version.metric("holdout", "accuracy")
    )
    assert first["artifact_sha256"] == active_version.artifact_sha256


def test_the_model_list_is_empty_without_versions(client):
    response = client.get("/api/v1/models")
    assert response.status_code == HTTPStatus.OK
    assert response.json() == []


def test_one_version_by_number(client, active_version):
    response = client.get(f"/api/v1/models/{active_version.version}")
    assert response.status_code == HTTPStatus.OK
    assert response.json()["version"] == active_version.version
    assert response.json()["algorithm_label"] == "Logistic regression"


def test_an_unknown_version_is_404(client, active_version):
    response = client.get("/api/v1/models/42")
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert response.json() == {"detail": VERSION_NOT_FOUND.format(number=42)}


@pytest.mark.parametrize("number", ["abc", "0", "99999999999"])
def test_a_version_that_is_not_a_valid_number_is_422(client, number):
    response = client.get(f"/api/v1/models/{number}")
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert list(errors_by_field(response)) == ["version"]


# --- the schema, the OpenAPI document and the docs page ---------------------------------


def test_the_api_passenger_is_the_feature_schema():
    fields = Passenger.model_fields
    assert list(fields) == list(FEATURE_NAMES)
    assert all(fields[f.name].title == f.label for f in FEATURES)
    assert all(fields[f.name].is_required() for f in FEATURES)


@pytest.mark.parametrize("feature", FEATURES, ids=lambda f: f.name)
def test_the_api_accepts_exactly_the_values_the_feature_schema_allows(feature):
    def valid(value) -> bool:
        try:
            Passenger.model_validate({**default_passenger(), feature.name: value})
        except pydantic.ValidationError:
            return False
        return True

    if feature.kind == "category":
        assert all(valid(value) for value in feature.choice_values)
        assert not valid("other")
        return
    assert valid(feature.minimum)
    assert valid(feature.maximum)
    assert not valid(feature.minimum - 1)
    assert not valid(feature.maximum + 1)
    assert valid(feature.minimum + 0.5) == (feature.kind == "number")


def test_openapi_document_is_valid_and_lists_every_endpoint(client):
    from openapi_spec_validator import validate

    response = client.get("/api/v1/openapi.json")
    assert response.status_code == HTTPStatus.OK
    document = response.json()
    validate(document)
    assert document["openapi"].startswith("3.")
    assert set(document["paths"]) == {
        "/api/v1/predict",
        "/api/v1/models",
        "/api/v1/models/{version}",
        "/api/v1/predictions/{prediction_id}/feedback",
    }
    predict = document["paths"]["/api/v1/predict"]["post"]
    assert {"200", "400", "404", "413", "422", "429", "503"} <= set(predict["responses"])


def test_openapi_passenger_matches_the_feature_schema(client):
    schemas = client.get("/api/v1/openapi.json").json()["components"]["schemas"]
    described = schemas["Passenger"]
    assert described["required"] == list(FEATURE_NAMES)
    assert described["additionalProperties"] is False
    for feature in FEATURES:
        field = described["properties"][feature.name]
        if feature.kind == "category":
            assert field["enum"] == list(feature.choice_values)
        else:
            assert (field["minimum"], field["maximum"]) == (feature.minimum, feature.maximum)
    assert schemas["BatchPredictRequest"]["properties"]["passengers"]["maxItems"] == MAX_PASSENGERS


def test_the_docs_page_uses_the_packages_own_files_not_a_cdn(client):
    response = client.get("/api/v1/docs")
    assert response.status_code == HTTPStatus.OK
    html = response.content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in html
    assert "/api/v1/openapi.json" in html
    assert "https://" not in html
    assert finders.find("ninja/swagger-ui-bundle.js")
    assert "http://" not in html


def test_the_site_footer_links_to_the_api_docs(client):
    html = client.get("/").content.decode()
    assert 'href="/api/v1/docs"' in html
