"""Deactivating the active version in the admin: a confirmation page that says what stops,
names the challenger and the versions that could answer instead, and records the reason;
without a reason, or cancelled, nothing changes."""

from __future__ import annotations

import re
from http import HTTPStatus

import pytest
from django.contrib.auth.models import Permission, User
from django.test import Client
from django.urls import reverse

from ml_pipeline.schema import default_passenger
from survival.models import ModelActivation, ModelVersion, Prediction
from survival.registry.admin import NONE_ACTIVE_SELECTED
from survival.registry.admin_deactivate import DEACTIVATED, NOT_ACTIVE
from survival.registry.artifacts import MODEL_UNAVAILABLE
from survival.registry.forms import REASON_REQUIRED
from survival.registry.services import model_version_activate, model_version_make_challenger

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:survival_modelversion_changelist")


def deactivate_url(version: ModelVersion) -> str:
    return reverse("admin:survival_modelversion_deactivate", args=[version.pk])


def text_of(html: str, element_id: str) -> str:
    found = re.search(rf'<(\w+) id="{element_id}".*?</\1>', html, re.S)
    assert found, element_id
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", found.group(0))).strip()


@pytest.fixture
def registry(version_with) -> dict[str, ModelVersion]:
    """An active version, a challenger, another good version and a broken one."""
    active = model_version_activate(version=version_with(roc_auc=0.86, brier=0.13), reason="go")
    challenger = model_version_make_challenger(version=version_with(roc_auc=0.87, brier=0.12))
    spare = version_with(roc_auc=0.85, brier=0.14)
    broken = version_with(roc_auc=0.88, brier=0.11)
    ModelVersion.objects.filter(pk=broken.pk).update(broken_reason="The file is missing.")
    return {"active": active, "challenger": challenger, "spare": spare, "broken": broken}


def test_the_page_says_what_stops_and_offers_other_versions(admin_client, registry):
    active = registry["active"]
    response = admin_client.get(deactivate_url(active))
    assert response.status_code == HTTPStatus.OK
    html = response.content.decode()
    summary = text_of(html, "change-summary")
    assert f"Version {active.version} (Logistic regression) is active now." in summary
    assert "every prediction pauses" in summary
    effects = text_of(html, "deactivation-effects")
    assert f"HTTP 503 and “{MODEL_UNAVAILABLE}”" in effects
    assert "paused" in effects
    assert f"Version {registry['challenger'].version} (Logistic regression) is the challenger" in (
        text_of(html, "deactivation-challenger")
    )
    instead = text_of(html, "activate-instead")
    for name in ("challenger", "spare"):
        version = registry[name]
        assert f"Activate version {version.version} instead…" in instead
        url = reverse("admin:survival_modelversion_activate", args=[version.pk])
        assert f'href="{url}"' in html
    # Neither the broken version nor the active one is offered.
    assert f"Activate version {registry['broken'].version} instead" not in instead
    assert f"Activate version {active.version} instead" not in instead
    assert 'name="reason"' in html
    # Cancel goes back to the version's page; nothing has changed.
    cancel = reverse("admin:survival_modelversion_change", args=[active.pk])
    assert f'href="{cancel}" class="closelink">Cancel</a>' in html
    assert ModelVersion.objects.get(is_active=True) == active


def test_without_a_reason_the_form_says_so_and_nothing_changes(admin_client, registry):
    active = registry["active"]
    records = ModelActivation.objects.count()
    for reason in ("", "   "):
        response = admin_client.post(deactivate_url(active), {"reason": reason})
        assert response.status_code == HTTPStatus.BAD_REQUEST
        assert REASON_REQUIRED in text_of(response.content.decode(), "id_reason_error")
    assert ModelActivation.objects.count() == records
    assert ModelVersion.objects.get(is_active=True) == active


def test_a_reason_deactivates_and_is_recorded_in_the_history(
    admin_client, admin_user, registry, client
):
    active = registry["active"]
    response = admin_client.post(
        deactivate_url(active), {"reason": "answers look wrong since 09:00"}, follow=True
    )
    assert response.redirect_chain[-1][0] == CHANGELIST
    assert DEACTIVATED.format(version=active.version) in response.content.decode()
    assert not ModelVersion.objects.filter(is_active=True).exists()
    record = ModelActivation.objects.first()
    assert (record.from_version, record.to_version, record.by, record.reason, record.kind) == (
        active,
        None,
        admin_user,
        "answers look wrong since 09:00",
        "deactivation",
    )
    # The version's history shows the reason in full.
    page = admin_client.get(reverse("admin:survival_modelversion_change", args=[active.pk]))
    assert "<td>answers look wrong since 09:00</td>" in page.content.decode()
    # Predictions pause: the page says so, the API answers 503 with the same words.
    assert "predictions are paused" in client.get("/").content.decode()
    answer = client.post(
        "/api/v1/predict",
        default_passenger(),
        content_type="application/json",
    )
    assert answer.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert answer.json() == {"detail": MODEL_UNAVAILABLE}
    assert "paused" in MODEL_UNAVAILABLE
    assert not Prediction.objects.exists()


def test_a_version_that_is_not_active_has_nothing_to_deactivate(admin_client, registry):
    spare = registry["spare"]
    records = ModelActivation.objects.count()
    for response in (
        admin_client.get(deactivate_url(spare), follow=True),
        admin_client.post(deactivate_url(spare), {"reason": "tidy up"}, follow=True),
    ):
        change = reverse("admin:survival_modelversion_change", args=[spare.pk])
        assert response.redirect_chain[-1][0] == change
        assert NOT_ACTIVE.format(version=spare.version) in response.content.decode()
    assert ModelActivation.objects.count() == records
    assert ModelVersion.objects.get(is_active=True) == registry["active"]


def test_the_action_and_the_links_lead_to_the_confirmation(admin_client, registry):
    active, spare = registry["active"], registry["spare"]
    response = admin_client.post(
        CHANGELIST, {"action": "deactivate", "_selected_action": [active.pk, spare.pk]}
    )
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == deactivate_url(active)
    assert ModelVersion.objects.get(is_active=True) == active
    refused = admin_client.post(
        CHANGELIST, {"action": "deactivate", "_selected_action": [spare.pk]}, follow=True
    )
    assert NONE_ACTIVE_SELECTED in refused.content.decode()
    # Above the list, and on the active version's own page (not on the others').
    assert f'href="{deactivate_url(active)}"' in admin_client.get(CHANGELIST).content.decode()
    change = reverse("admin:survival_modelversion_change", args=[active.pk])
    assert f'href="{deactivate_url(active)}"' in admin_client.get(change).content.decode()
    other = reverse("admin:survival_modelversion_change", args=[spare.pk])
    assert "Deactivate this version" not in admin_client.get(other).content.decode()


def test_deactivating_needs_the_activate_permission(client: Client, registry):
    active = registry["active"]
    user = User.objects.create_user("viewer", password="a long password 1", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename="view_modelversion"))
    client.force_login(user)
    assert client.get(deactivate_url(active)).status_code == HTTPStatus.FORBIDDEN
    response = client.post(deactivate_url(active), {"reason": "I should not"})
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert "Deactivate version" not in client.get(CHANGELIST).content.decode()
    assert ModelVersion.objects.get(is_active=True) == active
    user.user_permissions.add(Permission.objects.get(codename="activate_modelversion"))
    client.post(deactivate_url(active), {"reason": "now I may"})
    assert not ModelVersion.objects.filter(is_active=True).exists()
    assert ModelActivation.objects.first().reason == "now I may"
