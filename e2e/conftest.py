"""Browser tests: real Chromium (the system's, see scripts/ensure_chromium.sh) against
pytest-django's live server, over real HTTP."""

from __future__ import annotations

import os
from importlib.resources import files
from pathlib import Path

import pytest
from playwright.sync_api import Page

# Playwright's sync API runs an event loop in the test thread; Django would otherwise refuse
# the ORM calls that fixtures make from that thread.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]

# Screenshots of the main states, for a person to look at (see the README).
SCREENSHOTS = Path(
    os.environ.get("SCREENSHOT_DIR", Path(__file__).resolve().parent.parent / "screenshots")
)

# axe-core as bundled by the axe-playwright-python package: served from disk, never a CDN.
AXE_SOURCE = (files("axe_playwright_python") / "axe.min.js").read_text(encoding="utf-8")
SERIOUS = {"serious", "critical"}


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"),
        "args": CHROMIUM_ARGS,
    }


@pytest.fixture
def home_url(live_server) -> str:
    return live_server.url + "/"


def wait_for_htmx(page: Page) -> None:
    # django-htmx loads htmx with `defer`: it is ready only after the document is parsed.
    page.wait_for_function("() => window.htmx !== undefined")


def serious_violations(page: Page) -> list[str]:
    """Runs axe-core on the page; returns its serious and critical violations, described."""
    page.evaluate(AXE_SOURCE)
    violations = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — "
        + "; ".join(node["target"][0] for node in v["nodes"][:3])
        for v in violations
        if v["impact"] in SERIOUS
    ]


def screenshot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def focused(page: Page) -> str:
    """The focused element's id, or its text when it has no id."""
    return page.evaluate(
        "() => document.activeElement.id || document.activeElement.textContent.trim()"
    )
