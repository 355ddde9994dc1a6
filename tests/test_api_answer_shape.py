"""The prediction answer, which is rendered without ninja validating it (endpoints.py), is
exactly what the OpenAPI document declares, for one passenger or a batch, explained or not."""

from __future__ import annotations

from http import HTTPStatus

import pytest

from survival.api.schemas import BatchPredictionOut, PredictionOut
from tests.test_api import passenger, post

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("body", "schema"),
    [
        (passenger(), PredictionOut),
        ({**passenger(pclass=1, sex="female"), "explain": True}, PredictionOut),
        ({"passengers": [passenger(), passenger(age=4)]}, BatchPredictionOut),
        ({"passengers": [passenger(), passenger(age=4)], "explain": True}, BatchPredictionOut),
    ],
)
def test_every_answer_is_exactly_what_the_openapi_document_declares(
    client, active_version, body, schema
):
    response = post(client, body)
    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"] == "application/json; charset=utf-8"
    # Strict: a verdict must be a JSON boolean, an id an integer, not just something that
    # converts to one.
    answer = schema.model_validate_json(response.content, strict=True)
    # Nothing more than the schema's fields, and "baseline"/"contributions" only if asked.
    assert response.json() == answer.model_dump(exclude_none=True)
    explained = [answer] if schema is PredictionOut else answer.predictions
    assert all((one.contributions is not None) == body.get("explain", False) for one in explained)
