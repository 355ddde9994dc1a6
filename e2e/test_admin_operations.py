"""Operating the model in the admin with the keyboard alone: rolling back to the previous
version, and the promotion gate refusing a weaker one (then an override)."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import Page, expect

from e2e.conftest import screenshot, serious_violations
from survival.models import GateRefusal, ModelActivation, ModelVersion
from survival.registry.services import model_version_activate

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "a-long-test-password"
# More stops than any of these pages has: a control never reached is a failure, not a hang.
TAB_LIMIT = 80


def tab_to(page: Page, selector: str) -> None:
    """Presses Tab until the element matching `selector` has the focus."""
    for _ in range(TAB_LIMIT):
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"{selector} cannot be reached with the Tab key")


def log_in_with_the_keyboard(page: Page, live_server) -> None:
    get_user_model().objects.create_superuser("admin", "admin@localhost", PASSWORD)
    page.goto(live_server.url + "/admin/")
    tab_to(page, "#id_username")
    page.keyboard.type("admin")
    tab_to(page, "#id_password")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Model registry")).to_be_visible()
    # From the registry's index to the versions, through the link.
    tab_to(page, '#content-main a[href="/admin/survival/modelversion/"]')
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Select model version")).to_be_visible()


def test_rolling_back_to_the_previous_version_with_the_keyboard(
    page: Page, live_server, version_with
):
    first = model_version_activate(version=version_with(roc_auc=0.86, brier=0.13))
    second = model_version_activate(version=version_with(roc_auc=0.86, brier=0.13))
    log_in_with_the_keyboard(page, live_server)

    tab_to(page, 'a[href="/admin/survival/modelversion/rollback/"]')
    page.keyboard.press("Enter")
    expect(
        page.get_by_role("heading", name=f"Roll back to version {first.version}")
    ).to_be_visible()
    expect(page.locator("#change-summary")).to_contain_text(
        f"Version {second.version} (Logistic regression) is active now."
    )
    tab_to(page, "#id_reason")
    page.keyboard.type("version 2 answers oddly")
    tab_to(page, f'input[type="submit"][value="Roll back to version {first.version}"]')
    page.keyboard.press("Enter")

    expect(page.locator(".messagelist")).to_contain_text(
        f"Rolled back from version {second.version} to version {first.version}"
    )
    screenshot(page, "admin-rolled-back")
    assert list(ModelVersion.objects.filter(is_active=True)) == [first]
    record = ModelActivation.objects.first()
    assert (record.to_version, record.reason, record.rollback, record.by.username) == (
        first,
        "version 2 answers oddly",
        True,
        "admin",
    )

    # The version's own page shows the change in its history.
    tab_to(page, f'a[href="/admin/survival/modelversion/{first.pk}/change/"]')
    page.keyboard.press("Enter")
    history = page.locator("table.activation-history")
    expect(history).to_contain_text("version 2 answers oddly")
    expect(history).to_contain_text("rollback")


def test_the_gate_refuses_a_weaker_version_and_an_override_needs_a_deliberate_tick(
    page: Page, live_server, version_with
):
    active = model_version_activate(version=version_with(roc_auc=0.793, brier=0.130))
    weak = version_with(roc_auc=0.702, brier=0.160)
    log_in_with_the_keyboard(page, live_server)

    # Tick the weak version, pick the action with the arrow key, run it.
    tab_to(page, f'input[name="_selected_action"][value="{weak.pk}"]')
    page.keyboard.press("Space")
    tab_to(page, 'select[name="action"]')
    page.keyboard.press("ArrowDown")
    expect(page.locator('select[name="action"]')).to_have_value("activate")
    tab_to(page, 'button[name="index"]')
    page.keyboard.press("Enter")

    numbers = (
        f"held-out ROC AUC 0.702 is 0.091 below the active v{active.version}'s 0.793; "
        "the gate allows 0.020"
    )
    verdict = page.locator("#gate-verdict")
    expect(verdict).to_contain_text(f"The promotion gate refuses version {weak.version}")
    expect(verdict).to_contain_text(numbers)

    tab_to(page, "#id_reason")
    page.keyboard.type("the new export")
    tab_to(page, f'input[type="submit"][value="Activate version {weak.version}"]')
    page.keyboard.press("Enter")
    refusal = page.locator(".messagelist .error")
    expect(refusal).to_contain_text(f"Version {weak.version} was not activated")
    expect(refusal).to_contain_text(numbers)
    screenshot(page, "admin-gate-refused")
    assert serious_violations(page) == []
    assert list(ModelVersion.objects.filter(is_active=True)) == [active]
    assert GateRefusal.objects.get().reason == "the new export"

    # The reason stays typed; the override is one deliberate Space on its own checkbox.
    expect(page.locator("#id_reason")).to_have_value("the new export")
    tab_to(page, "#id_override_gate")
    page.keyboard.press("Space")
    expect(page.locator("#id_override_gate")).to_be_checked()
    tab_to(page, f'input[type="submit"][value="Activate version {weak.version}"]')
    page.keyboard.press("Enter")
    expect(page.locator(".messagelist")).to_contain_text(
        f"Version {weak.version} is now active although the promotion gate refused it"
    )
    assert list(ModelVersion.objects.filter(is_active=True)) == [weak]
    assert ModelActivation.objects.first().gate_overridden is True
