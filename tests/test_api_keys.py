"""API keys as a program sees them: issued by the command (printed once, only its hash
kept), sent as a bearer token, logged by name, refused when revoked or unknown, required
when API_REQUIRE_KEY is on, and limited per key."""

from __future__ import annotations

import io
import json
from http import HTTPStatus

import pytest
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.db import connection

from survival.api.errors import TOO_MANY_REQUESTS
from survival.apikeys.services import (
    KEY_INVALID,
    KEY_NOT_FOUND,
    KEY_REQUIRED,
    KEY_REVOKED,
    NAME_TAKEN,
    RATE_FORMAT,
    api_key_create,
    api_key_revoke,
    key_digest,
)
from survival.models import ApiKey, Prediction
from tests.test_api import passenger, post

pytestmark = pytest.mark.django_db

FEEDBACK = "/api/v1/predictions/{prediction_id}/feedback"


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    yield
    cache.clear()


def create_key(name: str, *options: str) -> str:
    """The key `manage.py api_key create` prints, as a person would copy it."""
    out, err = io.StringIO(), io.StringIO()
    call_command("api_key", "create", name, *options, stdout=out, stderr=err)
    assert name in err.getvalue()
    return out.getvalue().strip()


def bearer(key: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


def every_stored_value() -> str:
    """Every column of every row of every table, as text."""
    seen = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            seen.extend(str(value) for row in cursor.fetchall() for value in row)
    return "\n".join(seen)


# --- issuing ------------------------------------------------------------------------------


def test_the_command_prints_the_key_once_and_stores_only_its_hash():
    key = create_key("notebook", "--rate", "30/min")
    stored = ApiKey.objects.get()
    assert stored.name == "notebook"
    assert stored.rate == "30/min"
    assert stored.key_sha256 == key_digest(key)
    assert key.startswith(stored.prefix)
    assert len(key) > 40
    assert key not in every_stored_value()
    listed = io.StringIO()
    call_command("api_key", "list", stdout=listed)
    assert "notebook" in listed.getvalue()
    assert f"{stored.prefix}…" in listed.getvalue()
    assert key not in listed.getvalue()


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["create", "taken"], NAME_TAKEN.format(name="taken")),
        (["create", "new", "--rate", "10/week"], RATE_FORMAT.format(rate="10/week")),
        (["create", "new", "--rate", "0/min"], RATE_FORMAT.format(rate="0/min")),
        (["create", "   "], "name: an API key needs a name"),
        (["create", "semi;colon"], "name: only letters, digits"),
        (["revoke", "nobody"], KEY_NOT_FOUND.format(name="nobody")),
    ],
)
def test_bad_command_input_names_the_rule_and_writes_nothing(arguments, message):
    api_key_create(name="taken")
    before = list(ApiKey.objects.values())
    with pytest.raises(CommandError, match="^" + message[:30].replace("(", r"\(")):
        call_command("api_key", *arguments, stdout=io.StringIO(), stderr=io.StringIO())
    assert list(ApiKey.objects.values()) == before


def test_revoking_twice_is_refused_and_keeps_the_first_time():
    api_key_create(name="old")
    call_command("api_key", "revoke", "old", stdout=io.StringIO())
    first = ApiKey.objects.get().revoked_at
    with pytest.raises(CommandError, match="already revoked"):
        call_command("api_key", "revoke", "old", stdout=io.StringIO())
    assert ApiKey.objects.get().revoked_at == first


# --- calling with a key -------------------------------------------------------------------


def test_a_call_with_a_key_is_answered_and_logged_with_the_keys_name(client, active_version):
    key = create_key("notebook")
    response = post(client, passenger(), **bearer(key))
    assert response.status_code == HTTPStatus.OK
    logged = Prediction.objects.get()
    assert logged.pk == response.json()["prediction_id"]
    assert logged.api_key_name == "notebook"
    assert key not in every_stored_value()
    batch = post(client, {"passengers": [passenger(), passenger(age=3)]}, **bearer(key))
    assert batch.status_code == HTTPStatus.OK
    assert list(Prediction.objects.values_list("api_key_name", flat=True)) == ["notebook"] * 3


def test_an_anonymous_call_is_logged_without_a_name(client, active_version):
    assert post(client, passenger()).status_code == HTTPStatus.OK
    assert Prediction.objects.get().api_key_name == ""


def test_feedback_takes_the_key_too(client, active_version):
    key = create_key("notebook")
    prediction_id = post(client, passenger(), **bearer(key)).json()["prediction_id"]
    url = FEEDBACK.format(prediction_id=prediction_id)
    body = json.dumps({"survived": True})
    answer = client.post(url, body, content_type="application/json", **bearer(key))
    assert answer.status_code == HTTPStatus.OK
    api_key_revoke(name="notebook")
    refused = client.post(url, body, content_type="application/json", **bearer(key))
    assert refused.status_code == HTTPStatus.UNAUTHORIZED


def test_a_revoked_key_gets_401_with_the_challenge_and_nothing_is_written(client, active_version):
    key = create_key("notebook")
    call_command("api_key", "revoke", "notebook", stdout=io.StringIO())
    response = post(client, passenger(), **bearer(key))
    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response["WWW-Authenticate"] == 'Bearer realm="api", error="invalid_token"'
    assert response.json() == {"detail": KEY_REVOKED}
    assert not Prediction.objects.exists()


@pytest.mark.parametrize("sent", ["tsp_not-a-key-at-all", "", "   "])
def test_an_unknown_key_gets_401_even_when_keys_are_optional(client, active_version, sent):
    create_key("notebook")
    response = post(client, passenger(), HTTP_AUTHORIZATION=f"Bearer {sent}")
    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response["WWW-Authenticate"] == 'Bearer realm="api", error="invalid_token"'
    assert response.json() == {"detail": KEY_INVALID}
    assert not Prediction.objects.exists()


def test_another_scheme_is_not_a_key(client, active_version):
    response = post(client, passenger(), HTTP_AUTHORIZATION="Basic dXNlcjpwYXNz")
    assert response.status_code == HTTPStatus.OK
    assert Prediction.objects.get().api_key_name == ""


# --- API_REQUIRE_KEY ----------------------------------------------------------------------


def test_with_keys_required_an_anonymous_call_gets_401_and_nothing_is_written(
    client, active_version, settings
):
    settings.API_REQUIRE_KEY = True
    response = post(client, passenger())
    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert response.json() == {"detail": KEY_REQUIRED}
    feedback = client.post(
        FEEDBACK.format(prediction_id=1), {"survived": True}, content_type="application/json"
    )
    assert feedback.status_code == HTTPStatus.UNAUTHORIZED
    assert not Prediction.objects.exists()
    # The model list shows what the public model pages show: no key needed.
    assert client.get("/api/v1/models").status_code == HTTPStatus.OK
    key = create_key("notebook")
    assert post(client, passenger(), **bearer(key)).status_code == HTTPStatus.OK
    assert Prediction.objects.get().api_key_name == "notebook"


# --- rates --------------------------------------------------------------------------------


def test_each_key_has_its_own_limit_apart_from_anonymous_calls(client, active_version, settings):
    settings.API_PREDICT_RATE = "2/min"
    first = create_key("first", "--rate", "3/min")
    second = create_key("second", "--rate", "1/min")

    def statuses(count: int, **headers: str) -> list[int]:
        return [post(client, passenger(), **headers).status_code for _ in range(count)]

    ok, too_many = HTTPStatus.OK, HTTPStatus.TOO_MANY_REQUESTS
    assert statuses(4, **bearer(first)) == [ok, ok, ok, too_many]
    assert statuses(2, **bearer(second)) == [ok, too_many]
    # Anonymous calls from the same address still have their own two.
    assert statuses(3) == [ok, ok, too_many]
    refused = post(client, passenger(), **bearer(first))
    assert refused.json() == {
        "detail": TOO_MANY_REQUESTS.format(seconds=int(refused["Retry-After"]))
    }
    assert Prediction.objects.count() == 6
    assert Prediction.objects.filter(api_key_name="first").count() == 3


def test_a_key_without_its_own_rate_follows_api_key_rate(client, active_version, settings):
    settings.API_KEY_RATE = "2/min"
    key = create_key("notebook")
    statuses = [post(client, passenger(), **bearer(key)).status_code for _ in range(3)]
    assert statuses == [HTTPStatus.OK, HTTPStatus.OK, HTTPStatus.TOO_MANY_REQUESTS]


def test_a_keyed_call_reads_the_key_once_and_writes_only_the_prediction(
    client, active_version, django_assert_max_num_queries
):
    key = create_key("notebook")
    post(client, passenger(), **bearer(key))  # the first use is recorded
    with django_assert_max_num_queries(3) as captured:
        assert post(client, passenger(), **bearer(key)).status_code == HTTPStatus.OK
    key_queries = [q["sql"] for q in captured.captured_queries if "apikey" in q["sql"]]
    assert len(key_queries) == 1
    assert key_queries[0].lstrip().upper().startswith("SELECT")


# --- the OpenAPI document -----------------------------------------------------------------


def test_the_openapi_document_shows_the_bearer_scheme(client, settings):
    document = client.get("/api/v1/openapi.json").json()
    schemes = document["components"]["securitySchemes"]
    assert {"type": "http", "scheme": "bearer"}.items() <= schemes["ApiKeyBearer"].items()
    # Optional ({}: no key is one choice) until keys are required.
    predict = document["paths"]["/api/v1/predict"]["post"]
    assert predict["security"] == [{}, {"ApiKeyBearer": []}]
    assert "401" in predict["responses"]
    assert "security" not in document["paths"]["/api/v1/models"]["get"]
    settings.API_REQUIRE_KEY = True
    document = client.get("/api/v1/openapi.json").json()
    for path in ("/api/v1/predict", "/api/v1/predictions/{prediction_id}/feedback"):
        assert document["paths"][path]["post"]["security"] == [{"ApiKeyBearer": []}]
