"""Previews are not predictions: `GET /` answers a passenger without writing anything, and
only a submitted form is logged. Through Django's test client."""

from __future__ import annotations

import logging
import re
from dataclasses import replace
from http import HTTPStatus

import pytest
from django.urls import reverse
from prometheus_client import REGISTRY

from ml_pipeline.schema import default_passenger, to_frame
from survival.models import Prediction
from survival.registry.services import model_version_deactivate, model_version_register

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
# What htmx sends for a change in the form's fields (the element that asked).
TYPING = {**HTMX, "HTTP_HX_TRIGGER": "passenger-fields"}
PERCENT = re.compile(r'class="probability">(\d{1,3}\.\d)%<')


def query(**changes) -> dict[str, str]:
    return {name: str(value) for name, value in {**default_passenger(), **changes}.items()}


def shown(html: str) -> str:
    match = PERCENT.search(html)
    assert match, "no probability on the page"
    return match.group(1)


def percent(trained, passenger: dict) -> str:
    return f"{trained.pipeline.predict_proba(to_frame([passenger]))[0, 1] * 100:.1f}"


def previews_counted(version: int) -> float:
    return REGISTRY.get_sample_value("titanic_previews_total", {"version": str(version)}) or 0.0


def test_twenty_previews_write_nothing_and_count_apart(client, active_version):
    before = previews_counted(active_version.version)
    for age in range(20, 40):
        response = client.get("/", query(age=age), **TYPING)
        assert response.status_code == HTTPStatus.OK
        assert PERCENT.search(response.content.decode())
    assert not Prediction.objects.exists()
    assert previews_counted(active_version.version) == before + 20
    client.post(reverse("survival:predict"), query(age=39), **HTMX)
    assert Prediction.objects.count() == 1
    assert previews_counted(active_version.version) == before + 20


def test_a_preview_from_the_fields_keeps_the_inputs_and_moves_the_address(
    client, active_version, trained_logreg
):
    response = client.get("/", query(age=7, fare=""), **TYPING)
    html = response.content.decode()
    # The visitor may still be typing: the inputs are not sent back, only the errors' and
    # the fare hint's slots, the card and the phone's summary.
    assert 'name="age"' not in html
    assert re.search(r'<div id="id_fare_hint"[^>]*hx-swap-oob="true"', html)
    assert re.search(r'<div id="answer-summary"[^>]*hx-swap-oob="true"', html)
    expected = percent(trained_logreg, {**default_passenger(), "age": 7, "fare": 8.05})
    assert shown(html) == expected
    # The address bar gets a link that reproduces the answer (the typical fare written out).
    address = response["HX-Replace-Url"]
    assert address == "/?pclass=3&sex=male&age=7&sibsp=0&parch=0&fare=8.05&embarked=S"
    assert shown(client.get(address).content.decode()) == expected


def test_a_refused_preview_leaves_the_address_and_the_answer(client, active_version):
    response = client.get("/", query(age="abc"), **TYPING)
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert response["HX-Reswap"] == "none"
    assert response["HX-Replace-Url"] == "false"
    assert "Enter the age as a number, e.g. 29." in response.content.decode()


def test_a_submitted_form_is_logged_and_the_address_follows_it(client, active_version):
    response = client.post(reverse("survival:predict"), query(pclass=1, sex="female"), **HTMX)
    logged = Prediction.objects.get()
    assert f"{logged.probability * 100:.1f}%" in response.content.decode()
    assert response["HX-Replace-Url"].startswith("/?pclass=1&sex=female&age=28&")


def test_the_first_visit_shows_the_typical_passengers_answer_without_logging(
    client, active_version, trained_logreg
):
    html = client.get("/").content.decode()
    typical = trained_logreg.training_context["median_fare"]["3"]
    assert shown(html) == percent(trained_logreg, {**default_passenger(), "fare": typical})
    # The fare is left empty, which means the class's typical fare, and the page says so.
    assert re.search(r'<input type="text" name="fare" class="form-control"', html)
    assert f"Empty: the typical 3rd-class fare, £{typical:.2f}, is used." in html
    assert f"the typical fare of the class, £{typical:.2f}, was used" in html
    assert 'data-typical-fares="1:60,2:15.05,3:8.05"' in html
    assert not Prediction.objects.exists()


CLASSES = [(1, "1st-class"), (2, "2nd-class"), (3, "3rd-class")]


@pytest.mark.parametrize(("pclass", "words"), CLASSES)
def test_an_empty_fare_is_the_classes_typical_fare_without_javascript(
    client, active_version, trained_logreg, pclass, words
):
    typical = trained_logreg.training_context["median_fare"][str(pclass)]
    response = client.post(reverse("survival:predict"), query(pclass=pclass, fare=""))
    assert response.status_code == HTTPStatus.OK
    html = response.content.decode()
    assert f"Empty: the typical {words} fare, £{typical:.2f}, is used." in html
    logged = Prediction.objects.get()
    assert logged.inputs["fare"] == typical
    expected = percent(trained_logreg, {**default_passenger(), "pclass": pclass, "fare": typical})
    assert shown(html) == expected


def test_the_fare_hint_says_whether_a_typed_fare_is_typical(client, active_version):
    typical = client.get("/", query(pclass=1, fare="60"), **TYPING).content.decode()
    assert "The typical 1st-class fare." in typical
    other = client.get("/", query(pclass=1, fare="8.05"), **TYPING).content.decode()
    assert "The typical 1st-class fare is £60.00." in other


def test_a_version_registered_without_a_context_still_answers(client, db, trained_logreg):
    bare = replace(trained_logreg, training_context={})
    model_version_register(result=bare, activate=True)
    html = client.get("/").content.decode()
    assert PERCENT.search(html)
    # No fare per class is known: the schema's default stands in, and the page says less.
    assert "Empty: a typical fare, £14.45, is used." in html
    assert "data-typical-fares" not in html
    assert 'class="base-rate"' not in html
    assert 'class="passengers-like"' not in html
    assert "learned from the passenger list of the 1912 sailing" in html


def test_the_paused_notice_tells_visitors_nothing_about_the_command_line(
    client, admin_client, active_version, caplog, monkeypatch
):
    model_version_deactivate(version=active_version)
    # The reason is logged at most once a minute per process; this test wants it now.
    monkeypatch.setattr("survival.predictions.views._paused_logged_at", float("-inf"))
    with caplog.at_level(logging.WARNING, logger="survival.predictions.views"):
        page = client.get("/")
    html = page.content.decode()
    assert page.status_code == HTTPStatus.OK
    assert "Predictions are paused" in html
    assert "manage.py" not in html
    # How to mend it goes to whoever runs the site: the server log and the admin's view.
    assert "manage.py train --activate" in caplog.text
    staff = admin_client.get("/").content.decode()
    assert "manage.py train --activate" in staff
    assert reverse("admin:survival_modelversion_changelist") in staff
