"""Operating the model in the admin: each version's activation history, activation with a
reason, the promotion gate's verdict and override, and "Roll back to previous"."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.contrib.auth.models import Permission, User
from django.test import Client
from django.urls import reverse

from survival.models import GateRefusal, ModelActivation, ModelVersion
from survival.registry.admin import NO_HISTORY
from survival.registry.admin_confirm import (
    ACTIVATED,
    ACTIVATED_OVER_GATE,
    ACTIVATION_REFUSED,
    ROLLED_BACK,
)
from survival.registry.forms import REASON_REQUIRED
from survival.registry.gate import OVERRIDE_NEEDS_PERMISSION, PromotionRefusedError
from survival.registry.services import (
    NOTHING_TO_ROLL_BACK,
    model_version_activate,
    model_version_deactivate,
    model_version_rollback,
)

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:survival_modelversion_changelist")
ROLLBACK = reverse("admin:survival_modelversion_rollback")
PASSWORD = "a long enough password 1"


def activate_url(version: ModelVersion) -> str:
    return reverse("admin:survival_modelversion_activate", args=[version.pk])


def staff(client: Client, name: str, *codenames: str) -> tuple[Client, User]:
    user = User.objects.create_user(name, password=PASSWORD, is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    client.force_login(user)
    return client, user


@pytest.fixture
def two_in_turn(version_with) -> tuple[ModelVersion, ModelVersion]:
    """v_a was active, then v_b replaced it (both equally good)."""
    first = model_version_activate(version=version_with(roc_auc=0.86, brier=0.13), reason="one")
    second = model_version_activate(version=version_with(roc_auc=0.86, brier=0.13), reason="two")
    return first, second


def test_a_versions_page_shows_its_activation_history(admin_client, admin_user, two_in_turn):
    first, second = two_in_turn
    model_version_deactivate(version=second, by=admin_user, reason="incident 7")
    html = admin_client.get(
        reverse("admin:survival_modelversion_change", args=[second.pk])
    ).content.decode()
    # Three changes touch it: made active from v_first, then taken out of service.
    table = html[html.index('class="activation-history"') :]
    table = table[: table.index("</table>")]
    assert table.count("<tr>") == 3
    assert (
        f"<td>v{first.version}</td><td>v{second.version}</td><td>the system</td><td>two</td>"
        in (table)
    )
    assert f"<td>v{second.version}</td><td>none</td><td>admin</td><td>incident 7</td>" in table
    assert "deactivation" in table
    assert reverse("admin:survival_modelactivation_changelist") in html

    never = ModelVersion.objects.create(
        **{
            field.name: getattr(first, field.name)
            for field in ModelVersion._meta.fields
            if field.name not in {"id", "version", "artifact_name", "is_active", "activated_at"}
        },
        version=99,
        artifact_name="never.joblib",
    )
    page = admin_client.get(reverse("admin:survival_modelversion_change", args=[never.pk]))
    assert NO_HISTORY in page.content.decode()


def test_activation_asks_for_a_reason_and_records_it(client, two_in_turn):
    first, second = two_in_turn
    client, user = staff(client, "keeper", "view_modelversion", "activate_modelversion")
    page = client.get(activate_url(first))
    assert page.status_code == HTTPStatus.OK
    html = page.content.decode()
    assert 'name="reason"' in html
    assert "The promotion gate passes" in html
    # No override offered to someone who may not use it, and none needed here.
    assert 'name="override_gate"' not in html

    response = client.post(activate_url(first), {"reason": "back to the first"}, follow=True)
    assert ACTIVATED.format(version=first.version) in response.content.decode()
    record = ModelActivation.objects.first()
    assert (record.from_version, record.to_version, record.by, record.reason) == (
        second,
        first,
        user,
        "back to the first",
    )


@pytest.mark.parametrize("reason", ["", "   "])
def test_an_empty_reason_is_refused_and_nothing_changes(client, two_in_turn, reason):
    first, second = two_in_turn
    client, _ = staff(client, "keeper", "view_modelversion", "activate_modelversion")
    count = ModelActivation.objects.count()
    response = client.post(activate_url(first), {"reason": reason})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert REASON_REQUIRED in response.content.decode()
    assert ModelActivation.objects.count() == count
    assert list(ModelVersion.objects.filter(is_active=True)) == [second]


def test_the_confirmation_form_is_csrf_protected(two_in_turn):
    first, second = two_in_turn
    client = Client(enforce_csrf_checks=True)
    staff(client, "keeper", "view_modelversion", "activate_modelversion")
    response = client.post(activate_url(first), {"reason": "no token"})
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert list(ModelVersion.objects.filter(is_active=True)) == [second]


def test_roll_back_reactivates_the_previous_version_and_records_it(client, two_in_turn):
    first, second = two_in_turn
    client, user = staff(client, "keeper", "view_modelversion", "activate_modelversion")
    changelist = client.get(CHANGELIST).content.decode()
    assert f'href="{ROLLBACK}"' in changelist

    page = client.get(ROLLBACK).content.decode()
    assert f"Roll back to version {first.version}" in page
    assert f"Version {second.version} (Logistic regression) is active now." in page

    response = client.post(ROLLBACK, {"reason": "v2 answers oddly"}, follow=True)
    assert ROLLED_BACK.format(previous=second.version, version=first.version) in (
        response.content.decode()
    )
    assert list(ModelVersion.objects.filter(is_active=True)) == [first]
    record = ModelActivation.objects.first()
    assert (record.from_version, record.to_version, record.by, record.reason, record.rollback) == (
        second,
        first,
        user,
        "v2 answers oddly",
        True,
    )
    # The one before is now the one rolled back from: a second rollback returns to it.
    model_version_rollback(by=user, reason="false alarm")
    assert list(ModelVersion.objects.filter(is_active=True)) == [second]


def test_after_a_deactivation_roll_back_restores_the_last_active_version(two_in_turn):
    _, second = two_in_turn
    model_version_deactivate(version=second)
    model_version_rollback(reason="the incident is over")
    assert list(ModelVersion.objects.filter(is_active=True)) == [second]


def test_roll_back_with_nothing_to_roll_back_to_says_so(client, active_version):
    client, _ = staff(client, "keeper", "view_modelversion", "activate_modelversion")
    count = ModelActivation.objects.count()
    for response in (
        client.get(ROLLBACK, follow=True),
        client.post(ROLLBACK, {"reason": "anything"}, follow=True),
    ):
        assert response.redirect_chain[-1][0] == CHANGELIST
        assert NOTHING_TO_ROLL_BACK in response.content.decode()
    assert ModelActivation.objects.count() == count
    assert list(ModelVersion.objects.filter(is_active=True)) == [active_version]


def test_roll_back_and_activation_need_the_activate_permission(client, two_in_turn):
    first, second = two_in_turn
    client, _ = staff(client, "viewer", "view_modelversion", "view_modelactivation")
    assert f'href="{ROLLBACK}"' not in client.get(CHANGELIST).content.decode()
    assert client.get(ROLLBACK).status_code == HTTPStatus.FORBIDDEN
    assert client.post(ROLLBACK, {"reason": "x"}).status_code == HTTPStatus.FORBIDDEN
    assert client.post(activate_url(first), {"reason": "x"}).status_code == HTTPStatus.FORBIDDEN
    assert list(ModelVersion.objects.filter(is_active=True)) == [second]
    # Not logged in at all: the admin's login page, not the form.
    anonymous = Client()
    assert anonymous.post(ROLLBACK, {"reason": "x"}).status_code == HTTPStatus.FOUND
    assert list(ModelVersion.objects.filter(is_active=True)) == [second]


def test_roll_back_goes_through_the_gate(two_in_turn, version_with):
    _, second = two_in_turn
    # A much better version replaced v_second by override-free promotion...
    better = model_version_activate(version=version_with(roc_auc=0.95, brier=0.08))
    # ...so going back to v_second is a drop the gate refuses.
    with pytest.raises(PromotionRefusedError):
        model_version_rollback(reason="back")
    assert list(ModelVersion.objects.filter(is_active=True)) == [better]
    assert GateRefusal.objects.get().candidate == second


def test_the_admin_shows_the_gate_refusal_with_its_numbers(client, active_good_admin):
    active, weak = active_good_admin
    client, user = staff(client, "keeper", "view_modelversion", "activate_modelversion")
    page = client.get(activate_url(weak)).content.decode()
    expected = (
        f"held-out ROC AUC 0.702 is 0.091 below the active v{active.version}&#x27;s 0.793; "
        "the gate allows 0.020"
    )
    assert f"The promotion gate refuses version {weak.version}" in page
    assert expected in page
    assert 'name="override_gate"' not in page

    response = client.post(activate_url(weak), {"reason": "looks fine to me"})
    assert response.status_code == HTTPStatus.CONFLICT
    html = response.content.decode()
    assert ACTIVATION_REFUSED.format(version=weak.version, reason="").rstrip() in html
    assert expected in html
    assert list(ModelVersion.objects.filter(is_active=True)) == [active]
    refusal = GateRefusal.objects.get()
    assert (refusal.candidate, refusal.by, refusal.reason) == (weak, user, "looks fine to me")

    # A forged override from someone without the permission is refused too, and recorded.
    forged = client.post(activate_url(weak), {"reason": "really", "override_gate": "on"})
    assert forged.status_code == HTTPStatus.CONFLICT
    assert OVERRIDE_NEEDS_PERMISSION.format(user="keeper") in forged.content.decode().replace(
        "&ldquo;", "“"
    ).replace("&rdquo;", "”")
    assert GateRefusal.objects.filter(override_requested=True).count() == 1
    assert list(ModelVersion.objects.filter(is_active=True)) == [active]


def test_the_override_permission_lets_the_admin_activate_over_the_gate(client, active_good_admin):
    active, weak = active_good_admin
    client, lead = staff(
        client,
        "lead",
        "view_modelversion",
        "activate_modelversion",
        "override_promotion_gate",
    )
    page = client.get(activate_url(weak)).content.decode()
    assert 'name="override_gate"' in page

    # Without ticking the override: refused, and the override is offered again.
    refused = client.post(activate_url(weak), {"reason": "needed now"})
    assert refused.status_code == HTTPStatus.CONFLICT
    assert 'name="override_gate"' in refused.content.decode()

    response = client.post(
        activate_url(weak), {"reason": "needed now", "override_gate": "on"}, follow=True
    )
    assert ACTIVATED_OVER_GATE.format(version=weak.version) in response.content.decode()
    record = ModelActivation.objects.first()
    assert (record.from_version, record.to_version, record.by, record.gate_overridden) == (
        active,
        weak,
        lead,
        True,
    )
    assert record.reason == "needed now"
    history = client.get(reverse("admin:survival_modelversion_change", args=[weak.pk]))
    assert "activation, over the promotion gate" in history.content.decode()


def test_a_version_of_another_schema_offers_no_form(admin_client, version_with, active_version):
    stranger = version_with(roc_auc=0.95, brier=0.05, schema_fingerprint="0" * 64)
    page = admin_client.get(activate_url(stranger))
    html = page.content.decode()
    assert "can never be activated by this code, not even with an override" in html
    assert 'name="reason"' not in html
    response = admin_client.post(
        activate_url(stranger), {"reason": "superuser", "override_gate": "on"}
    )
    assert response.status_code == HTTPStatus.CONFLICT
    assert list(ModelVersion.objects.filter(is_active=True)) == [active_version]


@pytest.fixture
def active_good_admin(version_with) -> tuple[ModelVersion, ModelVersion]:
    """An active version with ROC AUC 0.793 and a weak one (0.702) that the gate refuses."""
    active = model_version_activate(version=version_with(roc_auc=0.793, brier=0.130))
    return active, version_with(roc_auc=0.702, brier=0.160)


def test_gate_refusals_are_listed_read_only(admin_client, active_good_admin):
    active, weak = active_good_admin
    with pytest.raises(PromotionRefusedError):
        model_version_activate(version=weak, reason="worth a try")
    listing = admin_client.get(reverse("admin:survival_gaterefusal_changelist"))
    assert listing.status_code == HTTPStatus.OK
    html = listing.content.decode()
    assert "held-out ROC AUC 0.702 is below the gate&#x27;s minimum of 0.750" in html
    assert str(weak) in html
    assert admin_client.get(reverse("admin:survival_gaterefusal_add")).status_code == 403
    refusal = GateRefusal.objects.get()
    change = admin_client.get(reverse("admin:survival_gaterefusal_change", args=[refusal.pk]))
    assert 'name="reason"' not in change.content.decode()
    assert "worth a try" in change.content.decode()
    assert list(ModelVersion.objects.filter(is_active=True)) == [active]
