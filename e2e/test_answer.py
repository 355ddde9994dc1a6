"""What the answer says, in real Chromium: the first visit answers, the fare follows the
class, the verdict is graded, and the base rate and "passengers like this one" are the true
counts of the bundled passenger list (counted here from the CSV itself)."""

from __future__ import annotations

import csv
import re

import pytest
from playwright.sync_api import Browser, Page, expect

from e2e.conftest import wait_for_htmx
from ml_pipeline.data import BUNDLED_DATA
from ml_pipeline.schema import default_passenger, to_frame
from survival.models import Prediction
from survival.predictions.presets import PRESETS

pytestmark = pytest.mark.django_db(transaction=True)

# The documented age bands: (label, lowest age, first age not in the band).
BANDS = [
    ("under 13", 0, 13),
    ("13 to 17", 13, 18),
    ("18 to 29", 18, 30),
    ("30 to 44", 30, 45),
    ("45 to 59", 45, 60),
    ("60 or older", 60, 999),
]
CLASS_WORDS = {1: "1st-class", 2: "2nd-class", 3: "3rd-class"}


def passenger_list() -> list[dict[str, str]]:
    with open(BUNDLED_DATA, encoding="utf-8", newline="") as file:
        return list(csv.DictReader(file))


def like_this_one(pclass: int, sex: str, age: float) -> tuple[str, int, int]:
    """(band label, passengers, survivors) of the CSV's rows sharing class, sex and band."""
    label, low, below = next(band for band in BANDS if band[1] <= age < band[2])
    rows = [
        row
        for row in passenger_list()
        if row["pclass"] == str(pclass)
        and row["sex"] == sex
        and row["age"]
        and low <= float(row["age"]) < below
    ]
    return label, len(rows), sum(row["survived"] == "1" for row in rows)


def test_the_base_rate_and_passengers_like_this_one_are_true(page: Page, home_url, active_version):
    rows = passenger_list()
    base_rate = round(100 * sum(row["survived"] == "1" for row in rows) / len(rows))
    for preset in PRESETS:
        page.goto(f"{home_url}?{preset.query}")
        card = page.locator("#result .result-card")
        expect(card.locator(".base-rate")).to_have_text(
            f"{base_rate}% of the {len(rows):,} passengers on the list survived."
        )
        passenger = preset.passenger
        label, count, survived = like_this_one(
            passenger["pclass"], passenger["sex"], passenger["age"]
        )
        who = f"{CLASS_WORDS[passenger['pclass']]} {passenger['sex']} passengers"
        who += f" {label}" if label.startswith("under") else f" aged {label}"
        expect(card.locator(".passengers-like")).to_have_text(
            f"Passengers like this one ({who}): {survived} of {count} survived "
            f"({round(100 * survived / count)}%)."
        )


@pytest.mark.parametrize(
    ("age", "sex", "pclass", "words", "mark"),
    [
        (8, "female", 1, "Likely to survive", "✓"),
        (60, "male", 3, "Unlikely to survive", "✗"),
    ],
)
def test_the_verdict_is_worded_by_its_band(
    page: Page, home_url, active_version, trained_logreg, age, sex, pclass, words, mark
):
    passenger = {**default_passenger(), "age": age, "sex": sex, "pclass": pclass, "fare": 20}
    probability = trained_logreg.pipeline.predict_proba(to_frame([passenger]))[0, 1] * 100
    query = "&".join(f"{name}={value}" for name, value in passenger.items())
    page.goto(f"{home_url}?{query}")
    card = page.locator("#result .result-card")
    expect(card.locator(".probability")).to_have_text(f"{probability:.1f}%")
    expect(card.locator(".verdict")).to_have_text(words)
    expect(card.locator(".verdict-symbol")).to_have_text(mark)


def test_an_uncertain_answer_says_so(page: Page, home_url, active_version, trained_logreg):
    # Search the ages of a 3rd-class woman for an answer between 30% and 70%.
    for age in range(1, 80):
        passenger = {**default_passenger(), "sex": "female", "age": age, "fare": 8.05}
        probability = trained_logreg.pipeline.predict_proba(to_frame([passenger]))[0, 1] * 100
        if 30.5 <= probability < 69.5:
            break
    else:
        pytest.fail("no uncertain passenger found")
    page.goto(f"{home_url}?pclass=3&sex=female&age={age}&sibsp=0&parch=0&fare=8.05&embarked=S")
    expect(page.locator("#result .verdict")).to_have_text("Uncertain: could go either way")
    expect(page.locator("#result .verdict-symbol")).to_have_text("?")


def test_the_first_visit_shows_the_answer(page: Page, home_url, active_version, trained_logreg):
    page.goto(home_url)
    typical = trained_logreg.training_context["median_fare"]["3"]
    passenger = {**default_passenger(), "fare": typical}
    probability = trained_logreg.pipeline.predict_proba(to_frame([passenger]))[0, 1] * 100
    expect(page.locator("#result .probability")).to_have_text(f"{probability:.1f}%")
    expect(page.locator("#answer-summary .summary-probability")).to_have_text(f"{probability:.1f}%")
    assert Prediction.objects.count() == 0


def test_the_fare_follows_the_class_until_the_visitor_types_one(
    page: Page, home_url, active_version, trained_logreg
):
    fares = trained_logreg.training_context["median_fare"]
    page.goto(home_url)
    wait_for_htmx(page)
    fare, hint = page.locator("#id_fare"), page.locator("#id_fare_hint")
    expect(hint).to_have_text(f"Empty: the typical 3rd-class fare, £{fares['3']:.2f}, is used.")
    for pclass, words in [("1", "1st-class"), ("2", "2nd-class"), ("3", "3rd-class")]:
        page.select_option("#id_pclass", pclass)
        expect(fare).to_have_value(f"{fares[pclass]:g}")
        expect(hint).to_have_text(f"The typical {words} fare.")
    page.select_option("#id_pclass", "1")
    expected = {**default_passenger(), "pclass": 1, "fare": fares["1"]}
    probability = trained_logreg.pipeline.predict_proba(to_frame([expected]))[0, 1] * 100
    expect(page.locator("#result .probability")).to_have_text(f"{probability:.1f}%")
    # A fare the visitor typed is theirs: a new class leaves it alone.
    page.fill("#id_fare", "30")
    expect(hint).to_have_text(f"The typical 1st-class fare is £{fares['1']:.2f}.")
    page.select_option("#id_pclass", "3")
    expect(hint).to_have_text(f"The typical 3rd-class fare is £{fares['3']:.2f}.")
    expect(fare).to_have_value("30")


def test_without_javascript_an_empty_fare_follows_the_class(
    browser: Browser, home_url, active_version, trained_logreg
):
    fares = trained_logreg.training_context["median_fare"]
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(home_url)
        expect(page.locator("#id_fare")).to_have_value("")
        expect(page.locator("#id_fare_helptext")).to_contain_text(
            "Empty means the typical fare of the ticket class."
        )
        page.select_option("#id_pclass", "1")
        page.get_by_role("button", name="Predict survival").click()
        page.wait_for_url(re.compile(r"/predict/$"))
        expect(page.locator("#id_fare_hint")).to_have_text(
            f"Empty: the typical 1st-class fare, £{fares['1']:.2f}, is used."
        )
        expect(page.locator("#result .fare-used")).to_contain_text(f"£{fares['1']:.2f}")
        assert Prediction.objects.get().inputs["fare"] == fares["1"]
    finally:
        context.close()


def test_text_in_a_number_field_says_what_to_type(page: Page, home_url, active_version):
    page.goto(home_url)
    wait_for_htmx(page)
    page.fill("#id_age", "abc")
    expect(page.locator("#id_age_error")).to_have_text("Enter the age as a number, e.g. 29.")
    expect(page.locator("#id_age")).to_have_value("abc")
    expect(page.locator("#result .stale-badge")).to_be_visible()
