"""The model list and model card in real Chromium: reachable by keyboard, plots drawn."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_model_card_is_reached_by_keyboard_and_shows_its_plots(
    page: Page, home_url, active_version
):
    page.goto(home_url)
    page.get_by_role("link", name="Models", exact=True).focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Model versions")).to_be_visible()

    page.get_by_role("link", name=f"Version {active_version.version}").focus()
    page.keyboard.press("Enter")
    expect(
        page.get_by_role("heading", name=f"Model card: version {active_version.version}")
    ).to_be_visible()
    expect(page.locator("#metrics")).to_contain_text(
        f"{active_version.holdout_metrics['accuracy']:.3f}"
    )
    plots = page.locator("figure img")
    expect(plots).to_have_count(4)
    for index in range(4):
        plot = plots.nth(index)
        plot.scroll_into_view_if_needed()
        # Decoded and drawn: the browser accepted the stored SVG as an image.
        page.wait_for_function(
            "(img) => img.complete && img.naturalWidth > 0", arg=plot.element_handle()
        )
