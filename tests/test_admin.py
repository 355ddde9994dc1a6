"""The registry in the admin: metrics on the list, activation as one action."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.urls import reverse

from ml_pipeline.schema import default_passenger
from survival.models import ModelVersion, Prediction
from survival.predictions.services import predict_survival
from survival.registry.admin import SELECT_EXACTLY_ONE
from survival.registry.admin_confirm import ACTIVATED
from survival.registry.services import model_version_register

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:survival_modelversion_changelist")


def test_the_version_list_shows_metrics_and_which_is_active(admin_client, active_version):
    response = admin_client.get(CHANGELIST)
    assert response.status_code == HTTPStatus.OK
    html = response.content.decode()
    assert f"{active_version.metric('cv', 'roc_auc'):.3f}" in html
    assert f"{active_version.metric('holdout', 'accuracy'):.3f}" in html
    assert "Logistic regression" in html


def test_the_activate_action_switches_the_active_version(
    admin_client, active_version, trained_forest
):
    forest = model_version_register(result=trained_forest)
    confirm = admin_client.post(
        CHANGELIST, {"action": "activate", "_selected_action": [forest.pk]}, follow=True
    )
    assert confirm.redirect_chain[-1][0] == reverse(
        "admin:survival_modelversion_activate", args=[forest.pk]
    )
    response = admin_client.post(
        confirm.redirect_chain[-1][0], {"reason": "a forest this time"}, follow=True
    )
    assert ACTIVATED.format(version=forest.version) in response.content.decode()
    assert list(ModelVersion.objects.filter(is_active=True)) == [forest]
    assert predict_survival(passenger=default_passenger()).model_version == forest


def test_the_activate_action_needs_exactly_one_version(
    admin_client, active_version, trained_forest
):
    forest = model_version_register(result=trained_forest)
    response = admin_client.post(
        CHANGELIST,
        {"action": "activate", "_selected_action": [forest.pk, active_version.pk]},
        follow=True,
    )
    assert SELECT_EXACTLY_ONE.format(count=2) in response.content.decode()
    assert list(ModelVersion.objects.filter(is_active=True)) == [active_version]


def test_integrity_fields_are_read_only(admin_client, active_version):
    url = reverse("admin:survival_modelversion_change", args=[active_version.pk])
    html = admin_client.get(url).content.decode()
    assert active_version.artifact_sha256 in html
    assert 'name="artifact_sha256"' not in html
    assert 'name="is_active"' not in html


def test_versions_cannot_be_added_or_deleted_by_hand(admin_client, active_version):
    assert admin_client.get(reverse("admin:survival_modelversion_add")).status_code == 403
    delete = reverse("admin:survival_modelversion_delete", args=[active_version.pk])
    assert admin_client.get(delete).status_code == 403


def test_the_prediction_log_is_read_only(admin_client, active_version):
    predict_survival(passenger=default_passenger())
    logged = Prediction.objects.get()
    assert admin_client.get(reverse("admin:survival_prediction_changelist")).status_code == 200
    assert admin_client.get(reverse("admin:survival_prediction_add")).status_code == 403
    change = reverse("admin:survival_prediction_change", args=[logged.pk])
    html = admin_client.get(change).content.decode()
    assert 'name="probability"' not in html
