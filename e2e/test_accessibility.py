"""Keyboard-only use, assistive technology, colour schemes and small screens, in Chromium.

Keyboard tests use only page.keyboard: no click, no fill."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from e2e.conftest import focused, screenshot, serious_violations, wait_for_htmx

pytestmark = pytest.mark.django_db(transaction=True)

FORM_ORDER = ["id_pclass", "id_sex", "id_age", "id_sibsp", "id_parch", "id_fare", "id_embarked"]


def tab_through(page: Page, presses: int) -> list[str]:
    seen = []
    for _ in range(presses):
        page.keyboard.press("Tab")
        seen.append(focused(page))
    return seen


def focus_ring_width(page: Page) -> float:
    return page.evaluate(
        """() => {
            const style = getComputedStyle(document.activeElement);
            return style.outlineStyle === 'none' ? 0 : parseFloat(style.outlineWidth);
        }"""
    )


def test_tab_order_is_logical_and_starts_with_a_skip_link(page: Page, home_url, active_version):
    page.goto(home_url)
    wait_for_htmx(page)
    order = tab_through(page, 20)
    assert order[0] == "Skip to form"
    # The form's controls come in reading order, then its button.
    positions = [order.index(control) for control in FORM_ORDER]
    assert positions == sorted(positions)
    assert order[positions[-1] + 1] == "Predict survival"
    # Example passengers come before the form, as on screen.
    assert order.index("First-class woman") < positions[0]


def test_every_focusable_element_shows_a_visible_focus_ring(page: Page, home_url, active_version):
    page.goto(home_url)
    wait_for_htmx(page)
    for _ in range(20):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement === document.body"):
            break
        assert focus_ring_width(page) >= 2, f"no visible focus on {focused(page)}"


def test_there_is_no_keyboard_trap(page: Page, home_url, active_version):
    page.goto(home_url)
    wait_for_htmx(page)
    page.keyboard.press("Tab")
    first = focused(page)
    seen = tab_through(page, 40)
    # Tabbing on leaves the page's last control and comes round to the first one again.
    assert "Model registry (admin)" in seen
    assert first in seen


def test_the_skip_link_moves_to_the_form(page: Page, home_url, active_version):
    page.goto(home_url)
    wait_for_htmx(page)
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    assert focused(page) == "id_pclass"


def test_escape_changes_nothing(page: Page, home_url, active_version):
    page.goto(home_url)
    wait_for_htmx(page)
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    for _ in range(3):
        page.keyboard.press("Tab")
    assert focused(page) == "id_age"
    page.keyboard.press("Control+A")
    page.keyboard.type("9")
    # The preview for age 9 first: its answer replaces the address once it is painted.
    expect(page).to_have_url(re.compile(r"[?&]age=9(&|$)"))
    probability = page.locator("#result .probability")
    expect(probability).to_have_text(re.compile(r"%$"))
    before = probability.text_content()
    page.keyboard.press("Escape")
    page.keyboard.press("Escape")
    expect(page.locator("#id_age")).to_have_value("9")
    expect(probability).to_have_text(before)
    assert focused(page) == "id_age"


def test_errors_are_linked_to_their_fields_and_announced(page: Page, home_url, active_version):
    page.goto(home_url)
    wait_for_htmx(page)
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    for _ in range(6):
        page.keyboard.press("Tab")
    assert focused(page) == "id_fare"
    page.keyboard.press("Control+A")
    page.keyboard.type("9999")
    expect(page.locator("#id_fare_error")).to_have_text("Fare must be at most 600.")
    described_by = page.locator("#id_fare").get_attribute("aria-describedby").split()
    assert "id_fare_error" in described_by
    expect(page.locator("#id_fare")).to_have_attribute("aria-invalid", "true")
    # The message is inside the one polite live region, so it is announced once.
    expect(page.locator('#result[aria-live="polite"] #result-status')).to_contain_text(
        "Fare must be at most 600."
    )
    assert focused(page) == "id_fare"


def test_the_result_region_is_a_single_polite_live_region(page: Page, home_url, active_version):
    page.goto(home_url)
    wait_for_htmx(page)
    live = page.locator("[aria-live]")
    expect(live).to_have_count(1)
    expect(live).to_have_attribute("aria-live", "polite")
    # Nothing inside it is a live region of its own, which would announce updates twice.
    expect(
        page.locator("#result [aria-live], #result [role=status], #result [role=alert]")
    ).to_have_count(0)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_no_serious_accessibility_violations(page: Page, home_url, active_version, scheme):
    page.emulate_media(color_scheme=scheme)
    page.goto(home_url)
    wait_for_htmx(page)
    assert page.evaluate("document.documentElement.dataset.bsTheme") == scheme
    assert serious_violations(page) == [], "on load"

    page.select_option("#id_sex", "female")
    expect(page.locator("#result .probability")).to_be_visible()
    assert serious_violations(page) == [], "with a result"

    page.fill("#id_age", "")
    expect(page.locator("#id_age_error")).to_have_text("Age is required.")
    assert serious_violations(page) == [], "with errors"
    if scheme == "dark":
        screenshot(page, "dark-mode-error")
        page.fill("#id_age", "30")
        expect(page.locator("#id_age_error")).to_be_hidden()
        screenshot(page, "dark-mode")


def test_phone_width_has_no_horizontal_scroll_and_large_touch_targets(
    browser, home_url, active_version
):
    context = browser.new_context(viewport={"width": 360, "height": 800}, has_touch=True)
    page = context.new_page()
    try:
        page.goto(home_url)
        wait_for_htmx(page)
        page.select_option("#id_sex", "female")
        expect(page.locator("#result .probability")).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        small = page.evaluate(
            """() => [...document.querySelectorAll(`button, input:not([type=hidden]), select,
                        a.btn, .navbar-brand, .nav-link, .footer-links a, .answer-summary-link`)]
                .map(el => [el.id || el.textContent.trim(), el.getBoundingClientRect().height])
                .filter(([, height]) => height < 44)"""
        )
        assert small == []
        screenshot(page, "phone")
    finally:
        context.close()
