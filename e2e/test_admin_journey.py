"""An admin switches the active version in the browser; the page answers with it at once."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import Page, expect

from e2e.conftest import wait_for_htmx
from survival.registry.services import model_version_register

pytestmark = pytest.mark.django_db(transaction=True)


def test_activating_another_version_in_the_admin_reaches_the_page(
    page: Page, live_server, home_url, active_version, trained_forest
):
    get_user_model().objects.create_superuser("admin", "admin@localhost", "a-long-test-password")
    forest = model_version_register(result=trained_forest)

    page.goto(home_url)
    wait_for_htmx(page)
    page.select_option("#id_sex", "female")
    expect(page.locator("#result .model-version")).to_contain_text(
        f"model version {active_version.version} (Logistic regression)"
    )

    page.goto(live_server.url + "/admin/")
    page.fill("#id_username", "admin")
    page.fill("#id_password", "a-long-test-password")
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name="Model versions").click()
    page.locator(f'input[name="_selected_action"][value="{forest.pk}"]').check()
    page.select_option('select[name="action"]', "activate")
    page.get_by_role("button", name="Go").click()
    # The action asks why before anything changes.
    expect(page.locator("#gate-verdict")).to_contain_text("The promotion gate passes")
    page.fill("#id_reason", "a forest for the season")
    page.get_by_role("button", name=f"Activate version {forest.version}").click()
    expect(page.locator(".messagelist")).to_contain_text(f"Version {forest.version} is now active")

    page.goto(home_url)
    wait_for_htmx(page)
    page.select_option("#id_sex", "female")
    expect(page.locator("#result .model-version")).to_contain_text(
        f"model version {forest.version} (Random forest)"
    )
