"""An operator in the admin, in a real browser at 1280 px: deactivating the active version
asks for the reason, records it and pauses the prediction page; the operations page draws
its charts and shows the numbers behind them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from e2e.conftest import screenshot
from ml_pipeline.schema import default_passenger
from survival.models import ModelActivation, ModelVersion, Prediction
from survival.registry.admin_deactivate import DEACTIVATED
from survival.registry.forms import REASON_REQUIRED
from survival.registry.services import model_version_activate

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "an-operators-password"


@pytest.fixture
def admin_page(browser: Browser, live_server) -> Page:
    get_user_model().objects.create_superuser("operator", "op@localhost", PASSWORD)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(live_server.url + "/admin/login/")
    page.fill("#id_username", "operator")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    expect(page.get_by_role("heading", name="Model registry")).to_be_visible()
    yield page
    context.close()


def test_deactivating_asks_for_a_reason_records_it_and_pauses_predictions(
    admin_page: Page, live_server, version_with
):
    page = admin_page
    spare = version_with(roc_auc=0.86, brier=0.13)
    active = model_version_activate(version=version_with(roc_auc=0.86, brier=0.13))
    version_page = f"{live_server.url}/admin/survival/modelversion/{active.pk}/change/"
    page.goto(version_page)

    page.get_by_role("link", name="Deactivate this version…").click()
    expect(page.get_by_role("heading", name=f"Deactivate version {active.version}")).to_be_visible()
    expect(page.locator("#deactivation-effects")).to_contain_text("HTTP 503")
    expect(page.locator("#change-summary")).to_contain_text("every prediction pauses")
    expect(
        page.get_by_role("link", name=f"Activate version {spare.version} instead…")
    ).to_be_visible()
    screenshot(page, "admin-confirm-deactivation")

    # Cancel changes nothing.
    page.get_by_role("link", name="Cancel").click()
    expect(page).to_have_url(version_page)
    assert ModelVersion.objects.get(is_active=True) == active

    page.get_by_role("link", name="Deactivate this version…").click()
    submit = page.get_by_role("button", name=f"Deactivate version {active.version}")
    submit.click()
    expect(page.locator("#id_reason_error")).to_have_text(REASON_REQUIRED)
    assert ModelVersion.objects.get(is_active=True) == active

    page.get_by_label("Reason (recorded with the change)").fill("scores drifted after the deploy")
    submit.click()
    expect(page.locator(".messagelist")).to_contain_text(DEACTIVATED.format(version=active.version))
    assert not ModelVersion.objects.filter(is_active=True).exists()
    record = ModelActivation.objects.first()
    assert (record.from_version, record.to_version, record.reason, record.by.username) == (
        active,
        None,
        "scores drifted after the deploy",
        "operator",
    )

    page.goto(version_page)
    history = page.locator("table.activation-history")
    expect(history).to_contain_text("scores drifted after the deploy")
    expect(history).to_contain_text("deactivation")

    page.goto(live_server.url + "/")
    expect(page.locator("#no-model-notice")).to_contain_text("Predictions are paused")


def test_the_operations_page_draws_its_charts_and_shows_the_numbers(
    admin_page: Page, live_server, active_version
):
    page = admin_page
    now = timezone.now()
    # Eight predictions over four days; six with feedback, four of them right.
    for probability, outcome, days_ago in (
        (0.9, 1, 0),
        (0.8, 0, 0),
        (0.2, 0, 1),
        (0.3, 1, 1),
        (0.6, 1, 2),
        (0.1, 0, 3),
        (0.7, None, 3),
        (0.4, None, 0),
    ):
        row = Prediction.objects.create(
            model_version=active_version,
            inputs=default_passenger(),
            probability=probability,
            survived=probability >= 0.5,
            outcome=outcome,
            outcome_at=None if outcome is None else now,
        )
        Prediction.objects.filter(pk=row.pk).update(created_at=now - timedelta(days=days_ago))

    page.goto(live_server.url + "/admin/survival/modelversion/")
    page.get_by_role("link", name="Operations (charts)").click()
    expect(page.get_by_role("heading", name="Operations: every version in service")).to_be_visible()
    page.get_by_role("link", name=f"Version {active_version.version}", exact=True).click()
    expect(
        page.get_by_role("heading", name=f"Operations of version {active_version.version}")
    ).to_be_visible()

    summary = page.locator("#operations-summary")
    expect(summary.get_by_role("row", name="Predictions answered")).to_contain_text("8")
    expect(summary.get_by_role("row", name="With feedback")).to_contain_text("6 (0.750 of them)")
    expect(summary.get_by_role("row", name="Live accuracy")).to_contain_text("0.667 (4 of 6 right)")

    charts = page.locator("figure.chart img")
    expect(charts).to_have_count(3)
    for index in range(3):
        chart = charts.nth(index)
        expect(chart).to_be_visible()
        # Drawn by the browser: a broken or refused image has no natural width.
        chart.evaluate("img => img.decode()")
        assert chart.evaluate("img => img.complete && img.naturalWidth > 0")
        box = chart.bounding_box()
        assert box is not None
        assert box["width"] > 300
    assert "8 predictions answered and 6 outcomes reported" in charts.nth(0).get_attribute("alt")

    page.get_by_text("The numbers per day").click()
    expect(page.locator("#daily-numbers")).to_be_visible()
    reliability = page.locator("#reliability-numbers")
    expect(reliability.get_by_role("row", name="0.8 to 0.9")).to_contain_text("0.800")
    screenshot(page, "admin-operations")
    # Nothing wider than the window at 1280 px.
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
