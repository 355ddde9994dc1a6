"""A visitor's journeys on the predictor page, in real Chromium."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from e2e.conftest import focused, wait_for_htmx
from survival.models import Prediction

pytestmark = pytest.mark.django_db(transaction=True)

PERCENT = re.compile(r"^\d{1,3}\.\d%$")


def test_changing_age_and_class_updates_the_probability_without_a_reload(
    page: Page, home_url, active_version
):
    page.goto(home_url)
    wait_for_htmx(page)
    # A marker on window survives only if the page is never reloaded.
    page.evaluate("window.__sameDocument = 'yes'")
    probability = page.locator("#result .probability")

    page.select_option("#id_pclass", "1")
    page.select_option("#id_sex", "female")
    page.fill("#id_age", "30")
    page.get_by_role("button", name="Predict survival").click()
    expect(probability).to_have_text(PERCENT)
    first = probability.text_content()
    expect(page.locator("#result")).to_contain_text(f"model version {active_version.version}")

    page.select_option("#id_pclass", "3")
    page.fill("#id_age", "65")
    with page.expect_response(lambda response: response.request.method == "POST"):
        page.get_by_role("button", name="Predict survival").click()
    expect(probability).not_to_have_text(first)
    expect(probability).to_have_text(PERCENT)

    assert page.evaluate("window.__sameDocument") == "yes"
    # The address bar follows the submitted passenger: a link that reproduces the answer.
    expect(page).to_have_url(re.compile(r"/\?pclass=3&sex=female&age=65&"))
    # Submitted right after typing: the typing's preview did not cancel the submission.
    assert Prediction.objects.count() == 2


def test_the_same_journey_with_the_keyboard_only(page: Page, home_url, active_version):
    page.goto(home_url)
    wait_for_htmx(page)
    page.evaluate("window.__sameDocument = 'yes'")
    probability = page.locator("#result .probability")

    # The first Tab reaches the skip link; following it lands in the form.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Skip to form"
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    assert focused(page) == "id_pclass"
    page.keyboard.press("ArrowUp")
    page.keyboard.press("ArrowUp")
    expect(page.locator("#id_pclass")).to_have_value("1")
    page.keyboard.press("Tab")
    assert focused(page) == "id_sex"
    page.keyboard.press("ArrowUp")
    expect(page.locator("#id_sex")).to_have_value("female")
    page.keyboard.press("Tab")
    assert focused(page) == "id_age"
    page.keyboard.press("Control+A")
    page.keyboard.type("8")
    page.keyboard.press("Enter")  # implicit submission from a text field
    expect(probability).to_have_text(PERCENT)
    first = probability.text_content()
    # The answer arrived without moving the visitor's focus.
    assert focused(page) == "id_age"

    # Back to the class with Shift+Tab, down to 3rd class, and submit again with Enter.
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")
    assert focused(page) == "id_pclass"
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    expect(page.locator("#id_pclass")).to_have_value("3")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    assert focused(page) == "id_age"
    page.keyboard.press("Enter")
    expect(probability).not_to_have_text(first)
    assert page.evaluate("window.__sameDocument") == "yes"


def test_without_javascript_the_form_answers_on_a_full_page(browser, home_url, active_version):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(home_url)
        page.select_option("#id_pclass", "1")
        page.select_option("#id_sex", "female")
        page.fill("#id_age", "30")
        page.get_by_role("button", name="Predict survival").click()
        page.wait_for_url(re.compile(r"/predict/$"))
        expect(page.locator("#result .probability")).to_have_text(PERCENT)
        expect(page.locator("#result .verdict")).to_have_text("Likely to survive")
        # The full page keeps the visitor's answers in the form.
        expect(page.locator("#id_age")).to_have_value("30")
        assert Prediction.objects.count() == 1
    finally:
        context.close()
