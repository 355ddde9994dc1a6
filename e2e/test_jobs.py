"""Background jobs in real Chromium, with a real worker process on the live server's
database: training from the admin shows its progress and ends on the new model card; a
50,000-row upload shows its progress and its download has every line, the ids and the
rejects."""

from __future__ import annotations

import csv
import re
import time
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import Page, expect

from e2e.conftest import screenshot, wait_for_htmx
from ml_pipeline.data import BUNDLED_DATA

pytestmark = pytest.mark.django_db(transaction=True)

# Bounded waits for the worker on a busy two-core machine; nothing is timed here.
JOB_TIMEOUT_MS = 240_000
BIG_ROWS = 50_000
# Lines (of the 50,000-row file) given values the schema refuses.
BAD_LINES = {7: ("age", "old"), 25_002: ("pclass", "4")}


def log_in(page: Page, live_server) -> None:
    get_user_model().objects.create_superuser("admin", "admin@localhost", "a-long-test-password")
    page.goto(live_server.url + "/admin/")
    page.fill("#id_username", "admin")
    page.fill("#id_password", "a-long-test-password")
    page.get_by_role("button", name="Log in").click()


def test_training_from_the_admin_shows_progress_and_ends_on_the_model_card(
    page: Page, live_server, job_worker
):
    log_in(page, live_server)
    page.get_by_role("link", name="Model versions").click()
    page.get_by_role("link", name="Train a new version…").click()
    page.select_option("#id_algorithm", "random_forest")
    page.select_option("#id_metric", "brier")
    page.fill("#id_seed", "11")
    page.get_by_label("Activate the new version if the promotion gate passes").check()
    page.get_by_role("button", name="Start training").click()

    expect(page.locator("h1")).to_have_text("Training a new model version")
    wait_for_htmx(page)
    # The page polls: the candidate, its setting and the fold appear as the worker reaches them.
    progress = page.locator("#job-progress-text")
    expect(progress).to_contain_text(
        "Random forest (candidate 1 of 1), setting", timeout=JOB_TIMEOUT_MS
    )
    expect(progress).to_contain_text("fold")
    expect(page.locator("#job-progress")).to_be_visible()
    screenshot(page, "job-training-progress")

    expect(page.locator("#job-status")).to_have_attribute(
        "data-state", "succeeded", timeout=JOB_TIMEOUT_MS
    )
    expect(page.locator("#job-result")).to_contain_text(
        "Registered version 1 (Random forest), now active"
    )
    expect(page.locator("#job-gate")).to_contain_text("The promotion gate passes version 1")
    page.get_by_role("link", name="Model card of version 1").click()
    expect(page).to_have_url(live_server.url + "/models/1/")
    expect(page.locator("h1")).to_contain_text("1")


@pytest.fixture
def big_file(tmp_path: Path) -> Path:
    """50,000 passengers in the titanic3 layout (the bundled rows over and over), two of them
    with values the schema refuses."""
    header, *rows = BUNDLED_DATA.read_text(encoding="utf-8").splitlines(keepends=True)
    lines = [header, *(rows[i % len(rows)] for i in range(BIG_ROWS))]
    for line, (column, value) in BAD_LINES.items():
        cells = next(csv.reader([lines[line - 1]]))
        cells[header.split(",").index(column)] = value
        lines[line - 1] = ",".join(f'"{cell}"' for cell in cells) + "\n"
    path = tmp_path / "passengers-50000.csv"
    path.write_text("".join(lines), encoding="utf-8")
    return path


def test_a_50000_row_upload_shows_progress_and_downloads_every_line(
    page: Page, live_server, job_worker, active_version, big_file, tmp_path
):
    page.goto(live_server.url + "/batch/")
    wait_for_htmx(page)
    page.set_input_files("#id_file", big_file)
    started = time.monotonic()
    page.get_by_role("button", name="Score the file").click()

    # The upload is answered at once with the job's own page, which shows a progress bar.
    expect(page).to_have_url(re.compile(r"/jobs/[0-9a-f-]{36}/$"), timeout=60_000)
    job_url = page.url
    expect(page.locator("h1")).to_have_text("Scoring passengers-50000.csv")
    expect(page.locator("#job-progress")).to_be_visible()
    screenshot(page, "job-batch-progress")

    expect(page.locator("#job-status")).to_have_attribute(
        "data-state", "succeeded", timeout=JOB_TIMEOUT_MS
    )
    print(f"50,000-row batch: {time.monotonic() - started:.1f} s from upload to result")
    summary = page.locator("#batch-summary")
    expect(summary.locator(".scored-rows")).to_have_text(f"{BIG_ROWS - len(BAD_LINES)}")
    expect(summary.locator(".rejected-rows")).to_have_text(f"{len(BAD_LINES)}")

    # The page is linkable: opened afresh, it shows the same result.
    page.goto(job_url)
    with page.expect_download() as download:
        page.locator("#batch-download").click()
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    with saved.open(encoding="utf-8") as scored:
        rows = list(csv.DictReader(scored))
    assert list(rows[0]) == ["line", "name", "survived", "probability", "model_version", "error"]
    assert len(rows) == BIG_ROWS
    assert [rows[0]["line"], rows[-1]["line"]] == ["2", str(BIG_ROWS + 1)]
    rejected = {int(row["line"]): row["error"] for row in rows if row["error"]}
    assert rejected == {
        7: "column 'age' must be a number",
        25_002: "column 'pclass' must be one of 1, 2, 3",
    }
    assert rows[5]["survived"] == ""
    assert rows[0]["name"] == "Allen, Miss. Elisabeth Walton"
