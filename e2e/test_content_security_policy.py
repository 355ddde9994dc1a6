"""Every page works under the strict Content-Security-Policy, in real Chromium: nothing the
browser refuses (no CSP violation, no console error), and the htmx interactions still work."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import Page, expect

from e2e.conftest import wait_for_htmx

pytestmark = pytest.mark.django_db(transaction=True)

VERDICT = re.compile(r"^(Likely to survive|Uncertain: could go either way|Unlikely to survive)$")

# Runs before any page script; the browser reports each refusal as this DOM event.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(`${event.violatedDirective}: ${event.blockedURI} ${event.sample}`);
});
"""


@pytest.fixture
def watched(page: Page) -> tuple[Page, list[str]]:
    """The page, and the console errors it logs (CSP refusals are logged there too)."""
    errors: list[str] = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.add_init_script(RECORD_VIOLATIONS)
    return page, errors


# Chromium logs every 4xx answer as a console error (a refused field's 422, the admin's
# missing /favicon.ico); those are answers, not refusals. A CSP refusal reads "Refused to …".
HTTP_STATUS_ERROR = "Failed to load resource: the server responded with a status of 4"


def assert_nothing_refused(page: Page, errors: list[str]) -> None:
    assert page.evaluate("window.__cspViolations") == []
    assert [error for error in errors if not error.startswith(HTTP_STATUS_ERROR)] == []


def test_the_predictor_works_under_the_policy(watched, live_server, active_version):
    page, errors = watched
    response = page.goto(live_server.url + "/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    wait_for_htmx(page)
    # Typing, a select and a preset: each answers through htmx.
    page.fill("#id_age", "7")
    expect(page.locator("#result .probability")).to_be_visible()
    page.select_option("#id_sex", "female")
    expect(page.locator("#result .verdict")).to_have_text(VERDICT)
    # A refused field gets its error next to it.
    page.fill("#id_fare", "-5")
    expect(page.locator("#id_fare_error")).to_contain_text("Fare must be at least 0")
    page.locator("a.preset").first.click()
    expect(page.locator("#id_fare_error")).to_be_empty()
    expect(page.locator("#result .model-version")).to_contain_text("model version")
    assert_nothing_refused(page, errors)


def test_the_other_pages_work_under_the_policy(watched, live_server, active_version):
    page, errors = watched
    page.goto(f"{live_server.url}/models/")
    page.goto(f"{live_server.url}/models/{active_version.version}/")
    plots = page.locator("img[src$='.svg']")
    if plots.count():
        expect(plots.first).to_be_visible()
        assert page.evaluate("document.querySelector(\"img[src$='.svg']\").naturalWidth") > 0
    page.goto(f"{live_server.url}/batch/")
    wait_for_htmx(page)
    page.goto(f"{live_server.url}/api/v1/docs")
    # Swagger UI draws the API's title once its scripts have run.
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Titanic Survival Predictor")
    assert_nothing_refused(page, errors)


def test_the_admin_works_under_the_policy(watched, live_server, active_version):
    page, errors = watched
    get_user_model().objects.create_superuser("admin", "admin@localhost", "a-long-test-password")
    page.goto(f"{live_server.url}/admin/")
    page.fill("#id_username", "admin")
    page.fill("#id_password", "a-long-test-password")
    page.click("input[type=submit]")
    expect(page.locator("#site-name")).to_contain_text("Titanic Survival Predictor")
    page.goto(f"{live_server.url}/admin/survival/modelversion/")
    # The changelist's select-all box is driven by the admin's own scripts.
    page.check("#action-toggle")
    expect(page.locator(".action-counter")).to_contain_text("1 of 1 selected")
    page.goto(f"{live_server.url}/admin/survival/modelversion/{active_version.pk}/change/")
    page.goto(f"{live_server.url}/admin/survival/modelactivation/")
    assert_nothing_refused(page, errors)
