"""The main states of the visitor's page, photographed for the README (docs/screenshots/
with `make screenshots`; the run's screenshots/ folder otherwise). Each state is checked
before it is saved, so a picture never shows a broken page."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from e2e.conftest import SCREENSHOTS, wait_for_htmx
from survival.predictions.presets import PRESETS
from survival.registry.services import model_version_deactivate

pytestmark = pytest.mark.django_db(transaction=True)


def photograph(page: Page, name: str, *, full_page: bool = True) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    # The caret is left as it is: hiding it makes Playwright add a <style>, which the page's
    # Content-Security-Policy refuses (and logs as an error).
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=full_page, caret="initial")


def test_photograph_the_main_states(browser: Browser, live_server, active_version):
    home = live_server.url + "/"
    for scheme in ("light", "dark"):
        context = browser.new_context(viewport={"width": 1280, "height": 900}, color_scheme=scheme)
        page = context.new_page()
        page.goto(f"{home}?{PRESETS[0].query}")
        wait_for_htmx(page)
        expect(page.locator("#result .verdict")).to_have_text("Likely to survive")
        photograph(page, f"desktop-{scheme}")
        if scheme == "light":
            page.goto(home)
            wait_for_htmx(page)
            page.fill("#id_age", "abc")
            expect(page.locator("#result .stale-badge")).to_be_visible()
            photograph(page, "desktop-out-of-date")
        context.close()

    phone = browser.new_context(viewport={"width": 360, "height": 740}, has_touch=True)
    page = phone.new_page()
    page.goto(home)
    wait_for_htmx(page)
    page.get_by_role("link", name=PRESETS[2].title).tap()
    expect(page.locator("#id_age")).to_have_value("3")
    page.locator("#id_fare").scroll_into_view_if_needed()
    expect(page.locator("#answer-summary .summary-verdict")).to_be_in_viewport()
    photograph(page, "phone", full_page=False)
    phone.close()

    no_script = browser.new_context(
        java_script_enabled=False, viewport={"width": 1280, "height": 900}
    )
    page = no_script.new_page()
    page.goto(home)
    page.select_option("#id_pclass", "1")
    page.get_by_role("button", name="Predict survival").click()
    expect(page.locator("#result .fare-used")).to_be_visible()
    photograph(page, "no-javascript-submitted")
    model_version_deactivate(version=active_version)
    page.goto(home)
    expect(page.locator("#no-model-notice")).to_contain_text("Predictions are paused")
    photograph(page, "paused")
    no_script.close()
