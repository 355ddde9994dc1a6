"""With JavaScript off, the same journeys work on full-page renders with the same content."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from e2e.conftest import screenshot, serious_violations
from survival.predictions.presets import PRESETS

pytestmark = pytest.mark.django_db(transaction=True)

PERCENT = re.compile(r"^\d{1,3}\.\d%$")


@pytest.fixture
def page_without_js(browser):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    yield page
    context.close()


def test_submitting_shows_the_full_result_card(page_without_js: Page, home_url, active_version):
    page = page_without_js
    page.goto(home_url)
    page.select_option("#id_sex", "female")
    page.select_option("#id_pclass", "1")
    page.fill("#id_age", "8")
    page.get_by_role("button", name="Predict survival").click()
    page.wait_for_url(re.compile(r"/predict/$"))
    card = page.locator("#result .result-card")
    expect(card.locator(".probability")).to_have_text(PERCENT)
    expect(card.locator(".verdict")).to_have_text("Likely to survive")
    expect(card.get_by_role("progressbar")).to_have_count(1)
    assert 2 <= card.locator(".contribution").count() <= 4
    expect(card.locator(".model-version")).to_contain_text(
        f"model version {active_version.version}"
    )
    expect(page.locator("#id_age")).to_have_value("8")
    screenshot(page, "no-js-result")


def test_errors_show_inline_on_the_full_page(page_without_js: Page, home_url, active_version):
    page = page_without_js
    page.goto(home_url)
    page.fill("#id_age", "")
    page.fill("#id_fare", "-5")
    page.get_by_role("button", name="Predict survival").click()
    page.wait_for_url(re.compile(r"/predict/$"))
    expect(page.locator("#id_age_error")).to_have_text("Age is required.")
    expect(page.locator("#id_fare_error")).to_have_text("Fare must be at least 0.")
    expect(page.locator("#id_age")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#result-status")).to_contain_text("Please correct 2 fields")
    expect(page.locator("#result .result-card")).to_have_count(0)
    screenshot(page, "no-js-errors")


def test_presets_are_plain_links_that_fill_the_form(
    page_without_js: Page, home_url, active_version
):
    page = page_without_js
    page.goto(home_url)
    child = next(preset for preset in PRESETS if preset.slug == "child")
    page.get_by_role("link", name=child.title).click()
    page.wait_for_url(re.compile(r"\?pclass=2&"))
    expect(page.locator("#id_pclass")).to_have_value("2")
    expect(page.locator("#id_age")).to_have_value("3")
    expect(page.locator("#id_parch")).to_have_value("1")
    expect(page.locator("#result .probability")).to_have_text(PERCENT)


def test_the_full_page_answers_have_no_serious_accessibility_violations(
    browser, home_url, active_version
):
    # axe-core needs JavaScript to run, so here the browser keeps it on for axe alone and
    # refuses every script the page asks for: the page renders exactly as with JS off.
    context = browser.new_context()
    context.route("**/*.js", lambda route: route.abort())
    page = context.new_page()
    try:
        page.goto(home_url)
        page.select_option("#id_sex", "female")
        page.get_by_role("button", name="Predict survival").click()
        page.wait_for_url(re.compile(r"/predict/$"))
        expect(page.locator("#result .probability")).to_have_text(PERCENT)
        assert serious_violations(page) == [], "the no-JS result page"
        page.fill("#id_age", "")
        page.get_by_role("button", name="Predict survival").click()
        expect(page.locator("#id_age_error")).to_have_text("Age is required.")
        assert serious_violations(page) == [], "the no-JS error page"
    finally:
        context.close()
