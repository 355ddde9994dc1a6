"""The visitor's page, through Django's test client: the full page and the htmx partial."""

from __future__ import annotations

import re
from http import HTTPStatus

import pytest
from django.urls import reverse

from ml_pipeline.schema import default_passenger
from survival.models import Prediction
from survival.services import model_version_deactivate, model_version_register

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
PERCENT = re.compile(r"\d{1,3}\.\d%")


def passenger(**changes) -> dict[str, str]:
    return {name: str(value) for name, value in {**default_passenger(), **changes}.items()}


def test_the_page_has_a_form_that_works_with_and_without_htmx(client, active_version):
    response = client.get(reverse("survival:home"))
    assert response.status_code == HTTPStatus.OK
    html = response.content.decode()
    predict_url = reverse("survival:predict")
    assert f'action="{predict_url}"' in html
    assert f'hx-post="{predict_url}"' in html
    assert 'method="post"' in html
    assert 'aria-live="polite"' in html
    for name in default_passenger():
        assert f'name="{name}"' in html
    assert "htmx-2.min.js" in html
    assert "No model is available" not in html


def test_an_htmx_post_answers_with_the_result_partial(client, active_version):
    response = client.post(
        reverse("survival:predict"), passenger(pclass=1, sex="female", fare=80), **HTMX
    )
    assert response.status_code == HTTPStatus.OK
    html = response.content.decode()
    assert "<html" not in html
    assert "Survived" in html
    assert PERCENT.search(html)
    assert f"model version {active_version.version}" in html
    assert response["Vary"] == "HX-Request" or "HX-Request" in response["Vary"]
    assert Prediction.objects.count() == 1


def test_a_plain_post_answers_with_the_whole_page(client, active_version):
    response = client.post(reverse("survival:predict"), passenger())
    assert response.status_code == HTTPStatus.OK
    html = response.content.decode()
    assert "<html" in html
    assert "Did not survive" in html
    assert PERCENT.search(html)
    # The form comes back with the visitor's values, ready for the next question.
    assert 'name="age" value="28"' in html


def test_the_probability_shown_is_the_logged_one(client, active_version):
    response = client.post(reverse("survival:predict"), passenger(age=4, parch=2), **HTMX)
    logged = Prediction.objects.get()
    assert f"{logged.probability * 100:.1f}%" in response.content.decode()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"age": "-3"}, "Age must be at least 0."),
        ({"pclass": "7"}, "Ticket class must be one of"),
        ({"fare": "abc"}, "Fare must be a number between 0 and 600."),
        ({"age": "nan"}, "Age must be a number"),
        ({"sibsp": "1.5"}, "Siblings and spouses aboard must be a whole number"),
        ({"embarked": ""}, "Port of embarkation is required."),
    ],
)
@pytest.mark.parametrize("headers", [HTMX, {}], ids=["htmx", "plain"])
def test_invalid_input_shows_the_error_at_its_field_and_logs_nothing(
    client, active_version, changes, message, headers
):
    response = client.post(reverse("survival:predict"), passenger(**changes), **headers)
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    html = response.content.decode()
    field = next(iter(changes))
    # Inline: the error sits in the field's own feedback element, linked by aria-describedby.
    error_block = re.search(rf'id="id_{field}_error"[^>]*>(.*?)</div>', html, re.S)
    assert error_block
    assert message in error_block.group(1)
    assert re.search(rf'aria-describedby="[^"]*id_{field}_error', html)
    assert "Probability of survival" not in html
    assert not Prediction.objects.exists()


def test_a_missing_field_is_reported(client, active_version):
    data = passenger()
    del data["fare"]
    response = client.post(reverse("survival:predict"), data)
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert "Fare is required." in response.content.decode()
    assert not Prediction.objects.exists()


def test_without_a_model_the_page_says_so_and_still_shows_the_form(client):
    response = client.get(reverse("survival:home"))
    assert response.status_code == HTTPStatus.OK
    html = response.content.decode()
    assert "No model is available right now" in html
    assert 'name="age"' in html


@pytest.mark.parametrize("headers", [HTMX, {}], ids=["htmx", "plain"])
def test_without_a_model_a_submission_gets_a_readable_503(client, active_version, headers):
    model_version_deactivate(version=active_version)
    response = client.post(reverse("survival:predict"), passenger(), **headers)
    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert "No model is available right now" in response.content.decode()
    assert not Prediction.objects.exists()


def test_the_next_answer_after_an_activation_names_the_new_version(
    client, active_version, trained_forest
):
    first = client.post(reverse("survival:predict"), passenger(), **HTMX).content.decode()
    assert f"model version {active_version.version} (Logistic regression)" in first
    forest = model_version_register(result=trained_forest, activate=True)
    second = client.post(reverse("survival:predict"), passenger(), **HTMX).content.decode()
    assert f"model version {forest.version} (Random forest)" in second


def test_reloading_the_result_address_returns_to_the_form(client):
    response = client.get(reverse("survival:predict"))
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == reverse("survival:home")
