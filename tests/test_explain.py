"""Explanations: exact Shapley values that add up from the baseline to the probability."""

from __future__ import annotations

import itertools
import json
import math

import numpy as np
import pytest

from ml_pipeline.explain import (
    BACKGROUND_SIZE,
    PASSENGERS_PER_CALL,
    explain,
    explain_many,
    explanation_background,
)
from ml_pipeline.prepared import PreparedPipeline
from ml_pipeline.schema import FEATURE_NAMES, default_passenger, to_frame

TOLERANCE = 1e-9


class CountingPipeline:
    """Wraps a fitted pipeline and counts its predict_proba calls."""

    def __init__(self, pipeline):
        self.pipeline = pipeline
        self.calls = 0

    def predict_proba(self, frame):
        self.calls += 1
        return self.pipeline.predict_proba(frame)


@pytest.fixture(params=["trained_logreg", "trained_forest"])
def trained(request):
    return request.getfixturevalue(request.param)


def brute_force_shapley(pipeline, passenger, background):
    """Shapley values by their definition, written out plainly: for every input and every set
    S of the other inputs, the weighted change in the mean probability over the background
    when the input joins S."""
    names = list(FEATURE_NAMES)
    n = len(names)

    def value(coalition):
        rows = [
            {name: passenger[name] if name in coalition else row[name] for name in names}
            for row in background
        ]
        return pipeline.predict_proba(to_frame(rows))[:, 1].mean()

    values = {}
    for size in range(n + 1):
        for coalition in itertools.combinations(names, size):
            values[frozenset(coalition)] = value(coalition)
    shapley = {}
    for name in names:
        others = [other for other in names if other != name]
        total = 0.0
        for size in range(n):
            weight = math.factorial(size) * math.factorial(n - size - 1) / math.factorial(n)
            for coalition in itertools.combinations(others, size):
                without = frozenset(coalition)
                total += weight * (values[without | {name}] - values[without])
        shapley[name] = total
    return values[frozenset()], shapley


def passengers_to_explain():
    return [
        default_passenger(),
        {**default_passenger(), "sex": "female", "pclass": 1, "age": 38.0, "fare": 71.28},
        {**default_passenger(), "age": 3.0, "sibsp": 1, "parch": 2, "embarked": "C"},
    ]


@pytest.mark.parametrize("passenger", passengers_to_explain())
def test_the_shapley_values_are_those_of_the_definition(trained, passenger):
    background = trained.explanation_background
    baseline, expected = brute_force_shapley(trained.pipeline, passenger, background)
    for pipeline in (trained.pipeline, PreparedPipeline(trained.pipeline)):
        explanation = explain(pipeline, passenger, background)
        assert explanation.baseline == pytest.approx(baseline, abs=TOLERANCE)
        points = {c.feature: c.points / 100 for c in explanation.contributions}
        assert points == pytest.approx(expected, abs=TOLERANCE)


@pytest.mark.parametrize("passenger", passengers_to_explain())
def test_baseline_plus_contributions_is_the_probability(trained, passenger):
    explanation = explain(trained.pipeline, passenger, trained.explanation_background)
    direct = trained.pipeline.predict_proba(to_frame([passenger]))[0, 1]
    assert explanation.probability == pytest.approx(direct, abs=1e-12)
    total = explanation.baseline + sum(c.points for c in explanation.contributions) / 100
    assert total == pytest.approx(explanation.probability, abs=1e-12)
    assert {c.feature for c in explanation.contributions} == set(FEATURE_NAMES)
    sizes = [abs(c.points) for c in explanation.contributions]
    assert sizes == sorted(sizes, reverse=True)


def test_the_baseline_is_the_mean_probability_over_the_background(trained):
    background = trained.explanation_background
    explanation = explain(trained.pipeline, default_passenger(), background)
    mean = trained.pipeline.predict_proba(to_frame(background))[:, 1].mean()
    assert explanation.baseline == pytest.approx(mean, abs=1e-12)


def test_being_female_raises_the_probability(trained):
    woman = {**default_passenger(), "sex": "female"}
    explanation = explain(trained.pipeline, woman, trained.explanation_background)
    sex = next(c for c in explanation.contributions if c.feature == "sex")
    assert sex.points > 10
    assert sex.value == "Female"
    assert sex.direction == "raised"


def test_a_passenger_like_the_only_background_row_has_nothing_to_explain(trained):
    typical = trained.reference_passenger
    explanation = explain(trained.pipeline, typical, [typical])
    assert [c.points for c in explanation.contributions] == pytest.approx([0] * 7, abs=1e-12)
    assert explanation.baseline == pytest.approx(explanation.probability, abs=1e-15)


def test_a_background_of_the_reference_passenger_alone_still_adds_up(trained_logreg):
    # What versions registered without a background explain against.
    reference = trained_logreg.reference_passenger
    woman = {**default_passenger(), "sex": "female", "pclass": 1, "fare": 80.0}
    explanation = explain(trained_logreg.pipeline, woman, [reference])
    assert explanation.baseline == pytest.approx(
        trained_logreg.pipeline.predict_proba(to_frame([reference]))[0, 1], abs=1e-12
    )
    total = explanation.baseline + sum(c.points for c in explanation.contributions) / 100
    assert total == pytest.approx(explanation.probability, abs=1e-12)


def test_everything_comes_from_one_batched_model_call(trained_logreg):
    counting = CountingPipeline(trained_logreg.pipeline)
    explanation = explain(counting, default_passenger(), trained_logreg.explanation_background)
    assert counting.calls == 1
    assert {c.feature for c in explanation.contributions} == set(FEATURE_NAMES)


def test_many_passengers_are_explained_as_one_by_one(trained_logreg, titanic):
    complete = titanic.features.dropna()
    passengers = complete.head(PASSENGERS_PER_CALL + 3).to_dict(orient="records")
    background = trained_logreg.explanation_background
    counting = CountingPipeline(trained_logreg.pipeline)
    together = explain_many(counting, passengers, background)
    # One call per PASSENGERS_PER_CALL passengers, however many there are.
    assert counting.calls == 2
    for passenger, explained in zip(passengers[::7], together[::7], strict=True):
        alone = explain(trained_logreg.pipeline, passenger, background)
        assert explained.probability == pytest.approx(alone.probability, abs=1e-12)
        assert [c.points for c in explained.contributions] == pytest.approx(
            [c.points for c in alone.contributions], abs=1e-9
        )
    assert explain_many(trained_logreg.pipeline, [], background) == []


def test_the_background_is_a_seeded_stratified_sample_of_the_training_split(
    trained_logreg, titanic
):
    background = trained_logreg.explanation_background
    assert len(background) == BACKGROUND_SIZE
    assert json.loads(json.dumps(background)) == background
    assert all(set(row) == set(FEATURE_NAMES) for row in background)
    assert all(isinstance(row["pclass"], int) for row in background)
    assert all(isinstance(row["sibsp"], int) for row in background)
    # The same seed draws the same passengers; another seed others.
    train_rows = titanic.features.drop(index=trained_logreg.holdout_index)
    pipeline = trained_logreg.pipeline
    again = explanation_background(pipeline, train_rows, seed=trained_logreg.seed)
    assert again == background
    assert explanation_background(pipeline, train_rows, seed=trained_logreg.seed + 1) != background
    # Every row is a training passenger (missing values as None).
    known = {json.dumps(row, sort_keys=True) for row in _json_rows(train_rows)}
    assert all(json.dumps(row, sort_keys=True) in known for row in background)
    # Each class-and-sex group has its share of the sample, to within one passenger.
    counts = train_rows.groupby(["pclass", "sex"]).size()
    for (pclass, sex), count in counts.items():
        drawn = sum(1 for row in background if row["pclass"] == pclass and row["sex"] == sex)
        assert abs(drawn - count * BACKGROUND_SIZE / len(train_rows)) < 1
    # Its mean probability, the baseline, is the model's mean over the training split.
    mean = pipeline.predict_proba(to_frame(background))[:, 1].mean()
    assert mean == pytest.approx(pipeline.predict_proba(train_rows)[:, 1].mean(), abs=0.01)


def _json_rows(frame):
    rows = []
    for record in frame.to_dict(orient="records"):
        row = {}
        for name, value in record.items():
            if isinstance(value, float) and np.isnan(value):
                row[name] = None
            elif name in {"pclass", "sibsp", "parch"}:
                row[name] = int(value)
            else:
                row[name] = value
        rows.append(row)
    return rows
