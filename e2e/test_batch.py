"""Scoring a CSV file on /batch in real Chromium: with the keyboard only, and without
JavaScript. Both upload a Kaggle test.csv and download the scored file."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from e2e.conftest import wait_for_htmx

pytestmark = pytest.mark.django_db(transaction=True)

KAGGLE_TEST = (
    "PassengerId,Pclass,Name,Sex,Age,SibSp,Parch,Ticket,Fare,Cabin,Embarked\n"
    '892,3,"Kelly, Mr. James",male,34.5,0,0,330911,7.8292,,Q\n'
    '893,3,"Wilkes, Mrs. James (Ellen Needs)",female,47,1,0,363272,7,,S\n'
    '894,1,"Astor, Mrs. John",female,,1,0,PC 17757,,C62,C\n'
    '895,3,"Bad, Mr. Row",male,two,0,0,1,7,,S\n'
)


@pytest.fixture
def batch_url(live_server) -> str:
    return live_server.url + "/batch/"


@pytest.fixture
def kaggle_file(tmp_path: Path) -> Path:
    path = tmp_path / "test.csv"
    path.write_text(KAGGLE_TEST)
    return path


def focused(page: Page) -> str:
    return page.evaluate("document.activeElement.id || document.activeElement.textContent.trim()")


def read_scored(download, tmp_path: Path) -> list[dict[str, str]]:
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    with saved.open() as scored:
        return list(csv.DictReader(scored))


def test_upload_and_download_with_the_keyboard_only(
    page: Page, batch_url, kaggle_file, tmp_path, active_version
):
    # Playwright turns file-chooser interception on without waiting for the browser's
    # reply when the first listener arrives. Armed only just before the key press, that
    # message can lose the race on a busy machine and the chooser is never reported, so a
    # listener is attached before the page even loads.
    page.on("filechooser", lambda _chooser: None)
    page.goto(batch_url)
    wait_for_htmx(page)
    page.evaluate("window.__sameDocument = 'yes'")

    page.keyboard.press("Tab")
    assert focused(page) == "Skip to form"
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    assert focused(page) == "id_file"
    with page.expect_file_chooser() as chooser:
        page.keyboard.press("Space")
    chooser.value.set_files(kaggle_file)
    page.keyboard.press("Tab")
    assert focused(page) == "Score the file"
    page.keyboard.press("Enter")

    summary = page.locator("#batch-summary")
    expect(summary).to_contain_text("3 rows scored")
    expect(page.locator("#batch-rejected")).to_contain_text("Line 5: column 'age' must be a number")
    expect(page.locator("#batch-summary-title")).to_be_focused()
    page.keyboard.press("Tab")
    assert focused(page) == "batch-download"
    with page.expect_download() as download:
        page.keyboard.press("Enter")
    rows = read_scored(download.value, tmp_path)
    assert [row["PassengerId"] for row in rows] == ["892", "893", "894", "895"]
    assert [row["survived"] in {"0", "1"} for row in rows] == [True, True, True, False]
    assert rows[3]["error"] == "column 'age' must be a number"
    assert page.evaluate("window.__sameDocument") == "yes"


def test_upload_and_download_without_javascript(
    browser, batch_url, kaggle_file, tmp_path, active_version
):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(batch_url)
    page.set_input_files("#id_file", kaggle_file)
    page.get_by_role("button", name="Score the file").click()

    # A full page came back, at the form's address.
    page.wait_for_url(batch_url)
    expect(page.locator("h1")).to_have_text("Score a file of passengers")
    expect(page.locator("#batch-summary")).to_contain_text("3 rows scored")
    expect(page.locator("#batch-preview tbody tr")).to_have_count(3)
    with page.expect_download() as download:
        page.locator("#batch-download").click()
    rows = read_scored(download.value, tmp_path)
    assert list(rows[0]) == [
        "line",
        "PassengerId",
        "Name",
        "survived",
        "probability",
        "model_version",
        "error",
    ]
    assert [row["line"] for row in rows] == ["2", "3", "4", "5"]
    context.close()


def test_a_file_that_is_not_csv_is_explained_in_the_page(
    page: Page, batch_url, tmp_path, active_version
):
    image = tmp_path / "photo.png"
    image.write_bytes(b"\x89PNG\r\n\x1a\n")
    page.goto(batch_url)
    wait_for_htmx(page)
    page.set_input_files("#id_file", image)
    page.get_by_role("button", name="Score the file").click()
    expect(page.locator("#batch-problem")).to_contain_text("photo.png is not a CSV file")
    expect(page.locator("#batch-problem")).to_be_focused()
