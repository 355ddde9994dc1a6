"""Nothing is logged as an error in the browser's console, on any page a visitor reaches and
when presets are tapped quickly (a cancelled request is expected, not an error); the /batch
progress shows only while an upload is in flight. In real Chromium."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Route, expect

from e2e.conftest import wait_for_htmx
from survival.predictions.presets import PRESETS

pytestmark = pytest.mark.django_db(transaction=True)

PAGES = [
    "/",
    f"/?{PRESETS[0].query}",
    "/models/",
    "/models/{version}/",
    "/batch/",
    "/api/v1/docs",
    "/admin/login/",
]


def console_errors(page: Page) -> list[str]:
    errors: list[str] = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


@pytest.mark.parametrize("width", [1280, 360])
def test_no_page_logs_a_console_error(browser: Browser, live_server, active_version, width):
    context = browser.new_context(viewport={"width": width, "height": 800})
    page = context.new_page()
    errors = console_errors(page)
    try:
        for address in PAGES:
            page.goto(live_server.url + address.format(version=active_version.version))
            page.wait_for_load_state("networkidle")
            assert errors == [], address
    finally:
        context.close()


def test_quick_preset_taps_log_no_error(browser: Browser, home_url, active_version):
    context = browser.new_context(viewport={"width": 360, "height": 740}, has_touch=True)
    page = context.new_page()
    errors = console_errors(page)
    try:
        page.goto(home_url)
        wait_for_htmx(page)
        page.evaluate(
            "window.__cancelled = 0;"
            "document.addEventListener('htmx:sendAbort', () => window.__cancelled++)"
        )
        # Hold every answer until all four presets are tapped, so each tap cancels the one
        # before it, as a quick thumb on a slow connection would.
        held: list[Route] = []
        page.route(lambda url: "/?pclass=" in url, lambda route: held.append(route))
        for preset in PRESETS:
            page.get_by_role("link", name=preset.title).tap()
        page.wait_for_function("() => window.__cancelled === 3")
        for route in held:
            route.continue_()
        last = PRESETS[-1].passenger
        expect(page.locator("#id_age")).to_have_value(str(last["age"]))
        expect(page.locator("#busy")).to_be_hidden()
        assert errors == []
    finally:
        context.close()


def test_the_batch_progress_shows_only_while_an_upload_is_in_flight(
    page: Page, live_server, active_version, tmp_path: Path
):
    upload = tmp_path / "passengers.csv"
    upload.write_text("pclass,sex,age,sibsp,parch,fare,embarked\n1,female,30,0,0,80,S\n")
    errors = console_errors(page)
    page.goto(live_server.url + "/batch/")
    wait_for_htmx(page)
    progress = page.locator("#batch-progress")
    expect(progress).to_be_hidden()
    held: list[Route] = []
    page.route(
        "**/batch/",
        lambda route: held.append(route) if route.request.method == "POST" else route.continue_(),
    )
    page.set_input_files("#id_file", upload)
    page.get_by_role("button", name="Score the file").click()
    expect(progress).to_be_visible()
    held[0].continue_()
    expect(page.locator("#batch-summary")).to_be_visible()
    expect(progress).to_be_hidden()
    assert errors == []
