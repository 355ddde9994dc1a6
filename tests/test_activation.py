"""Who may change the active version, and the record every change leaves."""

from __future__ import annotations

import itertools
from http import HTTPStatus

import pytest
from django.contrib.auth.models import Permission, User
from django.urls import reverse

from survival.models import ModelActivation, ModelVersion
from survival.registry.admin_confirm import ACTIVATED
from survival.registry.services import (
    model_version_activate,
    model_version_deactivate,
    model_version_register,
)

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:survival_modelversion_changelist")
HISTORY = reverse("admin:survival_modelactivation_changelist")


def staff_client(client, *codenames: str):
    user = User.objects.create_user("keeper", password="a long enough password 1")
    user.is_staff = True
    user.save()
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    client.force_login(user)
    return client, user


def test_every_activation_is_recorded_with_who_when_from_and_to(active_version, trained_forest):
    forest = model_version_register(result=trained_forest)
    user = User.objects.create_user("operator")
    model_version_activate(version=forest, by=user, reason="better calibrated")
    latest = ModelActivation.objects.first()
    assert latest.from_version == active_version
    assert latest.to_version == forest
    assert latest.by == user
    assert latest.reason == "better calibrated"
    assert latest.at == ModelVersion.objects.get(pk=forest.pk).activated_at

    model_version_deactivate(version=forest, by=user, reason="incident")
    stopped = ModelActivation.objects.first()
    assert (stopped.from_version, stopped.to_version, stopped.reason) == (forest, None, "incident")

    model_version_activate(version=active_version)
    restarted = ModelActivation.objects.first()
    assert (restarted.from_version, restarted.to_version, restarted.by) == (
        None,
        active_version,
        None,
    )
    # register(activate=True), then three changes: each "from" is the previous "to".
    history = list(ModelActivation.objects.order_by("at", "pk"))
    assert len(history) == 4
    for before, after in itertools.pairwise(history):
        assert after.from_version == before.to_version


def test_deactivating_a_version_that_is_not_active_records_nothing(active_version, trained_forest):
    forest = model_version_register(result=trained_forest)
    count = ModelActivation.objects.count()
    model_version_deactivate(version=forest)
    assert ModelActivation.objects.count() == count
    assert list(ModelVersion.objects.filter(is_active=True)) == [active_version]


def test_staff_without_the_activate_permission_cannot_activate(
    client, active_version, trained_forest
):
    forest = model_version_register(result=trained_forest)
    client, _ = staff_client(client, "view_modelversion", "change_modelversion")
    page = client.get(CHANGELIST)
    assert page.status_code == HTTPStatus.OK
    assert 'value="activate"' not in page.content.decode()
    client.post(CHANGELIST, {"action": "activate", "_selected_action": [forest.pk]}, follow=True)
    client.post(
        CHANGELIST, {"action": "deactivate", "_selected_action": [active_version.pk]}, follow=True
    )
    assert list(ModelVersion.objects.filter(is_active=True)) == [active_version]
    assert not ModelActivation.objects.filter(to_version=forest).exists()


def test_the_activate_permission_allows_activation_and_the_admin_shows_the_record(
    client, active_version, trained_forest
):
    forest = model_version_register(result=trained_forest)
    client, user = staff_client(
        client, "view_modelversion", "activate_modelversion", "view_modelactivation"
    )
    assert 'value="activate"' in client.get(CHANGELIST).content.decode()
    confirm = client.post(
        CHANGELIST, {"action": "activate", "_selected_action": [forest.pk]}, follow=True
    )
    # The action asks for the reason first; nothing has changed yet.
    assert 'name="reason"' in confirm.content.decode()
    assert list(ModelVersion.objects.filter(is_active=True)) == [active_version]
    response = client.post(
        confirm.redirect_chain[-1][0], {"reason": "better calibrated"}, follow=True
    )
    assert ACTIVATED.format(version=forest.version) in response.content.decode()
    assert list(ModelVersion.objects.filter(is_active=True)) == [forest]
    record = ModelActivation.objects.first()
    assert (record.from_version, record.to_version, record.by, record.reason) == (
        active_version,
        forest,
        user,
        "better calibrated",
    )

    history = client.get(HISTORY)
    assert history.status_code == HTTPStatus.OK
    html = history.content.decode()
    assert str(active_version) in html
    assert str(forest) in html
    assert "keeper" in html
    assert "better calibrated" in html


def test_the_activation_record_cannot_be_edited_or_deleted(admin_client, active_version):
    record = ModelActivation.objects.get()
    assert admin_client.get(reverse("admin:survival_modelactivation_add")).status_code == 403
    delete = reverse("admin:survival_modelactivation_delete", args=[record.pk])
    assert admin_client.get(delete).status_code == 403
    change = reverse("admin:survival_modelactivation_change", args=[record.pk])
    assert 'name="reason"' not in admin_client.get(change).content.decode()
