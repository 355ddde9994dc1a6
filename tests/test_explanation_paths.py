"""The quick explanation (a background prepared once, each background row's part of the
game folded on its own, a logistic regression from its column groups' rows, an ensemble
member by member) gives the numbers of the plain method: every coalition row of every
background passenger scored by the plain pipeline, averaged per coalition, weighted."""

from __future__ import annotations

import math

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.calibration import CalibratedClassifierCV
from sklearn.pipeline import Pipeline

from ml_pipeline.candidates import build_pipeline, calibrated
from ml_pipeline.coalitions import RowScorer, WeightedScorer
from ml_pipeline.explain import explain, explanation_background
from ml_pipeline.linear_coalitions import LinearScorer, column_inputs
from ml_pipeline.prepared import PreparedPipeline
from ml_pipeline.prepared_steps import schema_columns
from ml_pipeline.schema import FEATURE_NAMES, to_frame

TOLERANCE = 1e-9
FAMILIES = [
    "logreg",
    "random_forest",
    "hist_gradient_boosting",
    "ensemble",
    "calibrated ensemble",
    "calibrated logreg",
]


def fitted_family(family: str, titanic) -> Pipeline:
    if family.startswith("calibrated "):
        pipeline = calibrated(build_pipeline(family.removeprefix("calibrated "), seed=5))
    else:
        pipeline = build_pipeline(family, seed=5)
    # Half the passengers, so that the other half are new to the model.
    return pipeline.fit(titanic.features.iloc[::2], titanic.target.iloc[::2])


def plain_shapley(pipeline, passenger, background):
    """Shapley values by scoring all 2^7 × background rows with the plain pipeline: v(S) is
    the mean over the background, and input i gains |S|!(n−|S|−1)!/n! · (v(S ∪ i) − v(S))."""
    n = len(FEATURE_NAMES)
    rows = [
        {
            name: passenger[name] if coalition >> i & 1 else row[name]
            for i, name in enumerate(FEATURE_NAMES)
        }
        for coalition in range(2**n)
        for row in background
    ]
    scores = pipeline.predict_proba(to_frame(rows))[:, 1].reshape(2**n, len(background))
    value = scores.mean(axis=1)
    shapley = np.zeros(n)
    for coalition in range(2**n):
        size = bin(coalition).count("1")
        for i in range(n):
            if not coalition >> i & 1:
                weight = math.factorial(size) * math.factorial(n - size - 1) / math.factorial(n)
                shapley[i] += weight * (value[coalition | 1 << i] - value[coalition])
    return scores[-1, 0], value[0], shapley


def assert_quick_is_plain(pipeline, prepared, passenger, background) -> None:
    """The prepared pipeline's explanation of `passenger` is the plain method's: the
    probability, the baseline and every input's Shapley value within TOLERANCE."""
    probability, baseline, shapley = plain_shapley(pipeline, passenger, background)
    quick = explain(prepared, passenger, background)
    assert quick.probability == pytest.approx(probability, abs=TOLERANCE)
    assert quick.baseline == pytest.approx(baseline, abs=TOLERANCE)
    points = {c.feature: c.points / 100 for c in quick.contributions}
    assert [points[name] for name in FEATURE_NAMES] == pytest.approx(list(shapley), abs=TOLERANCE)


def bundled_passengers(titanic) -> list[dict]:
    """Passengers of both halves, with missing ages, fares and ports among them."""
    passengers = titanic.features.iloc[1::37].to_dict(orient="records")
    missing = titanic.features[titanic.features.isna().any(axis=1)]
    return passengers + missing.iloc[::40].to_dict(orient="records")


@pytest.mark.parametrize("family", FAMILIES)
def test_the_quick_explanation_is_the_plain_methods(family, titanic):
    pipeline = fitted_family(family, titanic)
    background = explanation_background(pipeline, titanic.features.iloc[::2], seed=5)
    prepared = PreparedPipeline(pipeline)
    passengers = bundled_passengers(titanic)
    assert len(passengers) >= 40
    worst = 0.0
    for passenger in passengers:
        probability, baseline, shapley = plain_shapley(pipeline, passenger, background)
        quick = explain(prepared, passenger, background)
        points = np.array(
            [
                next(c.points for c in quick.contributions if c.feature == name) / 100
                for name in FEATURE_NAMES
            ]
        )
        worst = max(
            worst,
            abs(quick.probability - probability),
            abs(quick.baseline - baseline),
            float(np.abs(points - shapley).max()),
        )
        assert quick.baseline + points.sum() == pytest.approx(quick.probability, abs=1e-12)
    assert worst <= TOLERANCE


@pytest.mark.parametrize(
    ("family", "scorer"),
    [
        ("logreg", LinearScorer),
        ("random_forest", RowScorer),
        ("hist_gradient_boosting", RowScorer),
        ("ensemble", WeightedScorer),
        ("calibrated ensemble", RowScorer),
    ],
)
def test_each_family_takes_its_quick_path(family, scorer, small_titanic):
    if family.startswith("calibrated "):
        pipeline = calibrated(build_pipeline(family.removeprefix("calibrated "), seed=3))
    else:
        pipeline = build_pipeline(family, seed=3)
    pipeline.fit(small_titanic.features, small_titanic.target)
    background = small_titanic.features.head(6).to_dict(orient="records")
    prepared = PreparedPipeline(pipeline)
    game = prepared.background_game(background)
    assert isinstance(game.scorer, scorer)
    # The background is prepared once: asked again (as each request asks), it is reused.
    assert prepared.background_game(list(background)) is game
    if family == "ensemble":
        # Member by member: the logistic regression from its column groups.
        members = [type(member) for member in game.scorer._members]
        assert members == [LinearScorer, RowScorer]


def test_which_inputs_each_logistic_column_reads(trained_logreg):
    *transforms, _ = [step for _, step in trained_logreg.pipeline.steps]
    reads = column_inputs(transforms)
    assert reads["female_class_1"] == {"sex", "pclass"}
    assert reads["log_fare_per_person"] == {"fare", "sibsp", "parch"}
    assert reads["female_3rd_family_size"] == {"sex", "pclass", "sibsp", "parch"}
    assert reads["age_missing"] == {"age"}
    assert reads["embarked_C"] == {"embarked"}


def test_a_logistic_pipeline_whose_columns_are_not_followed_is_scored_row_by_row(
    small_titanic, titanic
):
    from sklearn.linear_model import LogisticRegression

    from ml_pipeline.candidates import _derive, _tree_features

    # One-hot encoding inside a ColumnTransformer part: the dependency analysis does not
    # look into such a part, so every distinct coalition row is scored.
    pipeline = Pipeline(
        [
            ("derive", _derive()),
            ("features", _tree_features()),
            ("model", LogisticRegression(max_iter=5000)),
        ]
    ).fit(small_titanic.features, small_titanic.target)
    background = small_titanic.features.head(8).to_dict(orient="records")
    prepared = PreparedPipeline(pipeline)
    assert isinstance(prepared.background_game(background).scorer, RowScorer)
    for passenger in titanic.features.iloc[::150].to_dict(orient="records"):
        assert_quick_is_plain(pipeline, prepared, passenger, background)


def test_calibration_of_another_method_still_matches(small_titanic, titanic):
    pipeline = build_pipeline("logreg", seed=3)
    *steps, (name, model) = pipeline.steps
    wrapped = CalibratedClassifierCV(clone(model), method="isotonic", cv=3)
    pipeline = Pipeline([*steps, (name, wrapped)]).fit(small_titanic.features, small_titanic.target)
    background = small_titanic.features.head(8).to_dict(orient="records")
    prepared = PreparedPipeline(pipeline)
    for passenger in titanic.features.iloc[::200].to_dict(orient="records"):
        assert_quick_is_plain(pipeline, prepared, passenger, background)


@pytest.mark.parametrize("family", ["logreg", "ensemble"])
def test_passengers_who_differ_alike_share_a_plan_and_keep_their_own_numbers(family, small_titanic):
    # Ages none of the background passengers has: each passenger differs from every one
    # of them in the same inputs, so the second and third reuse the first one's plan.
    pipeline = build_pipeline(family, seed=3).fit(small_titanic.features, small_titanic.target)
    background = small_titanic.features.head(6).to_dict(orient="records")
    prepared = PreparedPipeline(pipeline)
    base = {
        "pclass": 2,
        "sex": "male",
        "age": 33.3,
        "sibsp": 1,
        "parch": 0,
        "fare": 21.7,
        "embarked": "Q",
    }
    passengers = [base, {**base, "age": 71.7}, {**base, "age": 4.4}, base]
    game = prepared.background_game(background)
    plans = set()
    for passenger in passengers:
        columns = schema_columns([passenger])
        plans.add(id(game.plan(game.differences(game.passenger_codes(columns)))))
        assert_quick_is_plain(pipeline, prepared, passenger, background)
    assert len(plans) == 1
    # The three ages answer differently: the plan carries no passenger's numbers.
    assert len({explain(prepared, p, background).probability for p in passengers}) == 3
