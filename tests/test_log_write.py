"""The prediction log's one-row INSERT (built once per process) stores what `bulk_create`
stores, and hands back the new row's id, on SQLite and on PostgreSQL alike."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from ml_pipeline.schema import default_passenger
from survival.models import Prediction
from survival.predictions.log_write import predictions_log

pytestmark = pytest.mark.django_db


def row(version, **changes) -> Prediction:
    return Prediction(
        model_version=version,
        inputs={**default_passenger(), **changes},
        probability=0.25,
        survived=False,
        channel=Prediction.Channel.API,
        api_key_name="partner",
    )


def stored(prediction: Prediction) -> dict:
    fields = ("model_version_id", "inputs", "probability", "survived", "channel")
    return {name: getattr(prediction, name) for name in (*fields, "api_key_name", "outcome")}


def test_one_row_is_stored_as_bulk_create_stores_it(active_version):
    before = timezone.now()
    quick = row(active_version, age=7.5)
    predictions_log([quick])
    reference = row(active_version, age=7.5)
    Prediction.objects.bulk_create([reference])
    assert quick.pk is not None
    assert quick.pk != reference.pk
    saved, expected = Prediction.objects.get(pk=quick.pk), Prediction.objects.get(pk=reference.pk)
    assert stored(saved) == stored(expected)
    assert saved.inputs["age"] == 7.5
    assert before <= saved.created_at <= timezone.now() + timedelta(seconds=1)
    assert saved.challenger_id is None
    assert saved.challenger_probability is None


def test_each_row_gets_its_own_id(active_version):
    singles = [row(active_version, age=age) for age in (1, 2, 3)]
    for single in singles:
        predictions_log([single])
    batch = [row(active_version, age=age) for age in (4, 5)]
    predictions_log(batch)
    ids = [prediction.pk for prediction in (*singles, *batch)]
    assert len(set(ids)) == 5
    for prediction in (*singles, *batch):
        assert Prediction.objects.get(pk=prediction.pk).inputs["age"] == prediction.inputs["age"]
