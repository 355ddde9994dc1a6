"""Browser tests: real Chromium (the system's, see scripts/ensure_chromium.sh) against
pytest-django's live server, over real HTTP."""

from __future__ import annotations

import os

import pytest

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


def wait_for_htmx(page) -> None:
    # django-htmx loads htmx with `defer`: it is ready only after the document is parsed.
    page.wait_for_function("() => window.htmx !== undefined")
