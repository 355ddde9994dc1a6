"""The quick inference path gives exactly the plain sklearn pipeline's answers."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from ml_pipeline.candidates import build_pipeline, calibrated
from ml_pipeline.explain import explain_many
from ml_pipeline.prepared import PreparedPipeline

TOLERANCE = 1e-9


@pytest.fixture(scope="module")
def hist_gradient_boosting(titanic):
    return build_pipeline("hist_gradient_boosting", seed=7).fit(titanic.features, titanic.target)


@pytest.fixture(scope="module")
def calibrated_logreg(titanic):
    return calibrated(build_pipeline("logreg", seed=7)).fit(titanic.features, titanic.target)


@pytest.fixture(scope="module")
def calibrated_forest(titanic):
    return calibrated(build_pipeline("random_forest", seed=7)).fit(titanic.features, titanic.target)


@pytest.fixture(
    params=[
        "logreg",
        "random_forest",
        "hist_gradient_boosting",
        "calibrated_logreg",
        "calibrated_forest",
        "auto",
    ]
)
def fitted(request, trained_logreg, trained_forest, trained_auto):
    if request.param == "logreg":
        return request.param, trained_logreg.pipeline
    if request.param == "random_forest":
        return request.param, trained_forest.pipeline
    if request.param == "auto":
        return request.param, trained_auto.pipeline
    return request.param, request.getfixturevalue(request.param)


def test_every_bundled_passenger_gets_the_pipelines_probability(fitted, titanic):
    _, fitted = fitted
    prepared = PreparedPipeline(fitted)
    # Every shape training builds (each candidate, calibrated or not, and the ensemble)
    # has the quick path.
    assert prepared.quick
    passengers = titanic.features.to_dict(orient="records")
    assert len(passengers) == 1309
    expected = fitted.predict_proba(titanic.features)[:, 1]
    # The quick path must not lean on warnings being ignored (feature names, dtypes).
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        together = prepared.survival_probabilities(passengers)
        one_by_one = np.array([prepared.survival_probabilities([p])[0] for p in passengers[::50]])
    assert np.abs(together - expected).max() <= TOLERANCE
    assert np.abs(one_by_one - expected[::50]).max() <= TOLERANCE


def test_explanations_are_the_same_through_the_quick_path(fitted, trained_logreg, titanic):
    _, fitted = fitted
    passengers = titanic.features.head(8).to_dict(orient="records")
    background = trained_logreg.explanation_background
    plain = explain_many(fitted, passengers, background)
    quick = explain_many(PreparedPipeline(fitted), passengers, background)
    for plain_one, quick_one in zip(plain, quick, strict=True):
        assert quick_one.probability == pytest.approx(plain_one.probability, abs=TOLERANCE)
        assert quick_one.baseline == pytest.approx(plain_one.baseline, abs=TOLERANCE)
        plain_points = {c.feature: c.points / 100 for c in plain_one.contributions}
        quick_points = {c.feature: c.points / 100 for c in quick_one.contributions}
        assert quick_points == pytest.approx(plain_points, abs=TOLERANCE)


def test_a_pipeline_of_another_shape_is_answered_by_the_plain_path(titanic):
    from sklearn.linear_model import LogisticRegression

    from ml_pipeline.candidates import NUMBER_COLUMNS

    numbers = titanic.features[NUMBER_COLUMNS].fillna(0)
    model = LogisticRegression().fit(numbers, titanic.target)
    prepared = PreparedPipeline(model)
    assert not prepared.quick
    assert np.array_equal(prepared.predict_proba(numbers), model.predict_proba(numbers))


def varied_passengers(titanic) -> list[dict]:
    """Every class, sex and port with unknown and extreme ages and fares, and real rows."""
    from ml_pipeline.schema import FEATURES_BY_NAME

    passengers = titanic.features.iloc[::7].to_dict(orient="records")
    age, fare = FEATURES_BY_NAME["age"], FEATURES_BY_NAME["fare"]
    for pclass in FEATURES_BY_NAME["pclass"].choice_values:
        for sex in FEATURES_BY_NAME["sex"].choice_values:
            for embarked in FEATURES_BY_NAME["embarked"].choice_values:
                for years, paid in ((None, None), (age.minimum, fare.maximum), (age.maximum, 0.0)):
                    passengers.append(
                        {
                            "pclass": pclass,
                            "sex": sex,
                            "age": years,
                            "sibsp": 8,
                            "parch": 0,
                            "fare": paid,
                            "embarked": embarked,
                        }
                    )
    return passengers


@pytest.mark.parametrize("calibration", [None, "sigmoid", "isotonic"])
@pytest.mark.parametrize(
    "algorithm", ["logreg", "random_forest", "hist_gradient_boosting", "ensemble"]
)
def test_every_family_and_calibration_takes_the_quick_path_with_equal_answers(
    algorithm, calibration, small_titanic, titanic
):
    from sklearn.base import clone
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.pipeline import Pipeline

    from ml_pipeline.schema import to_frame

    pipeline = build_pipeline(algorithm, seed=3)
    if calibration is not None:
        *steps, (name, model) = pipeline.steps
        wrapped = CalibratedClassifierCV(clone(model), method=calibration, cv=3)
        pipeline = Pipeline([*steps, (name, wrapped)])
    pipeline.fit(small_titanic.features, small_titanic.target)
    prepared = PreparedPipeline(pipeline)
    assert prepared.quick, prepared.reason
    passengers = varied_passengers(titanic)
    expected = pipeline.predict_proba(to_frame(passengers))[:, 1]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        quick = prepared.survival_probabilities(passengers)
    assert np.abs(quick - expected).max() <= TOLERANCE


def test_what_train_selects_by_default_is_quick(trained_auto):
    # The ensemble, calibrated or not depending on the seed's folds; both shapes are
    # covered above on every calibration method.
    assert trained_auto.algorithm == "ensemble"
    assert PreparedPipeline(trained_auto.pipeline).quick


def test_a_pipeline_the_quick_path_does_not_know_says_why(titanic):
    from sklearn.naive_bayes import GaussianNB
    from sklearn.pipeline import Pipeline

    from ml_pipeline.candidates import NUMBER_COLUMNS

    numbers = titanic.features[NUMBER_COLUMNS].fillna(0)
    prepared = PreparedPipeline(Pipeline([("model", GaussianNB())]).fit(numbers, titanic.target))
    assert not prepared.quick
    assert prepared.reason == "a GaussianNB model"


def test_model_files_saved_before_the_steps_moved_still_find_them():
    # Pickled pipelines name their DataFrame steps by module; older files name `training`.
    from ml_pipeline import features, training

    for name in ("add_derived_features", "passenger_terms", "linear_terms"):
        assert getattr(training, name) is getattr(features, name)
