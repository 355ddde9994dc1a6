"""Hostile and malformed input, generated (hypothesis) for every field of the form and the API:
never a 5xx, errors name the field, nothing logged for a refused request, nothing echoed
unescaped."""

from __future__ import annotations

import json
import math
import re
import string
from collections import Counter
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ml_pipeline.schema import FEATURE_NAMES, FEATURES_BY_NAME, default_passenger
from survival.models import Prediction

pytestmark = pytest.mark.django_db

HYPOTHESIS = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
PREDICT = reverse("survival:predict")
API = "/api/v1/predict"

# Kinds of value tried, per channel and field, printed at the end of the module (pytest -s).
TRIED: Counter[tuple[str, str, str]] = Counter()

# Payloads that would run script if they reached the page unescaped; {m} is a random marker
# so that the payload cannot already be part of the page.
HTML_PAYLOADS = [
    "<script>alert('{m}')</script>",
    '"><img src=x onerror=alert("{m}")>',
    "'><svg onload=alert('{m}')>",
    "</textarea><script>{m}</script>",
    '<a href="javascript:{m}">x</a>',
    "{{{{ {m} }}}}<b>{m}</b>",
]


@dataclass(frozen=True)
class Hostile:
    """A value to send, its kind, and whether no rule could ever accept it."""

    value: Any
    kind: str
    surely_invalid: bool


def html_payloads() -> st.SearchStrategy[Hostile]:
    marker = st.text(alphabet=string.ascii_letters, min_size=10, max_size=10)
    return st.builds(
        lambda template, m: Hostile(template.format(m=m), "html", True),
        st.sampled_from(HTML_PAYLOADS),
        marker,
    )


def form_values() -> st.SearchStrategy[Hostile]:
    """Text as a browser (or anyone with curl) can send it in a form field."""
    return st.one_of(
        st.integers(min_value=10**7, max_value=10**40).map(lambda n: Hostile(str(n), "huge", True)),
        st.integers(max_value=-1).map(lambda n: Hostile(str(n), "negative", True)),
        st.sampled_from(["nan", "NaN", "inf", "-inf", "Infinity", "1e309", "-1e309"]).map(
            lambda text: Hostile(text, "nan-inf", True)
        ),
        st.sampled_from(["", " ", "\t", "\n"]).map(lambda text: Hostile(text, "empty", True)),
        st.text(max_size=40).map(lambda text: Hostile(text, "unicode", False)),
        st.integers(min_value=2_000, max_value=60_000).map(
            lambda n: Hostile("9" * n, "very-long", True)
        ),
        st.integers(min_value=2_000, max_value=60_000).map(
            lambda n: Hostile("é<" * (n // 2), "very-long", True)
        ),
        html_payloads(),
        st.floats(allow_nan=False, allow_infinity=False).map(
            lambda x: Hostile(repr(x), "float", False)
        ),
    )


def json_values() -> st.SearchStrategy[Hostile]:
    """Any JSON value (and Python's NaN and Infinity tokens, which json.loads accepts)."""
    scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=20))
    return st.one_of(
        st.integers(min_value=10**7, max_value=10**40).map(lambda n: Hostile(n, "huge", True)),
        st.integers(max_value=-1).map(lambda n: Hostile(n, "negative", True)),
        st.sampled_from([math.nan, math.inf, -math.inf]).map(lambda x: Hostile(x, "nan-inf", True)),
        st.sampled_from(["", " "]).map(lambda text: Hostile(text, "empty", True)),
        st.text(max_size=40).map(lambda text: Hostile(text, "unicode", False)),
        st.integers(min_value=2_000, max_value=60_000).map(
            lambda n: Hostile("9" * n, "very-long", True)
        ),
        html_payloads(),
        st.floats().map(lambda x: Hostile(x, "float", False)),
        st.none().map(lambda _: Hostile(None, "null", True)),
        st.booleans().map(lambda b: Hostile(b, "boolean", False)),
        st.lists(scalars, max_size=3).map(lambda items: Hostile(items, "list", True)),
        st.dictionaries(st.text(max_size=5), scalars, max_size=3).map(
            lambda d: Hostile(d, "object", True)
        ),
    )


@st.composite
def corruptions(draw, values: st.SearchStrategy[Hostile]) -> dict[str, tuple[str, Hostile]]:
    """Some fields of an otherwise valid passenger: each sent hostile, missing, or twice."""
    fields = draw(st.lists(st.sampled_from(FEATURE_NAMES), min_size=1, max_size=7, unique=True))
    return {
        field: (draw(st.sampled_from(["value", "missing", "duplicate"])), draw(values))
        for field in fields
    }


def markers(corrupted: dict[str, tuple[str, Hostile]]) -> list[str]:
    return [h.value for how, h in corrupted.values() if how != "missing" and h.kind == "html"]


@pytest.fixture(scope="module", autouse=True)
def report_tried():
    yield
    for (channel, field, kind), count in sorted(TRIED.items()):
        print(f"hostile input tried: {channel} {field} {kind}: {count}")


# --- the form ------------------------------------------------------------------------------

ERROR_LINK = re.compile(r'<a href="#id_(\w+)" class="alert-link">([^<]*)</a>')


@HYPOTHESIS
@given(corrupted=corruptions(form_values()), htmx=st.booleans())
def test_the_form_survives_hostile_values(client, active_version, corrupted, htmx):
    data: dict[str, Any] = {name: str(value) for name, value in default_passenger().items()}
    must_fail = set()
    for field, (how, hostile) in corrupted.items():
        TRIED["form", field, "missing" if how == "missing" else hostile.kind] += 1
        if how == "missing":
            del data[field]
            # A missing or empty fare is the class's typical fare.
            if field != "fare":
                must_fail.add(field)
        elif how == "duplicate":
            # Django reads the last of repeated fields.
            data[field] = [data[field], hostile.value]
            TRIED["form", field, "duplicated"] += 1
        else:
            data[field] = hostile.value
        # An empty fare is the class's typical fare, so only a fare with text surely fails.
        fare_left_empty = field == "fare" and not str(hostile.value).strip()
        if how != "missing" and hostile.surely_invalid and not fare_left_empty:
            must_fail.add(field)
    logged = Prediction.objects.count()
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    response = client.post(PREDICT, data, **headers)
    body = response.content.decode()

    assert response.status_code in {HTTPStatus.OK, HTTPStatus.UNPROCESSABLE_ENTITY}
    if response.status_code == HTTPStatus.OK:
        assert not must_fail
        assert Prediction.objects.count() == logged + 1
    else:
        assert Prediction.objects.count() == logged
        named = {field: text for field, text in ERROR_LINK.findall(body)}
        assert must_fail <= set(named) <= set(corrupted)
        for field, text in named.items():
            # Each message names its field ("Age must be at least 0.", "Enter the age as …").
            assert FEATURES_BY_NAME[field].label.lower() in text.lower(), text
    for payload in markers(corrupted):
        assert payload not in body
    assert body.count("<script") == (0 if htmx else 3)


# --- the API -------------------------------------------------------------------------------


def json_body(fields: list[tuple[str, Any]]) -> str:
    # Written by hand so that a key can appear twice, as a hostile client may send it.
    return "{" + ", ".join(f"{json.dumps(k)}: {json.dumps(v)}" for k, v in fields) + "}"


def surely_invalid_json(field: str, hostile: Hostile) -> bool:
    if hostile.surely_invalid:
        return True
    feature = FEATURES_BY_NAME[field]
    value = hostile.value
    if isinstance(value, str):
        return feature.kind != "category" or value not in feature.choice_values
    if isinstance(value, float) and feature.kind != "category":
        return not feature.minimum <= value <= feature.maximum or (
            feature.kind == "integer" and not value.is_integer()
        )
    return False


@HYPOTHESIS
@given(corrupted=corruptions(json_values()))
def test_the_api_survives_hostile_values(client, active_version, corrupted):
    fields: list[tuple[str, Any]] = []
    must_fail = set()
    for field, value in default_passenger().items():
        if field not in corrupted:
            fields.append((field, value))
            continue
        how, hostile = corrupted[field]
        TRIED["api", field, "missing" if how == "missing" else hostile.kind] += 1
        if how == "missing":
            must_fail.add(field)
            continue
        if how == "duplicate":
            # json.loads keeps the last of repeated keys.
            fields.append((field, value))
            TRIED["api", field, "duplicated"] += 1
        fields.append((field, hostile.value))
        if surely_invalid_json(field, hostile):
            must_fail.add(field)
    logged = Prediction.objects.count()
    response = client.post(API, json_body(fields), content_type="application/json")

    assert response.status_code in {HTTPStatus.OK, HTTPStatus.UNPROCESSABLE_ENTITY}
    assert response["Content-Type"] == "application/json; charset=utf-8"
    if response.status_code == HTTPStatus.OK:
        assert not must_fail
        assert Prediction.objects.count() == logged + 1
    else:
        assert Prediction.objects.count() == logged
        errors = response.json()["errors"]
        named = {error["field"] for error in errors}
        assert must_fail <= named <= set(corrupted)
        for error in errors:
            assert error["message"].startswith(f"{error['field']}: ")


@HYPOTHESIS
@given(
    content_type=st.sampled_from(
        [
            "text/plain",
            "text/html",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=zz",
            "application/xml",
            "application/octet-stream",
            "",
        ]
    ),
    body=st.one_of(
        st.binary(min_size=1, max_size=200),
        st.just(json.dumps(default_passenger()).encode()),
        st.text(min_size=1, max_size=200).map(str.encode),
    ),
)
def test_the_api_refuses_bodies_that_are_not_declared_json(
    client, active_version, content_type, body
):
    TRIED["api", "content-type", content_type or "none"] += 1
    logged = Prediction.objects.count()
    response = client.post(API, body, content_type=content_type)
    assert response.status_code == HTTPStatus.UNSUPPORTED_MEDIA_TYPE
    assert "Content-Type: application/json" in response.json()["detail"]
    assert Prediction.objects.count() == logged


@HYPOTHESIS
@given(body=st.binary(max_size=300))
def test_the_api_never_fails_on_arbitrary_bytes_declared_json(client, active_version, body):
    TRIED["api", "body", "arbitrary-bytes"] += 1
    logged = Prediction.objects.count()
    response = client.post(API, body, content_type="application/json")
    assert response.status_code < HTTPStatus.INTERNAL_SERVER_ERROR
    assert response.status_code != HTTPStatus.OK or Prediction.objects.count() == logged + 1
    if response.status_code != HTTPStatus.OK:
        assert Prediction.objects.count() == logged


@HYPOTHESIS
@given(corrupted=corruptions(form_values()))
def test_a_query_string_with_hostile_values_never_fails(client, active_version, corrupted):
    # The home page answers a passenger given in its address (preset links, shared links).
    query = {name: str(value) for name, value in default_passenger().items()}
    for field, (how, hostile) in corrupted.items():
        TRIED["query", field, "missing" if how == "missing" else hostile.kind] += 1
        if how == "missing":
            del query[field]
        else:
            query[field] = hostile.value[:2000]
    response = client.get(reverse("survival:home"), query)
    assert response.status_code in {HTTPStatus.OK, HTTPStatus.UNPROCESSABLE_ENTITY}
    body = response.content.decode()
    for payload in markers(corrupted):
        assert payload[:2000] not in body


@pytest.mark.parametrize("template", HTML_PAYLOADS)
@pytest.mark.parametrize("field", FEATURE_NAMES)
def test_every_field_escapes_every_html_payload(client, active_version, field, template):
    payload = template.format(m="Zq7Marker")
    TRIED["form+api", field, "html (fixed)"] += 1
    data = {name: str(value) for name, value in default_passenger().items()}
    data[field] = payload
    for headers in ({}, {"HTTP_HX_REQUEST": "true"}):
        response = client.post(PREDICT, data, **headers)
        assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
        body = response.content.decode()
        assert payload not in body
        assert [name for name, _ in ERROR_LINK.findall(body)] == [field]
    api = client.post(API, {**default_passenger(), field: payload}, content_type="application/json")
    assert api.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert [error["field"] for error in api.json()["errors"]] == [field]
    assert not Prediction.objects.exists()
