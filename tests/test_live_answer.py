"""The answer to a keystroke is built without the template engine (survival/predictions/card.py);
it must be exactly what home.html's `htmx-answer` partial renders for the same passenger, so
the page has one markup whichever way it is drawn."""

from __future__ import annotations

import re
from http import HTTPStatus

import pytest
from django.template.loader import render_to_string
from django.test import RequestFactory

from ml_pipeline.schema import default_passenger
from survival.predictions.forms import PassengerForm
from survival.predictions.version_page import version_page
from survival.predictions.views import HTMX_ANSWER, answer_context
from survival.registry import selectors

pytestmark = pytest.mark.django_db

TYPING = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TRIGGER": "passenger-fields"}

PASSENGERS = [
    {},
    {"fare": ""},
    {"pclass": 3, "sex": "male", "age": 4, "sibsp": 4, "parch": 2, "fare": ""},
    {"pclass": 2, "sex": "female", "age": 61, "embarked": "Q", "fare": "13"},
    {"pclass": 1, "sex": "male", "age": 0.92, "parch": 2, "fare": "151.55"},
]


def query(**changes) -> dict[str, str]:
    return {name: str(value) for name, value in {**default_passenger(), **changes}.items()}


def same_markup(html: str) -> str:
    """HTML with the template's indentation and line breaks between tags taken out."""
    return re.sub(r"\s+", " ", re.sub(r">\s+<", "><", html)).strip()


@pytest.mark.parametrize("changes", PASSENGERS, ids=range(len(PASSENGERS)))
def test_a_keystrokes_answer_is_what_the_template_renders(client, active_version, changes):
    data = query(**changes)
    response = client.get("/", data, **TYPING)
    assert response.status_code == HTTPStatus.OK
    serving = selectors.model_versions_serving()
    page = version_page(version=serving.answering)
    form = PassengerForm(data, typical_fares=page.typical_fares)
    context, status = answer_context(
        form, serving=serving, page=page, form_changed=False, log=False
    )
    assert status == HTTPStatus.OK
    request = RequestFactory().get("/", data, **TYPING)
    rendered = render_to_string(HTMX_ANSWER, context, request=request)
    assert same_markup(response.content.decode()) == same_markup(rendered)
    # The comparison is about something: the card, its explanation and the slots are there.
    for part in ("result-card", "explanation", "answer-summary", "id_fare_hint", "field-error"):
        assert part in rendered
