"""Live what-if: the result follows the form as the visitor changes it, in real Chromium."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, Route, expect

from e2e.conftest import focused, screenshot, wait_for_htmx
from ml_pipeline.schema import default_passenger, to_frame

pytestmark = pytest.mark.django_db(transaction=True)


def expected_percent(trained, **changes) -> str:
    """What the card must show for the default passenger with these changes (the fare, left
    empty on the first visit, is the typical fare of the class)."""
    fares = trained.training_context["median_fare"]
    fare = fares[str(changes.get("pclass", 3))]
    passenger = {**default_passenger(), "fare": fare, **changes}
    probability = trained.pipeline.predict_proba(to_frame([passenger]))[0, 1]
    return f"{probability * 100:.1f}%"


def is_preview(url: str) -> bool:
    """A preview: a GET of the page itself with a passenger in the query."""
    return "/?pclass=" in url


def verdict_words(shown: float) -> str:
    if shown >= 70:
        return "Likely to survive"
    return "Uncertain: could go either way" if shown >= 30 else "Unlikely to survive"


def open_page(page: Page, url: str) -> None:
    page.goto(url)
    wait_for_htmx(page)
    page.evaluate("window.__sameDocument = 'yes'")


def retype(page: Page, selector: str, text: str) -> None:
    page.focus(selector)
    page.keyboard.press("Control+A")
    page.keyboard.type(text)


def test_typing_updates_the_result_without_the_button(
    page: Page, home_url, active_version, trained_logreg
):
    open_page(page, home_url)
    retype(page, "#id_age", "5")
    expect(page.locator("#result .probability")).to_have_text(
        expected_percent(trained_logreg, age=5)
    )
    # The answer came without a reload and without moving the visitor's focus or caret.
    assert page.evaluate("window.__sameDocument") == "yes"
    assert focused(page) == "id_age"
    assert page.evaluate("document.activeElement.value") == "5"


def test_changing_a_select_updates_the_result(page: Page, home_url, active_version, trained_logreg):
    open_page(page, home_url)
    page.select_option("#id_sex", "female")
    expect(page.locator("#result .probability")).to_have_text(
        expected_percent(trained_logreg, sex="female")
    )
    page.select_option("#id_pclass", "1")
    expect(page.locator("#result .probability")).to_have_text(
        expected_percent(trained_logreg, sex="female", pclass=1)
    )


def test_an_answer_to_an_older_request_is_never_shown(
    page: Page, home_url, active_version, trained_logreg
):
    open_page(page, home_url)
    held: list[Route] = []

    def hold_the_first(route: Route) -> None:
        if not held:
            held.append(route)  # keep the first request in flight
        else:
            route.continue_()

    page.route(is_preview, hold_the_first)
    page.evaluate("document.addEventListener('htmx:sendAbort', () => { window.__aborted = true })")
    page.select_option("#id_sex", "female")
    expect(page.locator("#busy")).to_be_visible()
    page.select_option("#id_pclass", "1")  # a newer change while the first is in flight
    newest = expected_percent(trained_logreg, sex="female", pclass=1)
    expect(page.locator("#result .probability")).to_have_text(newest)
    # The older request was cancelled in the browser (hx-sync replace), so whatever the
    # server answers to it can never reach the page.
    page.wait_for_function("() => window.__aborted === true")
    held[0].continue_()
    expect(page.locator("#busy")).to_be_hidden()
    expect(page.locator("#result .probability")).to_have_text(newest)


def test_a_busy_indicator_shows_while_a_request_is_in_flight(page: Page, home_url, active_version):
    open_page(page, home_url)
    held: list[Route] = []
    page.route(is_preview, lambda route: held.append(route))
    busy = page.locator("#busy")
    expect(busy).to_be_hidden()
    retype(page, "#id_age", "40")
    expect(busy).to_be_visible()
    expect(busy).to_have_attribute("role", "status")
    expect(busy).to_have_text(re.compile("Updating"))
    assert focused(page) == "id_age"  # the indicator never takes focus
    held[0].continue_()
    expect(page.locator("#result .probability")).to_be_visible()
    expect(busy).to_be_hidden()


def test_a_quick_answer_shows_no_busy_indicator(
    page: Page, home_url, active_version, trained_logreg
):
    # The indicator waits a moment before it shows: an answer that comes at once paints no
    # spinner and has no "Updating…" announced (the test above shows it for a slow one).
    open_page(page, home_url)
    page.evaluate(
        """() => {
          window.__busyWhenSent = [];
          document.addEventListener("htmx:beforeSend", () => {
            const busy = document.getElementById("busy");
            window.__busyWhenSent.push([
              busy.classList.contains("htmx-request"), getComputedStyle(busy).visibility,
            ]);
          });
        }"""
    )
    page.select_option("#id_sex", "female")
    expect(page.locator("#result .probability")).to_have_text(
        expected_percent(trained_logreg, sex="female")
    )
    # In flight (htmx marked it), yet not shown.
    assert page.evaluate("window.__busyWhenSent") == [[True, "hidden"]]
    expect(page.locator("#busy")).to_be_hidden()


def test_half_typed_input_keeps_the_last_result_marked_out_of_date(
    page: Page, home_url, active_version, trained_logreg
):
    open_page(page, home_url)
    retype(page, "#id_age", "30")
    card = page.locator("#result .result-card")
    expect(card.locator(".probability")).to_have_text(expected_percent(trained_logreg, age=30))

    page.keyboard.press("Control+A")
    page.keyboard.press("Backspace")  # an empty age while typing
    error = page.locator("#id_age_error")
    expect(error).to_have_text("Age is required.")
    expect(page.locator("#id_age")).to_have_attribute("aria-invalid", "true")
    # The last good answer stays on screen, visibly marked out of date.
    expect(card).to_be_visible()
    expect(card.locator(".stale-badge")).to_be_visible()
    expect(card.locator(".stale-badge")).to_have_text("Out of date")
    expect(card.locator(".probability")).to_have_text(expected_percent(trained_logreg, age=30))
    expect(page.locator("#result-status")).to_contain_text("Age is required.")
    screenshot(page, "error")

    page.keyboard.type("60")
    expect(card.locator(".probability")).to_have_text(expected_percent(trained_logreg, age=60))
    expect(error).to_be_hidden()
    expect(card.locator(".stale-badge")).to_be_hidden()
    expect(page.locator("#id_age")).not_to_have_attribute("aria-invalid", "true")
    assert focused(page) == "id_age"


def test_the_result_card_shows_verdict_probability_version_and_why(
    page: Page, home_url, active_version, trained_logreg
):
    open_page(page, home_url)
    page.select_option("#id_sex", "female")
    page.select_option("#id_pclass", "1")
    retype(page, "#id_age", "8")
    card = page.locator("#result .result-card")
    expect(card.locator(".probability")).to_have_text(
        expected_percent(trained_logreg, sex="female", pclass=1, age=8)
    )
    shown = float(card.locator(".probability").text_content().rstrip("%"))
    expect(card.locator(".verdict")).to_have_text(verdict_words(shown))
    bar = card.get_by_role("progressbar", name="Probability of survival")
    assert float(bar.get_attribute("value")) == pytest.approx(shown)
    expect(card.locator(".model-version")).to_contain_text(
        f"model version {active_version.version} (Logistic regression)"
    )
    reasons = card.locator(".contribution")
    assert 2 <= reasons.count() <= 4
    sex = card.locator('.contribution[data-feature="sex"]')
    expect(sex).to_contain_text("Sex: Female")
    expect(sex.locator(".points")).to_have_text(re.compile(r"^\+\d+\.\d pts$"))
    screenshot(page, "result")


def test_a_preset_fills_the_form_and_updates_the_result(
    page: Page, home_url, active_version, trained_logreg
):
    from survival.predictions.presets import PRESETS

    open_page(page, home_url)
    woman = PRESETS[0]
    page.get_by_role("link", name=woman.title).click()
    expect(page.locator("#id_pclass")).to_have_value("1")
    expect(page.locator("#id_sex")).to_have_value("female")
    expect(page.locator("#id_age")).to_have_value("38")
    probability = trained_logreg.pipeline.predict_proba(to_frame([woman.passenger]))[0, 1]
    expect(page.locator("#result .probability")).to_have_text(f"{probability * 100:.1f}%")
    assert page.evaluate("window.__sameDocument") == "yes"
    # The refilled form is live too.
    retype(page, "#id_age", "70")
    older = trained_logreg.pipeline.predict_proba(to_frame([{**woman.passenger, "age": 70}]))
    expect(page.locator("#result .probability")).to_have_text(f"{older[0, 1] * 100:.1f}%")
