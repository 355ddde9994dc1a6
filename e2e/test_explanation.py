"""The explanation on the page adds up, as a visitor reads it in real Chromium: the baseline,
the pushes shown and the other inputs make the probability shown."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from e2e.conftest import serious_violations, wait_for_htmx
from survival.predictions.presets import PRESETS

pytestmark = pytest.mark.django_db(transaction=True)


def number(text: str) -> float:
    return float(text.replace("\u2212", "-").replace("%", "").replace("pts", "").strip())


@pytest.mark.parametrize("preset", PRESETS, ids=lambda preset: preset.slug)
def test_the_printed_explanation_adds_up_for_every_preset(
    page: Page, home_url, active_version, preset
):
    page.goto(home_url)
    wait_for_htmx(page)
    page.locator(f'a.preset[data-preset="{preset.slug}"]').click()
    why = page.locator("#result-card .explanation")
    # The answer for this preset is on the page once the form holds its age.
    expect(page.locator("#id_age")).to_have_value(f"{preset.passenger['age']:g}")
    expect(why).to_be_visible()
    expect(why.get_by_role("heading", name="Why")).to_be_visible()
    expect(why.locator(".explanation-baseline")).to_contain_text("An average passenger:")

    probability = number(page.locator("#result-card .probability").inner_text())
    baseline = number(why.locator(".baseline").inner_text())
    points = [
        number(text.split()[0]) for text in why.locator(".contribution .points").all_inner_texts()
    ]
    total = number(why.locator(".explained-probability").inner_text())
    assert 2 <= len(points) <= 4
    assert abs(baseline + sum(points) - probability) <= 0.5
    assert total == probability
    expect(why.locator(".contribution").last).to_contain_text("Other inputs")
    # Each line says in words what its sign and arrow show.
    sentences = why.locator(".contribution .visually-hidden").all_inner_texts()
    assert all("the probability by" in sentence for sentence in sentences)
    assert serious_violations(page) == []
