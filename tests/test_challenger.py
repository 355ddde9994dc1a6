"""The challenger: one non-active version that shadows the active one. It scores every
prediction, its answer is logged beside the champion's and shown to nobody but the admin."""

from __future__ import annotations

import json
import logging
import re
from http import HTTPStatus

import pytest
from django.contrib.auth.models import Permission, User
from django.db import IntegrityError, transaction
from django.urls import reverse

from ml_pipeline.explain import survival_probabilities
from ml_pipeline.schema import default_passenger
from survival.models import ModelVersion, Prediction
from survival.predictions.services import passengers_predict
from survival.registry.admin import (
    CHALLENGER_CLEARED,
    CHALLENGER_NOT_SELECTED,
    CHALLENGER_REFUSED,
    CHALLENGER_SELECT_EXACTLY_ONE,
    CHALLENGER_SET,
)
from survival.registry.artifacts import ModelUnavailableError, clear_loaded_models
from survival.registry.live import challenger_comparison
from survival.registry.selectors import model_version_get_challenger
from survival.registry.services import (
    CHALLENGER_IS_ACTIVE,
    ChallengerRefusedError,
    model_version_activate,
    model_version_clear_challenger,
    model_version_make_challenger,
    model_version_register,
)
from tests.stores import model_file_remove_everywhere

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:survival_modelversion_changelist")
HTMX = {"HTTP_HX_REQUEST": "true"}
# A passenger the logistic regression and the random forest score quite differently.
PASSENGER = {**default_passenger(), "pclass": 3, "sex": "female", "age": 2.0, "sibsp": 4}


@pytest.fixture
def forest(active_version, trained_forest) -> ModelVersion:
    """A random forest, registered after the active logistic regression, not active."""
    return model_version_register(result=trained_forest)


@pytest.fixture
def challenger(forest) -> ModelVersion:
    return model_version_make_challenger(version=forest)


def challenger_says(version: ModelVersion, passengers: list[dict]) -> list[float]:
    """The challenger's own answer, straight from its fitted pipeline."""
    from survival.registry.artifacts import load_pipeline

    return [float(p) for p in survival_probabilities(load_pipeline(version), passengers)]


def staff_client(client, *codenames: str):
    user = User.objects.create_user("keeper", password="a long enough password 1")
    user.is_staff = True
    user.save()
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    client.force_login(user)
    return client


# --- marking and clearing -----------------------------------------------------------------


def test_a_new_challenger_replaces_the_previous_one(forest, trained_logreg):
    another = model_version_register(result=trained_logreg)
    model_version_make_challenger(version=forest)
    model_version_make_challenger(version=another)
    assert list(ModelVersion.objects.filter(is_challenger=True)) == [another]
    assert model_version_get_challenger() == another
    assert another.challenger_since is not None


def test_the_database_allows_at_most_one_challenger(forest, trained_logreg):
    another = model_version_register(result=trained_logreg)
    model_version_make_challenger(version=forest)
    with pytest.raises(IntegrityError), transaction.atomic():
        ModelVersion.objects.filter(pk=another.pk).update(is_challenger=True)


def test_the_database_refuses_an_active_challenger(active_version):
    with pytest.raises(IntegrityError), transaction.atomic():
        ModelVersion.objects.filter(pk=active_version.pk).update(is_challenger=True)


def test_the_active_version_cannot_be_made_the_challenger(active_version, forest):
    with pytest.raises(ChallengerRefusedError) as refused:
        model_version_make_challenger(version=active_version)
    assert str(refused.value) == CHALLENGER_IS_ACTIVE.format(version=active_version.version)
    assert model_version_get_challenger() is None


def test_activating_the_challenger_clears_its_flag(active_version, challenger):
    model_version_activate(version=challenger)
    challenger.refresh_from_db()
    assert challenger.is_active
    assert not challenger.is_challenger
    assert model_version_get_challenger() is None


def test_a_broken_version_cannot_be_made_the_challenger(forest):
    model_file_remove_everywhere(forest)
    clear_loaded_models()
    with pytest.raises(ModelUnavailableError, match="is in no store"):
        model_version_make_challenger(version=forest)
    forest.refresh_from_db()
    assert not forest.is_challenger
    assert forest.is_broken


def test_clearing_the_challenger_stops_the_shadow(challenger):
    assert model_version_clear_challenger() == challenger
    assert model_version_get_challenger() is None
    (outcome,) = passengers_predict(passengers=[PASSENGER], channel=Prediction.Channel.WEB)
    logged = Prediction.objects.get(pk=outcome.prediction_id)
    assert logged.challenger is None
    assert logged.challenger_probability is None


# --- the admin actions --------------------------------------------------------------------


def test_the_admin_action_makes_the_selected_version_the_challenger(admin_client, forest):
    response = admin_client.post(
        CHANGELIST, {"action": "make_challenger", "_selected_action": [forest.pk]}, follow=True
    )
    assert CHALLENGER_SET.format(version=forest.version) in response.content.decode()
    assert model_version_get_challenger() == forest


def test_the_admin_action_needs_exactly_one_version(admin_client, active_version, forest):
    response = admin_client.post(
        CHANGELIST,
        {"action": "make_challenger", "_selected_action": [forest.pk, active_version.pk]},
        follow=True,
    )
    assert CHALLENGER_SELECT_EXACTLY_ONE.format(count=2) in response.content.decode()
    assert model_version_get_challenger() is None


def test_the_admin_refuses_the_active_version_as_challenger(admin_client, active_version):
    response = admin_client.post(
        CHANGELIST,
        {"action": "make_challenger", "_selected_action": [active_version.pk]},
        follow=True,
    )
    reason = CHALLENGER_IS_ACTIVE.format(version=active_version.version)
    expected = CHALLENGER_REFUSED.format(version=active_version.version, reason=reason)
    assert expected in response.content.decode()
    assert model_version_get_challenger() is None


def test_the_admin_action_clears_the_challenger(admin_client, active_version, challenger):
    response = admin_client.post(
        CHANGELIST,
        {"action": "clear_challenger", "_selected_action": [active_version.pk]},
        follow=True,
    )
    assert CHALLENGER_NOT_SELECTED in response.content.decode()
    assert model_version_get_challenger() == challenger
    response = admin_client.post(
        CHANGELIST, {"action": "clear_challenger", "_selected_action": [challenger.pk]}, follow=True
    )
    assert CHALLENGER_CLEARED.format(version=challenger.version) in response.content.decode()
    assert model_version_get_challenger() is None


def test_staff_without_the_activate_permission_cannot_change_the_challenger(client, forest):
    client = staff_client(client, "view_modelversion", "change_modelversion")
    page = client.get(CHANGELIST).content.decode()
    assert 'value="make_challenger"' not in page
    assert 'value="clear_challenger"' not in page
    client.post(CHANGELIST, {"action": "make_challenger", "_selected_action": [forest.pk]})
    assert model_version_get_challenger() is None


def test_the_activate_permission_allows_changing_the_challenger(client, forest):
    client = staff_client(client, "view_modelversion", "activate_modelversion")
    assert 'value="make_challenger"' in client.get(CHANGELIST).content.decode()
    client.post(CHANGELIST, {"action": "make_challenger", "_selected_action": [forest.pk]})
    assert model_version_get_challenger() == forest


# --- predictions with a challenger ---------------------------------------------------------


def form(passenger: dict) -> dict[str, str]:
    return {name: str(value) for name, value in passenger.items()}


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["full page", "htmx"])
def test_the_page_logs_both_answers_and_shows_only_the_champions(
    client, active_version, challenger, headers
):
    response = client.post(reverse("survival:predict"), form(PASSENGER), **headers)
    assert response.status_code == HTTPStatus.OK
    logged = Prediction.objects.get()
    (expected,) = challenger_says(challenger, [PASSENGER])
    assert logged.model_version == active_version
    assert logged.challenger == challenger
    assert logged.challenger_probability == pytest.approx(expected)
    shown, hidden = f"{logged.probability:.1%}", f"{logged.challenger_probability:.1%}"
    assert shown != hidden
    html = response.content.decode()
    assert shown in html
    assert hidden not in html
    assert f"version {challenger.version}" not in html
    assert challenger.get_algorithm_display() not in html


def test_the_api_logs_both_answers_and_returns_only_the_champions(
    client, active_version, challenger
):
    response = client.post(
        "/api/v1/predict", json.dumps(PASSENGER), content_type="application/json"
    )
    assert response.status_code == HTTPStatus.OK
    answer = response.json()
    logged = Prediction.objects.get()
    assert set(answer) == {"prediction_id", "survived", "probability", "model_version"}
    assert answer["prediction_id"] == logged.pk
    assert answer["model_version"] == active_version.version
    assert logged.challenger == challenger
    assert logged.challenger_probability != pytest.approx(logged.probability)
    assert repr(logged.challenger_probability) not in response.content.decode()


def test_a_batch_is_scored_by_the_challenger_in_order(client, active_version, challenger):
    passengers = [PASSENGER, default_passenger(), {**PASSENGER, "pclass": 1, "fare": 90.0}]
    response = client.post(
        "/api/v1/predict",
        json.dumps({"passengers": passengers, "explain": True}),
        content_type="application/json",
    )
    assert response.status_code == HTTPStatus.OK
    answers = response.json()["predictions"]
    body = response.content.decode()
    expected = challenger_says(challenger, passengers)
    for answer, challenger_probability in zip(answers, expected, strict=True):
        logged = Prediction.objects.get(pk=answer["prediction_id"])
        assert logged.challenger == challenger
        assert logged.challenger_probability == pytest.approx(challenger_probability)
        assert set(answer) == {
            "prediction_id",
            "survived",
            "probability",
            "model_version",
            "baseline",
            "contributions",
        }
        assert repr(logged.challenger_probability) not in body


def test_a_broken_challenger_does_not_break_predictions(client, active_version, challenger, caplog):
    model_file_remove_everywhere(challenger)
    clear_loaded_models()
    with caplog.at_level(logging.WARNING, logger="survival.predictions.services"):
        page = client.post(reverse("survival:predict"), form(PASSENGER), **HTMX)
        api = client.post("/api/v1/predict", json.dumps(PASSENGER), content_type="application/json")
    assert page.status_code == HTTPStatus.OK
    assert api.status_code == HTTPStatus.OK
    assert api.json()["model_version"] == active_version.version
    assert Prediction.objects.count() == 2
    assert not Prediction.objects.filter(challenger__isnull=False).exists()
    assert not Prediction.objects.filter(challenger_probability__isnull=False).exists()
    assert f"challenger v{challenger.version} did not score" in caplog.text
    challenger.refresh_from_db()
    assert challenger.is_broken


def test_a_version_pinned_to_the_challenger_is_not_scored_twice(active_version, challenger):
    (outcome,) = passengers_predict(
        passengers=[PASSENGER], channel=Prediction.Channel.API, version_number=challenger.version
    )
    logged = Prediction.objects.get(pk=outcome.prediction_id)
    assert logged.model_version == challenger
    assert logged.challenger is None


# --- the comparison in the admin -----------------------------------------------------------

# (champion's probability, challenger's probability, true outcome or None)
SHADOWED = [
    (0.9, 0.8, 1),  # agree, both right
    (0.7, 0.3, 0),  # disagree, challenger right
    (0.4, 0.6, 0),  # disagree, champion right
    (0.2, 0.7, 1),  # disagree, challenger right
    (0.6, 0.4, None),  # disagree, outcome unknown
    (0.1, 0.2, None),  # agree, outcome unknown
]


@pytest.fixture
def shadowed(active_version, challenger) -> None:
    for probability, challenger_probability, outcome in SHADOWED:
        Prediction.objects.create(
            model_version=active_version,
            inputs=default_passenger(),
            probability=probability,
            survived=probability >= 0.5,
            challenger=challenger,
            challenger_probability=challenger_probability,
            outcome=outcome,
        )
    # Answered while no challenger was shadowing: not part of the comparison.
    Prediction.objects.create(
        model_version=active_version,
        inputs=default_passenger(),
        probability=0.9,
        survived=True,
        outcome=0,
    )


def test_the_comparison_counts_disagreements_and_who_was_right(challenger, shadowed):
    comparison = challenger_comparison(challenger=challenger)
    assert comparison.scored == 6
    assert comparison.disagreements == 4
    assert comparison.disagreement_rate == pytest.approx(4 / 6)
    assert comparison.with_feedback == 4
    assert comparison.champion_accuracy == pytest.approx(2 / 4)
    assert comparison.challenger_accuracy == pytest.approx(3 / 4)
    assert comparison.champion_brier == pytest.approx((0.01 + 0.49 + 0.16 + 0.64) / 4)
    assert comparison.challenger_brier == pytest.approx((0.04 + 0.09 + 0.36 + 0.09) / 4)
    assert comparison.disagreements_with_feedback == 3
    assert comparison.champion_right_when_disagreeing == 1
    assert comparison.challenger_right_when_disagreeing == 2


def section(html: str, anchor: str) -> str:
    found = re.search(rf'<section id="{anchor}".*?</section>', html, re.S)
    assert found, f"no section #{anchor}"
    return re.sub(r"\s+", " ", found.group(0))


def test_the_challengers_admin_page_shows_the_comparison(admin_client, challenger, shadowed):
    url = reverse("admin:survival_modelversion_change", args=[challenger.pk])
    response = admin_client.get(url)
    assert response.status_code == HTTPStatus.OK
    shown = section(response.content.decode(), "challenger")
    assert "Scored 6 predictions" in shown
    assert "differed (at probability 0.5) on 4 (66.7%)" in shown
    assert "known for 4 of them, 3 of those where they differed" in shown
    assert '<th scope="row">Accuracy (on feedback)</th><td>0.500</td><td>0.750</td>' in shown
    assert '<th scope="row">Brier score (on feedback)</th><td>0.325</td><td>0.145</td>' in shown
    assert "with feedback)</th><td>1</td><td>2</td>" in shown
    assert (
        "<script"
        not in response.content.decode().split('id="challenger"')[1].split("</section>")[0]
    )


def test_a_version_that_never_shadowed_has_no_comparison(admin_client, active_version):
    url = reverse("admin:survival_modelversion_change", args=[active_version.pk])
    html = admin_client.get(url).content.decode()
    assert 'id="live-numbers"' in html
    assert 'id="challenger"' not in html


def test_the_registry_list_links_to_each_versions_live_numbers(admin_client, challenger):
    html = admin_client.get(CHANGELIST).content.decode()
    url = reverse("admin:survival_modelversion_change", args=[challenger.pk])
    assert f'href="{url}#live-numbers"' in html
