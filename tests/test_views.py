"""The visitor's page, through Django's test client: the full page and the htmx partial."""

from __future__ import annotations

import re
from http import HTTPStatus

import pytest
from django.urls import reverse

from ml_pipeline.schema import default_passenger
from survival.models import Prediction
from survival.registry.services import model_version_deactivate, model_version_register

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
    # Changing a field asks the page itself for a preview, and the address bar follows.
    assert re.search(r'id="passenger-fields"[^>]*hx-get="/"[^>]*hx-replace-url="true"', html)
    assert 'aria-live="polite"' in html
    for name in default_passenger():
        assert f'name="{name}"' in html
    assert "htmx-2.min.js" in html
    assert "Predictions are paused" not in html


def test_an_htmx_post_answers_with_the_result_partial(client, active_version):
    response = client.post(
        reverse("survival:predict"), passenger(pclass=1, sex="female", fare=80), **HTMX
    )
    assert response.status_code == HTTPStatus.OK
    html = response.content.decode()
    assert "<html" not in html
    assert "Likely to survive" in html
    assert PERCENT.search(html)
    assert f"model version {active_version.version}" in html
    assert response["Vary"] == "HX-Request" or "HX-Request" in response["Vary"]
    assert Prediction.objects.count() == 1


def test_a_plain_post_answers_with_the_whole_page(client, active_version):
    response = client.post(reverse("survival:predict"), passenger())
    assert response.status_code == HTTPStatus.OK
    html = response.content.decode()
    assert "<html" in html
    assert "Unlikely to survive" in html
    assert PERCENT.search(html)
    # The form comes back with the visitor's values, ready for the next question.
    assert 'name="age" value="28"' in html


def test_the_probability_shown_is_the_logged_one(client, active_version):
    response = client.post(reverse("survival:predict"), passenger(age=4, parch=2), **HTMX)
    logged = Prediction.objects.get()
    assert f"{logged.probability * 100:.1f}%" in response.content.decode()


INVALID = [
    ({"age": "-3"}, "Age must be at least 0."),
    ({"pclass": "7"}, "Ticket class must be one of"),
    ({"fare": "abc"}, "Enter the fare as a number, e.g. 26."),
    ({"age": "abc"}, "Enter the age as a number, e.g. 29."),
    ({"age": "nan"}, "Enter the age as a number, e.g. 29."),
    ({"sibsp": "1.5"}, "Enter the siblings and spouses aboard as a whole number, e.g. 1."),
    ({"embarked": ""}, "Port of embarkation is required."),
]


def error_slot(html: str, field: str) -> str:
    slot = re.search(rf'<div id="id_{field}_error"[^>]*>(.*?)</div>', html, re.S)
    assert slot, f"no error slot for {field}"
    return slot.group(0)


def test_every_input_is_described_by_its_help_and_its_error_slot(client, active_version):
    html = client.get(reverse("survival:home")).content.decode()
    for name in default_passenger():
        hint = f" id_{name}_hint" if name == "fare" else ""
        assert re.search(rf'aria-describedby="id_{name}_helptext{hint} id_{name}_error"', html)
        assert error_slot(html, name)


@pytest.mark.parametrize(("changes", "message"), INVALID)
def test_invalid_input_without_htmx_shows_the_page_with_inline_errors(
    client, active_version, changes, message
):
    response = client.post(reverse("survival:predict"), passenger(**changes))
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    html = response.content.decode()
    field = next(iter(changes))
    assert message in error_slot(html, field)
    assert re.search(rf'aria-invalid="true"[^>]*id="id_{field}"', html)
    assert "Probability of survival" not in html
    assert not Prediction.objects.exists()


@pytest.mark.parametrize(("changes", "message"), INVALID)
def test_invalid_input_with_htmx_fills_the_error_slot_and_keeps_the_last_result(
    client, active_version, changes, message
):
    response = client.post(reverse("survival:predict"), passenger(**changes), **HTMX)
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    # The main swap is cancelled, so the last good result stays on the page ...
    assert response["HX-Reswap"] == "none"
    html = response.content.decode()
    field = next(iter(changes))
    # ... while the field's error slot and the status are replaced out of band.
    slot = error_slot(html, field)
    assert message in slot
    assert 'hx-swap-oob="true"' in slot
    assert re.search(r'id="result-status" class="result-status is-stale" hx-swap-oob="true"', html)
    # The inputs themselves are not sent back: the visitor may still be typing.
    assert 'name="age"' not in html
    assert "Probability of survival" not in html
    assert not Prediction.objects.exists()


def test_a_valid_htmx_answer_clears_every_error_slot(client, active_version):
    html = client.post(reverse("survival:predict"), passenger(), **HTMX).content.decode()
    # One empty element swapped into every error slot of the fields (htmx's
    # "innerHTML:<selector>" out-of-band swap) rather than seven empty slots.
    assert '<div hx-swap-oob="innerHTML:#passenger-fields .field-error"></div>' in html
    assert "_error" not in html
    page = client.get(reverse("survival:home")).content.decode()
    for name in default_passenger():
        assert re.search(rf'<div id="passenger-fields".*id="id_{name}_error"', page, re.S)
    assert 'id="result-status" class="result-status" hx-swap-oob="true"' in html


def test_a_missing_field_is_reported(client, active_version):
    data = passenger()
    del data["age"]
    response = client.post(reverse("survival:predict"), data)
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert "Age is required." in response.content.decode()
    assert not Prediction.objects.exists()


def test_without_a_model_the_page_says_so_and_still_shows_the_form(client):
    response = client.get(reverse("survival:home"))
    assert response.status_code == HTTPStatus.OK
    html = response.content.decode()
    assert "Predictions are paused" in html
    assert 'name="age"' in html


@pytest.mark.parametrize("headers", [HTMX, {}], ids=["htmx", "plain"])
def test_without_a_model_a_submission_gets_a_readable_503(client, active_version, headers):
    model_version_deactivate(version=active_version)
    response = client.post(reverse("survival:predict"), passenger(), **headers)
    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert "predictions are paused" in response.content.decode()
    assert not Prediction.objects.exists()


def test_the_next_answer_after_an_activation_names_the_new_version(
    client, active_version, trained_forest
):
    first = client.post(reverse("survival:predict"), passenger(), **HTMX).content.decode()
    assert f"model version {active_version.version}</a> (Logistic regression)" in first
    forest = model_version_register(result=trained_forest, activate=True)
    second = client.post(reverse("survival:predict"), passenger(), **HTMX).content.decode()
    assert f"model version {forest.version}</a> (Random forest)" in second


def test_reloading_the_result_address_returns_to_the_form(client):
    response = client.get(reverse("survival:predict"))
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == reverse("survival:home")


def test_the_card_explains_the_answer_from_a_baseline_with_signed_points(client, active_version):
    html = client.post(
        reverse("survival:predict"), passenger(sex="female", pclass=1), **HTMX
    ).content.decode()
    lines = re.findall(r'data-feature="(\w+)"', html)
    # The largest pushes, then the other inputs in one line.
    assert 2 <= len(lines) <= 4
    assert "sex" in lines
    assert lines[-1] == "other"
    assert re.search(r"An average passenger:</span> <strong class=\"baseline\">\d+\.\d%", html)
    assert re.search(
        r"Sex: Female</span>\s*<span class=\"points\" aria-hidden=\"true\">\+\d+\.\d pts", html
    )
    assert "raised the probability by" in html
    assert "Other inputs" in html


def test_preset_links_fill_the_form_and_answer_without_javascript(client, active_version):
    from survival.predictions.presets import PRESETS

    page = client.get(reverse("survival:home")).content.decode()
    woman = PRESETS[0]
    assert f'href="/?{woman.query.replace("&", "&amp;")}"' in page
    response = client.get(f"/?{woman.query}")
    assert response.status_code == HTTPStatus.OK
    html = response.content.decode()
    assert "<html" in html
    assert '<option value="female" selected>' in html
    assert 'name="age" value="38"' in html
    assert PERCENT.search(html)
    # Reading a page is not a prediction: nothing is logged.
    assert not Prediction.objects.exists()


def test_a_shared_address_shows_the_answer_without_logging_with_or_without_htmx(
    client, active_version
):
    from survival.predictions.presets import PRESETS

    for preset in PRESETS:
        assert PERCENT.search(client.get(f"/?{preset.query}").content.decode())
        assert PERCENT.search(client.get(f"/?{preset.query}", **HTMX).content.decode())
        assert client.head(f"/?{preset.query}").status_code == HTTPStatus.OK
    assert not Prediction.objects.exists()
    # A submitted form is a prediction.
    client.post(reverse("survival:predict"), dict(PRESETS[0].passenger))
    assert Prediction.objects.count() == 1


def test_a_preset_with_htmx_replaces_the_form_and_the_card(client, active_version):
    from survival.predictions.presets import PRESETS

    html = client.get(f"/?{PRESETS[1].query}", **HTMX).content.decode()
    assert "<html" not in html
    assert re.search(r'<form id="passenger-form"[^>]*hx-swap-oob="true"', html, re.S)
    assert PERCENT.search(html)


def test_an_invalid_query_string_is_refused_with_inline_errors(client, active_version):
    response = client.get("/?pclass=9&sex=female&age=30&sibsp=0&parch=0&fare=10&embarked=S")
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert "Ticket class must be one of" in error_slot(response.content.decode(), "pclass")
    assert not Prediction.objects.exists()
