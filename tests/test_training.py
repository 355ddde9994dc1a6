"""Training on the bundled data: the selected model is good enough and runs are reproducible."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import VotingClassifier

from ml_pipeline.candidates import (
    ALGORITHMS,
    ENSEMBLE_MEMBERS,
    SEARCH_SPACE,
    build_pipeline,
    model_params,
)
from ml_pipeline.data import Dataset
from ml_pipeline.evaluation import best_of
from ml_pipeline.features import add_derived_features, linear_terms, passenger_terms
from ml_pipeline.schema import to_frame
from ml_pipeline.training import train


def banded_fares(rows: int = 400) -> Dataset:
    """Passengers who survived exactly when their fare's tens digit is even: a staircase no
    linear model can follow and any tree ensemble can, so the answer is known."""
    rng = np.random.default_rng(0)
    fare = rng.uniform(0, 100, rows)
    features = to_frame(
        pd.DataFrame(
            {
                "pclass": rng.integers(1, 4, rows),
                "sex": rng.choice(["female", "male"], rows),
                "age": rng.uniform(1, 80, rows),
                "sibsp": rng.integers(0, 3, rows),
                "parch": rng.integers(0, 3, rows),
                "fare": fare,
                "embarked": rng.choice(["C", "Q", "S"], rows),
            }
        )
    )
    target = pd.Series((fare // 10 % 2 == 0).astype(int), name="survived")
    return Dataset(features=features, target=target, sha256="0" * 64, rows=rows, source="banded")


def test_auto_selects_the_candidate_with_the_best_cross_validated_roc_auc(trained_auto):
    assert set(trained_auto.candidates) == set(ALGORITHMS)
    best = max(trained_auto.candidates, key=lambda n: trained_auto.candidates[n]["roc_auc"]["mean"])
    assert trained_auto.algorithm == best


def test_auto_picks_a_tree_ensemble_when_only_trees_can_fit_the_data():
    result = train(banded_fares(), seed=1)
    # The ensemble holds both tree models, so it may win too; the linear model cannot.
    assert result.algorithm in {"random_forest", "hist_gradient_boosting", "ensemble"}
    assert result.candidates["logreg"]["roc_auc"]["mean"] < 0.75
    for trees in ("random_forest", "hist_gradient_boosting"):
        assert result.candidates[trees]["roc_auc"]["mean"] > 0.9
    assert result.cv_metrics["roc_auc"]["mean"] > 0.9
    # Every setting of every candidate was cross-validated and recorded.
    assert {name: len(tried) for name, tried in result.search.items()} == {
        name: len(settings) for name, settings in SEARCH_SPACE.items()
    }


def test_the_best_is_the_highest_mean_or_the_lowest_for_losses():
    scored = [
        ("first", {"roc_auc": {"mean": 0.80}, "brier": {"mean": 0.15}}),
        ("second", {"roc_auc": {"mean": 0.85}, "brier": {"mean": 0.16}}),
        ("third", {"roc_auc": {"mean": 0.85}, "brier": {"mean": 0.14}}),
    ]
    assert best_of("roc_auc", scored) == 1  # a tie goes to the earlier
    assert best_of("brier", scored) == 2


def test_the_selected_model_reaches_the_quality_bar(trained_auto):
    # The bar the project sets on the seven form inputs is cross-validated ROC AUC 0.86,
    # accuracy 0.80 and Brier score 0.14 with the default seed (42), where the soft-voting
    # ensemble reaches 0.861 / 0.813 / 0.137. This shared run uses seed 7 (other folds,
    # another split), where the Brier score lands on 0.140, so the guard leaves that margin.
    assert trained_auto.cv_metrics["roc_auc"]["mean"] >= 0.855
    assert trained_auto.cv_metrics["accuracy"]["mean"] >= 0.80
    assert trained_auto.cv_metrics["brier"]["mean"] <= 0.142
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
    assert trained_auto.seed == 7
    assert trained_auto.duration_seconds > 0
    assert len(trained_auto.holdout_index) == trained_auto.holdout_rows
    assert trained_auto.data_summary["rows"] == 1309
    # The project is a git checkout, so the code's commit is known.
    assert len(trained_auto.git_commit.removesuffix("-dirty")) == 40
    assert len(trained_auto.schema_fingerprint) == 64


def test_the_same_seed_gives_the_same_metrics_and_predictions(titanic, trained_logreg):
    again = train(titanic, algorithm="logreg", seed=trained_logreg.seed)
    assert again.cv_metrics == trained_logreg.cv_metrics
    assert again.holdout_metrics == trained_logreg.holdout_metrics
    sample = titanic.features.head(50)
    assert (
        again.pipeline.predict_proba(sample) == trained_logreg.pipeline.predict_proba(sample)
    ).all()
    assert again.search == trained_logreg.search
    assert again.evaluation == trained_logreg.evaluation
    assert again.plots == trained_logreg.plots


@pytest.mark.parametrize("result_name", ["trained_auto", "trained_logreg", "trained_forest"])
def test_calibration_is_kept_only_when_it_lowers_the_cross_validated_brier(request, result_name):
    result = request.getfixturevalue(result_name)
    calibration = result.evaluation["calibration"]
    helped = calibration["cv_brier_calibrated"] < calibration["cv_brier_uncalibrated"]
    assert calibration["used"] is helped
    model = result.pipeline.named_steps["model"]
    assert isinstance(model, CalibratedClassifierCV) is helped
    assert result.cv_metrics["brier"]["mean"] == min(
        calibration["cv_brier_calibrated"], calibration["cv_brier_uncalibrated"]
    )
    # The held-out Brier of both is on record; the stored model's is the reported one.
    chosen = "holdout_brier_calibrated" if helped else "holdout_brier_uncalibrated"
    assert result.holdout_metrics["brier"] == calibration[chosen]


def test_the_held_out_evaluation_has_every_metric_and_its_baselines(trained_auto):
    holdout = trained_auto.holdout_metrics
    for metric in [
        "accuracy",
        "precision",
        "recall",
        "f1",
        "roc_auc",
        "average_precision",
        "brier",
        "log_loss",
        "baseline_accuracy",
        "baseline_brier",
    ]:
        assert 0 <= holdout[metric] <= 1 or metric == "log_loss"
    matrix = trained_auto.evaluation["confusion_matrix"]
    assert sum(matrix.values()) == trained_auto.holdout_rows
    assert holdout["accuracy"] == pytest.approx(
        (matrix["tp"] + matrix["tn"]) / trained_auto.holdout_rows
    )
    importance = trained_auto.evaluation["permutation_importance"]
    assert max(importance, key=lambda name: importance[name]["mean"]) == "sex"
    assert set(trained_auto.plots) == {"roc", "calibration", "confusion", "importance"}
    assert all(svg.startswith(b"<?xml") and b"<svg" in svg for svg in trained_auto.plots.values())


def test_the_ensemble_averages_the_linear_model_and_the_forest(trained_auto):
    model = build_pipeline("ensemble", seed=3).named_steps["model"]
    assert isinstance(model, VotingClassifier)
    assert model.voting == "soft"
    assert [name for name, _ in model.estimators] == list(ENSEMBLE_MEMBERS)
    assert ENSEMBLE_MEMBERS == ("logreg", "random_forest")
    # On titanic3 the average ranks passengers better than each of its members.
    ensemble = trained_auto.candidates["ensemble"]["roc_auc"]["mean"]
    assert all(
        ensemble > trained_auto.candidates[name]["roc_auc"]["mean"] for name in ENSEMBLE_MEMBERS
    )


def test_passenger_terms_spell_out_sex_class_children_and_families():
    passengers = to_frame(
        [
            {"pclass": 3, "sex": "female", "age": 8, "sibsp": 3, "parch": 2, "fare": 31.0},
            {"pclass": 1, "sex": "male", "age": None, "sibsp": 0, "parch": 0, "fare": 0.0},
        ]
    )
    terms = passenger_terms(passengers)
    assert terms["female"].tolist() == [1, 0]
    assert terms["child"].tolist() == [1, 0]
    assert terms["age_missing"].tolist() == [0, 1]
    assert terms["family_size"].tolist() == [6, 1]
    assert terms["alone"].tolist() == [0, 1]
    assert terms["large_family"].tolist() == [1, 0]
    assert terms.loc[0, "log_fare_per_person"] == pytest.approx(np.log1p(31.0 / 6))
    linear = linear_terms(terms.fillna({"age": 28.0}))
    assert linear["female_class_3"].tolist() == [1, 0]
    assert linear["male_class_1"].tolist() == [0, 1]
    assert linear["female_3rd_large_family"].tolist() == [1, 0]
    assert linear["boy"].tolist() == [0, 0]


def test_family_size_and_fare_per_person_are_derived_inside_the_pipeline():
    passengers = to_frame([{"sibsp": 1, "parch": 2, "fare": 40.0}])
    derived = add_derived_features(passengers)
    assert derived.loc[0, "family_size"] == 4
    assert derived.loc[0, "fare_per_person"] == 10.0


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


def test_the_ensemble_records_each_members_parameters_as_json():
    params = model_params(build_pipeline("ensemble", seed=3))
    assert params["voting"] == "soft"
    assert params["logreg__C"] == 0.1
    assert params["random_forest__min_samples_leaf"] == 3
    assert params["random_forest__random_state"] == 3
    assert not any(key.startswith("hist_gradient_boosting__") for key in params)
    json.dumps(params, allow_nan=False)
