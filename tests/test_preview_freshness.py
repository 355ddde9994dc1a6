"""What the live preview keeps per process (the form's fields, the card's lines about a
version, the serving query's text) never hides a change to which version answers: another
process's change, made here as a bare UPDATE of the table behind the app's back, is seen by
the very next request. Through Django's test client."""

from __future__ import annotations

import re
from dataclasses import replace
from http import HTTPStatus

import pytest

from ml_pipeline.schema import default_passenger
from survival.models import ModelVersion, Prediction
from survival.registry.services import model_version_register

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
TYPING = {**HTMX, "HTTP_HX_TRIGGER": "passenger-fields"}
ANSWERED_BY = re.compile(r'data-version="(\d+)"')


def query(**changes) -> dict[str, str]:
    return {name: str(value) for name, value in {**default_passenger(), **changes}.items()}


def answered_by(html: str) -> int:
    match = ANSWERED_BY.search(html)
    assert match, "no answer on the page"
    number = int(match.group(1))
    assert f"model version {number}</a>" in html
    return number


@pytest.fixture
def second_version(active_version, trained_logreg):
    """Another version, trained on data whose typical 1st-class fare differs (so the page
    shows which version's facts it uses), not active."""
    context = dict(trained_logreg.training_context)
    context["median_fare"] = {**context["median_fare"], "1": 99.5}
    context["passengers"] = 1000
    context["survived"] = 500
    return model_version_register(result=replace(trained_logreg, training_context=context))


def activate_elsewhere(version: ModelVersion) -> None:
    """An activation as another host's process makes it: rows changed in the database, no
    code of this process told."""
    ModelVersion.objects.filter(is_active=True).update(is_active=False)
    ModelVersion.objects.filter(pk=version.pk).update(is_active=True)


def test_an_activation_elsewhere_is_answered_by_the_next_preview(
    client, active_version, second_version
):
    for age in (20, 21, 22):
        assert answered_by(client.get("/", query(age=age), **TYPING).content.decode()) == 1
    activate_elsewhere(second_version)
    html = client.get("/", query(age=23), **TYPING).content.decode()
    assert answered_by(html) == second_version.version
    # The card's facts are the new version's own.
    assert "<strong>50%</strong> of the 1,000 passengers on the list survived." in html
    activate_elsewhere(active_version)
    assert answered_by(client.get("/", query(age=24), **TYPING).content.decode()) == 1


def test_the_form_follows_the_answering_versions_typical_fares(
    client, active_version, second_version
):
    before = client.get("/", query(pclass=1, fare="")).content.decode()
    assert "1:99.5" not in before
    activate_elsewhere(second_version)
    after = client.get("/", query(pclass=1, fare="")).content.decode()
    assert re.search(r'data-typical-fares="1:99\.5,', after)
    assert "the typical fare of the class, £99.50, was used" in after


def test_a_deactivation_elsewhere_pauses_the_next_preview(client, active_version):
    assert answered_by(client.get("/", query(), **TYPING).content.decode()) == 1
    ModelVersion.objects.filter(pk=active_version.pk).update(is_active=False)
    response = client.get("/", query(age=30), **TYPING)
    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert "predictions are paused" in response.content.decode()


def test_a_version_marked_broken_elsewhere_is_checked_by_the_next_preview(client, active_version):
    assert answered_by(client.get("/", query(), **TYPING).content.decode()) == 1
    # Another process found the file unreadable; here the file is fine, so the next request
    # must see the mark, check the file again at once, answer, and record it mended.
    ModelVersion.objects.filter(pk=active_version.pk).update(
        broken_reason="The model file for version 1 cannot be read."
    )
    assert answered_by(client.get("/", query(age=30), **TYPING).content.decode()) == 1
    active_version.refresh_from_db()
    assert active_version.broken_reason == ""


def test_a_challenger_named_elsewhere_shadows_the_next_submission(
    client, active_version, second_version
):
    client.post("/predict/", query(), **HTMX)
    assert Prediction.objects.get().challenger is None
    ModelVersion.objects.filter(pk=second_version.pk).update(is_challenger=True)
    client.post("/predict/", query(age=31), **HTMX)
    assert Prediction.objects.latest("pk").challenger_id == second_version.pk
