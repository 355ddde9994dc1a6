"""An admin makes a version the challenger and reads its comparison, with the keyboard only,
under the strict Content-Security-Policy."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import Page, expect

from e2e.conftest import focused
from e2e.test_content_security_policy import RECORD_VIOLATIONS, assert_nothing_refused
from ml_pipeline.schema import default_passenger
from survival.predictions.services import passengers_predict
from survival.registry.services import model_version_register

pytestmark = pytest.mark.django_db(transaction=True)

# More than the changelist has focusable elements before the controls we look for.
MAX_TABS = 80


def tab_to(page: Page, is_target: str) -> None:
    """Presses Tab until the focused element satisfies the JavaScript predicate `is_target`
    (called with the element)."""
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        if page.evaluate(f"() => ({is_target})(document.activeElement)"):
            return
    raise AssertionError(f"never reached by Tab; focus ended on {focused(page)!r}")


def test_an_admin_sets_the_challenger_and_reads_the_comparison_by_keyboard(
    page: Page, live_server, active_version, trained_forest
):
    errors: list[str] = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.add_init_script(RECORD_VIOLATIONS)
    get_user_model().objects.create_superuser("admin", "admin@localhost", "a-long-test-password")
    forest = model_version_register(result=trained_forest)

    page.goto(f"{live_server.url}/admin/")
    # The login form focuses the user name itself.
    page.keyboard.type("admin")
    page.keyboard.press("Tab")
    page.keyboard.type("a-long-test-password")
    page.keyboard.press("Enter")
    expect(page.locator("#site-name")).to_contain_text("Titanic Survival Predictor")

    page.goto(f"{live_server.url}/admin/survival/modelversion/")
    tab_to(page, f'e => e.name === "_selected_action" && e.value === "{forest.pk}"')
    page.keyboard.press("Space")
    tab_to(page, 'e => e.name === "action"')
    page.keyboard.type("Make the selected")
    expect(page.locator('select[name="action"]')).to_have_value("make_challenger")
    tab_to(page, 'e => e.type === "submit" && e.name === "index"')
    page.keyboard.press("Enter")
    expect(page.locator(".messagelist")).to_contain_text(
        f"Version {forest.version} is now the challenger"
    )

    # Two predictions while it shadows.
    passengers_predict(passengers=[default_passenger()] * 2, channel="api")
    tab_to(page, f'e => e.textContent.trim() === "Live numbers of version {forest.version}"')
    page.keyboard.press("Enter")
    challenger = page.get_by_role("region", name="As challenger")
    expect(challenger).to_contain_text("Scored 2 predictions")
    expect(challenger.get_by_role("table")).to_be_visible()
    assert_nothing_refused(page, errors)
