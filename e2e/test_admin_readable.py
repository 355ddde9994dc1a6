"""At 1280×800, in the light and the dark admin theme, the version list fits the width with
its state column second, and a version's page opens on its model card link and live numbers."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import Page, expect

from e2e.conftest import screenshot

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "a-long-test-password"


def log_in(page: Page, live_server) -> None:
    get_user_model().objects.create_superuser("admin", "admin@localhost", PASSWORD)
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "admin")
    page.fill("#id_password", PASSWORD)
    page.press("#id_password", "Enter")
    expect(page.locator("#site-name")).to_contain_text("Titanic Survival Predictor")


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_version_list_fits_1280_pixels_with_the_state_second(
    page: Page, live_server, active_version, scheme
):
    page.set_viewport_size({"width": 1280, "height": 800})
    page.emulate_media(color_scheme=scheme)
    log_in(page, live_server)
    page.goto(f"{live_server.url}/admin/survival/modelversion/")
    headers = page.locator("#result_list thead th:not(.action-checkbox-column)")
    expect(headers.nth(1)).to_have_text("State")
    expect(headers.nth(1)).to_be_in_viewport()
    expect(page.locator("#result_list td.field-state").first).to_have_text("Active")
    widths = page.evaluate(
        """() => {
            const list = document.querySelector('#changelist .results');
            return {
                page: [document.documentElement.scrollWidth, document.documentElement.clientWidth],
                list: [list.scrollWidth, list.clientWidth],
            };
        }"""
    )
    assert widths["page"][0] <= widths["page"][1], widths
    assert widths["list"][0] <= widths["list"][1], widths
    # The last column is on screen too: nothing hides to the right.
    expect(headers.last).to_be_in_viewport()
    screenshot(page, f"admin-versions-1280-{scheme}")


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_a_versions_page_opens_on_its_card_and_live_numbers_without_save(
    page: Page, live_server, active_version, scheme
):
    page.set_viewport_size({"width": 1280, "height": 800})
    page.emulate_media(color_scheme=scheme)
    log_in(page, live_server)
    page.goto(f"{live_server.url}/admin/survival/modelversion/{active_version.pk}/change/")
    card = page.get_by_role("link", name=f"Model card of version {active_version.version}")
    expect(card).to_be_in_viewport()
    expect(page.get_by_role("heading", name="Live numbers")).to_be_in_viewport()
    expect(page.locator('input[type="submit"]')).to_have_count(0)
    raw = page.locator("details.raw-json").first
    expect(raw.locator("pre")).to_be_hidden()
    raw.locator("summary").click()
    expect(raw.locator("pre")).to_be_visible()
    assert page.evaluate(
        "() => document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )
    screenshot(page, f"admin-version-1280-{scheme}")
    card.click()
    expect(page).to_have_url(f"{live_server.url}/models/{active_version.version}/")
