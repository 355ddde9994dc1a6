"""API keys in the admin: issuing shows the key on the next page only, the list shows
name, prefix, rate and dates, revoking asks first and then refuses the key."""

from __future__ import annotations

import html
from http import HTTPStatus

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.cache import cache
from django.urls import reverse

from survival.apikeys.admin import REVOKED
from survival.apikeys.services import NAME_TAKEN, RATE_FORMAT, api_key_create, key_digest
from survival.models import ApiKey, Prediction
from tests.test_api import passenger, post
from tests.test_api_keys import bearer, every_stored_value

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:survival_apikey_changelist")
ADD = reverse("admin:survival_apikey_add")


def issued_key(page: str) -> str:
    start = page.index('id="issued-key"')
    value = page.index('value="', start) + len('value="')
    return page[value : page.index('"', value)]


def test_issuing_shows_the_key_once(admin_client, active_version):
    assert admin_client.get(ADD).status_code == HTTPStatus.OK
    response = admin_client.post(ADD, {"name": "dashboard", "rate": "60/min"})
    assert response.status_code == HTTPStatus.OK
    assert "no-store" in response["Cache-Control"]
    page = response.content.decode()
    key = issued_key(page)
    assert "shown only on this page" in page
    stored = ApiKey.objects.get()
    assert (stored.name, stored.rate, stored.key_sha256) == ("dashboard", "60/min", key_digest(key))
    assert key not in every_stored_value()
    # Never again: not on the list, not on the key's page.
    listed = admin_client.get(CHANGELIST).content.decode()
    assert "dashboard" in listed
    assert f"{stored.prefix}…" in listed
    assert "60/min" in listed
    assert key not in listed
    own_page = admin_client.get(reverse("admin:survival_apikey_change", args=[stored.pk]))
    assert key not in own_page.content.decode()
    # The key works.
    cache.clear()
    assert post(admin_client, passenger(), **bearer(key)).status_code == HTTPStatus.OK
    assert Prediction.objects.get().api_key_name == "dashboard"


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"name": "taken", "rate": ""}, NAME_TAKEN.format(name="taken")),
        ({"name": "new", "rate": "5 per minute"}, RATE_FORMAT.format(rate="5 per minute")),
        ({"name": "", "rate": ""}, "This field is required."),
    ],
)
def test_a_refused_form_says_why_and_issues_nothing(admin_client, form, message):
    api_key_create(name="taken")
    response = admin_client.post(ADD, form)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert message in html.unescape(response.content.decode())
    assert 'id="issued-key"' not in response.content.decode()
    assert ApiKey.objects.count() == 1


def test_revoking_asks_first_then_refuses_the_key(admin_client, active_version):
    kept = api_key_create(name="kept")
    gone = api_key_create(name="gone")
    selected = {"action": "revoke", ACTION_CHECKBOX_NAME: [gone.api_key.pk]}
    confirm = admin_client.post(CHANGELIST, selected)
    assert confirm.status_code == HTTPStatus.OK
    assert "Revoking is final" in confirm.content.decode()
    assert not ApiKey.objects.filter(revoked_at__isnull=False).exists()

    done = admin_client.post(CHANGELIST, {**selected, "confirm": "yes"}, follow=True)
    assert REVOKED.format(count=1) in done.content.decode()
    assert ApiKey.objects.get(name="gone").revoked_at is not None
    assert ApiKey.objects.get(name="kept").revoked_at is None
    cache.clear()
    refused = post(admin_client, passenger(), **bearer(gone.key))
    assert refused.status_code == HTTPStatus.UNAUTHORIZED
    assert post(admin_client, passenger(), **bearer(kept.key)).status_code == HTTPStatus.OK


def test_keys_are_never_edited_or_deleted(admin_client):
    issued = api_key_create(name="fixed")
    page = admin_client.get(reverse("admin:survival_apikey_change", args=[issued.api_key.pk]))
    assert 'name="name"' not in page.content.decode()
    delete = reverse("admin:survival_apikey_delete", args=[issued.api_key.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == HTTPStatus.FORBIDDEN
    assert ApiKey.objects.filter(name="fixed").exists()


def test_the_prediction_log_shows_the_keys_name(admin_client, active_version):
    issued = api_key_create(name="dashboard")
    cache.clear()
    post(admin_client, passenger(), **bearer(issued.key))
    listed = admin_client.get(reverse("admin:survival_prediction_changelist"))
    assert "dashboard" in listed.content.decode()
    logged = Prediction.objects.get()
    page = admin_client.get(reverse("admin:survival_prediction_change", args=[logged.pk]))
    assert "dashboard" in page.content.decode()
