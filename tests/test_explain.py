"""Explanations: which inputs pushed a passenger's probability up or down."""

from __future__ import annotations

import pytest

from ml_pipeline.explain import explain, top_contributions
from ml_pipeline.schema import FEATURE_NAMES, default_passenger, to_frame


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


def test_being_female_raises_the_probability(trained):
    woman = {**default_passenger(), "sex": "female"}
    _, contributions = explain(trained.pipeline, woman, trained.reference_passenger)
    sex = next(c for c in contributions if c.feature == "sex")
    assert sex.points > 10
    assert sex.value == "Female"
    assert sex.direction == "raised"


def test_first_class_raises_and_third_class_lowers_for_a_woman(trained):
    reference = {**trained.reference_passenger, "pclass": 2}
    # A first-class fare: no first-class ticket cost the default 14.45, and models that use
    # the fare rightly find such a passenger unusual.
    first = {**default_passenger(), "sex": "female", "pclass": 1, "fare": 60}
    third = {**default_passenger(), "sex": "female", "pclass": 3}
    _, up = explain(trained.pipeline, first, reference)
    _, down = explain(trained.pipeline, third, reference)
    assert next(c for c in up if c.feature == "pclass").points > 0
    assert next(c for c in down if c.feature == "pclass").points < 0


def test_the_typical_passenger_has_nothing_to_explain(trained):
    probability, contributions = explain(
        trained.pipeline, trained.reference_passenger, trained.reference_passenger
    )
    assert all(c.points == 0 for c in contributions)
    assert top_contributions(contributions) == []
    assert 0 < probability < 1


def test_everything_comes_from_one_batched_model_call(trained_logreg):
    counting = CountingPipeline(trained_logreg.pipeline)
    probability, contributions = explain(
        counting, default_passenger(), trained_logreg.reference_passenger
    )
    assert counting.calls == 1
    assert {c.feature for c in contributions} == set(FEATURE_NAMES)
    direct = trained_logreg.pipeline.predict_proba(to_frame([default_passenger()]))[0, 1]
    assert probability == pytest.approx(direct, abs=1e-12)


def test_contributions_are_ordered_by_size_and_capped(trained_logreg):
    child = {**default_passenger(), "age": 4, "parch": 2, "sex": "female", "pclass": 1}
    _, contributions = explain(trained_logreg.pipeline, child, trained_logreg.reference_passenger)
    sizes = [abs(c.points) for c in contributions]
    assert sizes == sorted(sizes, reverse=True)
    assert 2 <= len(top_contributions(contributions)) <= 4
