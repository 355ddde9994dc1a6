"""On a 360×740 phone the verdict and the probability stay in sight after every change, and
nothing scrolls sideways, in real Chromium."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from e2e.conftest import wait_for_htmx
from survival.predictions.presets import PRESETS

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 360, "height": 740}


@pytest.fixture
def phone(browser: Browser) -> Page:
    context = browser.new_context(viewport=PHONE, has_touch=True, is_mobile=True)
    yield context.new_page()
    context.close()


def assert_answer_in_sight(page: Page) -> None:
    """The summary repeats the card's verdict and probability, inside the viewport."""
    summary = page.locator("#answer-summary")
    card = page.locator("#result .result-card")
    expect(summary.locator(".summary-probability")).to_have_text(
        card.locator(".probability").text_content()
    )
    expect(summary.locator(".summary-verdict")).to_have_text(
        card.locator(".verdict").text_content()
    )
    expect(summary.locator(".summary-verdict")).to_be_in_viewport(ratio=1)
    expect(summary.locator(".summary-probability")).to_be_in_viewport(ratio=1)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_the_answer_stays_in_sight_after_a_preset_and_after_a_change(
    phone: Page, home_url, active_version
):
    page = phone
    page.goto(home_url)
    wait_for_htmx(page)
    assert_answer_in_sight(page)

    for preset in PRESETS:
        before = page.locator("#result .probability").text_content()
        page.get_by_role("link", name=preset.title).tap()
        expect(page.locator("#id_age")).to_have_value(str(preset.passenger["age"]))
        if preset is not PRESETS[0]:
            expect(page.locator("#result .probability")).not_to_have_text(before)
        assert_answer_in_sight(page)

    # Further down the form, out of sight of the card: the summary is still there.
    page.locator("#id_embarked").scroll_into_view_if_needed()
    before = page.locator("#result .probability").text_content()
    page.select_option("#id_embarked", "C")
    expect(page.locator("#result .probability")).not_to_have_text(before)
    assert_answer_in_sight(page)
    before = page.locator("#answer-summary .summary-probability").text_content()
    page.locator("#id_age").fill("9")
    expect(page.locator("#answer-summary .summary-probability")).not_to_have_text(before)
    assert_answer_in_sight(page)


def test_a_refused_change_marks_the_summary_out_of_date(phone: Page, home_url, active_version):
    page = phone
    page.goto(home_url)
    wait_for_htmx(page)
    page.locator("#id_age").fill("abc")
    expect(page.locator("#id_age_error")).to_have_text("Enter the age as a number, e.g. 29.")
    expect(page.locator("#answer-summary .stale-badge")).to_be_visible()
    expect(page.locator("#answer-summary .stale-badge")).to_be_in_viewport()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_the_summary_is_not_shown_on_a_wide_screen(page: Page, home_url, active_version):
    page.goto(home_url)
    expect(page.locator("#result .probability")).to_be_visible()
    expect(page.locator("#answer-summary")).to_be_hidden()


def test_the_summary_leads_to_the_card_and_back_returns(phone: Page, home_url, active_version):
    page = phone
    page.goto(home_url)
    wait_for_htmx(page)
    page.get_by_role("link", name=PRESETS[0].title).tap()
    expect(page.locator("#id_age")).to_have_value(str(PRESETS[0].passenger["age"]))
    answer = page.locator("#result .probability").text_content()
    page.locator(".answer-summary-link").tap()
    expect(page).to_have_url(re.compile(r"#result-heading$"))
    expect(page.locator("#result-heading")).to_be_in_viewport()
    page.go_back()
    expect(page).to_have_url(re.compile(r"/\?pclass=1&sex=female&age=38&"))
    expect(page.locator("#id_age")).to_have_value(str(PRESETS[0].passenger["age"]))
    expect(page.locator("#result .probability")).to_have_text(answer)
