"""What a version records of its training data for the visitor's page, and how the page
words a probability: checked against the bundled CSV, read here with the csv module."""

from __future__ import annotations

import csv
import statistics

import pytest

from ml_pipeline.context import AGE_BANDS, age_band, passengers_like, typical_fares
from ml_pipeline.data import BUNDLED_DATA
from survival.predictions.answers import verdict_for


@pytest.fixture(scope="module")
def rows() -> list[dict[str, str]]:
    with open(BUNDLED_DATA, encoding="utf-8", newline="") as file:
        return list(csv.DictReader(file))


def test_the_context_counts_the_whole_file(trained_logreg, rows):
    context = trained_logreg.training_context
    assert context["passengers"] == len(rows) == 1309
    assert context["survived"] == sum(row["survived"] == "1" for row in rows) == 500
    assert context["fitted_rows"] == trained_logreg.train_rows


def test_the_typical_fare_of_each_class_is_its_median(trained_logreg, rows):
    for pclass in ("1", "2", "3"):
        fares = [float(row["fare"]) for row in rows if row["pclass"] == pclass and row["fare"]]
        assert trained_logreg.training_context["median_fare"][pclass] == round(
            statistics.median(fares), 2
        )
    assert typical_fares(trained_logreg.training_context) == {1: 60.0, 2: 15.05, 3: 8.05}


@pytest.mark.parametrize(
    ("age", "label"),
    [
        (0.17, "under 13"),
        (12.9, "under 13"),
        (13, "13 to 17"),
        (17.5, "13 to 17"),
        (18, "18 to 29"),
        (44, "30 to 44"),
        (59.5, "45 to 59"),
        (60, "60 or older"),
        (100, "60 or older"),
    ],
)
def test_age_bands(age, label):
    assert AGE_BANDS[age_band(age)][0] == label


@pytest.mark.parametrize(
    ("pclass", "sex"), [(1, "female"), (2, "male"), (3, "female"), (3, "male")]
)
@pytest.mark.parametrize("age", [2, 15, 22, 38, 50, 70])
def test_passengers_like_this_one_are_counted_from_the_file(trained_logreg, rows, pclass, sex, age):
    group = passengers_like(trained_logreg.training_context, pclass=pclass, sex=sex, age=age)
    low, below = next(
        (low, below)
        for low, below in [(0, 13), (13, 18), (18, 30), (30, 45), (45, 60), (60, 999)]
        if low <= age < below
    )
    same = [
        row
        for row in rows
        if row["pclass"] == str(pclass)
        and row["sex"] == sex
        and row["age"]
        and low <= float(row["age"]) < below
    ]
    assert group.passengers == len(same)
    assert group.survived == sum(row["survived"] == "1" for row in same)


def test_an_empty_context_knows_nothing():
    assert passengers_like({}, pclass=1, sex="female", age=30) is None
    assert typical_fares({}) == {}


@pytest.mark.parametrize(
    ("probability", "words"),
    [
        (0.0, "Unlikely to survive"),
        (0.2994, "Unlikely to survive"),
        (0.29996, "Uncertain: could go either way"),  # shown as 30.0%
        (0.5, "Uncertain: could go either way"),
        (0.6994, "Uncertain: could go either way"),
        (0.69996, "Likely to survive"),  # shown as 70.0%
        (1.0, "Likely to survive"),
    ],
)
def test_the_verdict_is_worded_by_the_probability_shown(probability, words):
    assert verdict_for(probability=probability).words == words


@pytest.mark.django_db
def test_a_registered_version_keeps_its_context(active_version, trained_logreg):
    from survival.models import ModelVersion

    stored = ModelVersion.objects.get(pk=active_version.pk).training_context
    assert stored == trained_logreg.training_context
