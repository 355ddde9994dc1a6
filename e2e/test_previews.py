"""Previews are not predictions, in real Chromium: changing the form shows answers and writes
nothing; submitting it logs one prediction; the address bar holds a link that reproduces the
answer, with or without JavaScript, and Back returns to it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, Request, expect

from e2e.conftest import wait_for_htmx
from survival.models import Prediction
from survival.predictions.presets import PRESETS

pytestmark = pytest.mark.django_db(transaction=True)

PERCENT = re.compile(r"^\d{1,3}\.\d%$")


def previews_of(requests: list[Request]) -> list[Request]:
    return [r for r in requests if r.method == "GET" and "/?pclass=" in r.url]


def test_twenty_previews_log_nothing_and_one_submission_logs_one(
    page: Page, home_url, active_version
):
    page.goto(home_url)
    wait_for_htmx(page)
    sent: list[Request] = []
    page.on("request", lambda request: sent.append(request))
    probability = page.locator("#result .probability")
    for change in range(20):
        before = probability.text_content()
        if change % 2:
            page.select_option("#id_sex", "female" if change % 4 == 1 else "male")
        else:
            page.fill("#id_age", str(10 + change))
        expect(probability).not_to_have_text(before)
    assert len(previews_of(sent)) == 20
    assert Prediction.objects.count() == 0

    with page.expect_response(lambda response: response.request.method == "POST"):
        page.get_by_role("button", name="Predict survival").click()
    assert Prediction.objects.count() == 1
    logged = Prediction.objects.get()
    expect(probability).to_have_text(f"{logged.probability * 100:.1f}%")
    assert logged.inputs["age"] == 28  # the last change: age 28, sex male


def test_without_javascript_links_log_nothing_and_a_submission_logs_one(
    browser: Browser, home_url, active_version
):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(home_url)
        for visit in range(20):
            page.get_by_role("link", name=PRESETS[visit % len(PRESETS)].title).click()
            expect(page.locator("#result .probability")).to_have_text(PERCENT)
        assert Prediction.objects.count() == 0
        page.get_by_role("button", name="Predict survival").click()
        page.wait_for_url(re.compile(r"/predict/$"))
        expect(page.locator("#result .probability")).to_have_text(PERCENT)
        assert Prediction.objects.count() == 1
    finally:
        context.close()


def test_a_copied_address_reproduces_the_answer_without_javascript(
    browser: Browser, page: Page, home_url, active_version
):
    page.goto(home_url)
    wait_for_htmx(page)
    page.select_option("#id_pclass", "2")
    page.select_option("#id_sex", "female")
    page.fill("#id_age", "41")
    expect(page.locator("#id_age")).to_have_value("41")
    page.wait_for_url(re.compile(r"age=41"))
    expect(page.locator("#busy")).to_be_hidden()
    copied = page.url
    answer = page.locator("#result .probability").text_content()
    verdict = page.locator("#result .verdict").text_content()

    fresh = browser.new_context(java_script_enabled=False)
    elsewhere = fresh.new_page()
    try:
        elsewhere.goto(copied)
        expect(elsewhere.locator("#id_pclass")).to_have_value("2")
        expect(elsewhere.locator("#id_sex")).to_have_value("female")
        expect(elsewhere.locator("#id_age")).to_have_value("41")
        expect(elsewhere.locator("#id_fare")).to_have_value(page.locator("#id_fare").input_value())
        expect(elsewhere.locator("#result .probability")).to_have_text(answer)
        expect(elsewhere.locator("#result .verdict")).to_have_text(verdict)
    finally:
        fresh.close()
    assert Prediction.objects.count() == 0


def test_the_link_on_the_card_reproduces_a_submitted_answer(
    browser: Browser, home_url, active_version
):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(home_url)
        page.select_option("#id_pclass", "1")
        page.fill("#id_age", "52")
        page.get_by_role("button", name="Predict survival").click()
        page.wait_for_url(re.compile(r"/predict/$"))
        answer = page.locator("#result .probability").text_content()
        page.get_by_role("link", name="Link to this answer").click()
        page.wait_for_url(re.compile(r"/\?pclass=1&sex=male&age=52&"))
        expect(page.locator("#result .probability")).to_have_text(answer)
        assert Prediction.objects.count() == 1
    finally:
        context.close()


def test_back_returns_to_the_passenger_and_the_answer(page: Page, home_url, active_version):
    page.goto(home_url)
    wait_for_htmx(page)
    page.get_by_role("link", name=PRESETS[2].title).click()
    expect(page.locator("#id_age")).to_have_value("3")
    page.fill("#id_age", "4")
    page.wait_for_url(re.compile(r"age=4&"))
    expect(page.locator("#busy")).to_be_hidden()
    answer = page.locator("#result .probability").text_content()

    page.get_by_role("link", name="Models", exact=True).click()
    expect(page.get_by_role("heading", name="Model versions")).to_be_visible()
    page.go_back()
    expect(page.locator("#id_pclass")).to_have_value("2")
    expect(page.locator("#id_age")).to_have_value("4")
    expect(page.locator("#id_parch")).to_have_value("1")
    expect(page.locator("#result .probability")).to_have_text(answer)
    assert Prediction.objects.count() == 0
