"""Training on the bundled data: the selected model is good enough and runs are reproducible."""

from __future__ import annotations

import pytest

from ml_pipeline.training import ALGORITHMS, build_pipeline, train


@pytest.fixture(scope="module")
def trained_auto(titanic):
    return train(titanic)


def test_auto_selects_the_candidate_with_the_best_cross_validated_roc_auc(trained_auto):
    assert set(trained_auto.candidates) == set(ALGORITHMS)
    best = max(trained_auto.candidates, key=lambda n: trained_auto.candidates[n]["roc_auc"]["mean"])
    assert trained_auto.algorithm == best


def test_the_selected_model_reaches_the_quality_bar(trained_auto):
    assert trained_auto.cv_metrics["roc_auc"]["mean"] >= 0.83
    assert trained_auto.holdout_metrics["roc_auc"] >= 0.83
    # Better than always answering "did not survive".
    assert (
        trained_auto.holdout_metrics["accuracy"] > trained_auto.holdout_metrics["baseline_accuracy"]
    )


def test_the_run_records_what_makes_it_reproducible(trained_auto, titanic):
    assert trained_auto.data_sha256 == titanic.sha256
    assert trained_auto.data_rows == 1309
    assert trained_auto.train_rows + trained_auto.holdout_rows == 1309
    assert set(trained_auto.library_versions) >= {"python", "scikit-learn", "numpy", "pandas"}
    assert len(trained_auto.schema_fingerprint) == 64


def test_the_same_seed_gives_the_same_metrics_and_predictions(titanic, trained_logreg):
    again = train(titanic, algorithm="logreg", seed=trained_logreg.seed)
    assert again.cv_metrics == trained_logreg.cv_metrics
    assert again.holdout_metrics == trained_logreg.holdout_metrics
    sample = titanic.features.head(50)
    assert (
        again.pipeline.predict_proba(sample) == trained_logreg.pipeline.predict_proba(sample)
    ).all()


def test_missing_values_in_every_feature_are_imputed(trained_logreg, titanic):
    row = titanic.features.head(1).copy()
    row.loc[:, :] = float("nan")
    probability = trained_logreg.pipeline.predict_proba(row)[0, 1]
    assert 0 < probability < 1


def test_an_unknown_algorithm_is_refused_with_the_choices(titanic):
    with pytest.raises(ValueError, match="logreg, random_forest"):
        build_pipeline("magic")


def test_the_typical_passenger_is_the_training_split_median_and_mode(trained_logreg):
    typical = trained_logreg.reference_passenger
    assert typical["sex"] == "male"
    assert typical["pclass"] == 3
    assert typical["embarked"] == "S"
    assert 20 <= typical["age"] <= 35
    assert typical["sibsp"] == 0
