"""The registry: registration, activation (at most one active) and predictions."""

from __future__ import annotations

import hashlib

import pytest
from django.db import IntegrityError, transaction

from ml_pipeline.schema import default_passenger
from survival.models import ModelVersion, Prediction
from survival.predictions.services import predict_survival
from survival.registry.artifacts import ModelUnavailableError, artifact_storage, clear_loaded_models
from survival.registry.services import (
    model_version_activate,
    model_version_deactivate,
    model_version_register,
)
from tests.stores import model_file_alter_everywhere, model_file_remove_everywhere

pytestmark = pytest.mark.django_db


def test_registration_stores_a_verified_artifact_and_numbers_versions(trained_logreg):
    first = model_version_register(result=trained_logreg)
    second = model_version_register(result=trained_logreg)
    assert (first.version, second.version) == (1, 2)
    assert not first.is_active
    assert not second.is_active
    with artifact_storage().open(first.artifact_name, "rb") as artifact:
        assert hashlib.sha256(artifact.read()).hexdigest() == first.artifact_sha256
    assert first.algorithm == "logreg"
    assert first.cv_metrics == trained_logreg.cv_metrics
    assert first.data_sha256 == trained_logreg.data_sha256
    assert first.library_versions["scikit-learn"]


def test_activation_leaves_exactly_one_active_version(trained_logreg):
    first = model_version_register(result=trained_logreg, activate=True)
    second = model_version_register(result=trained_logreg)
    model_version_activate(version=second)
    assert list(ModelVersion.objects.filter(is_active=True)) == [second]
    model_version_activate(version=first)
    assert list(ModelVersion.objects.filter(is_active=True)) == [first]


def test_activating_the_active_version_keeps_it_the_only_active_one(trained_logreg):
    version = model_version_register(result=trained_logreg, activate=True)
    model_version_activate(version=version)
    assert list(ModelVersion.objects.filter(is_active=True)) == [version]


def test_the_database_refuses_a_second_active_version(trained_logreg):
    model_version_register(result=trained_logreg, activate=True)
    other = model_version_register(result=trained_logreg)
    with pytest.raises(IntegrityError), transaction.atomic():
        ModelVersion.objects.filter(pk=other.pk).update(is_active=True)


def test_an_altered_artifact_is_never_activated(trained_logreg):
    good = model_version_register(result=trained_logreg, activate=True)
    bad = model_version_register(result=trained_logreg)
    model_file_alter_everywhere(bad, b"not the file that was registered")
    clear_loaded_models()
    with pytest.raises(ModelUnavailableError, match="does not match its recorded sha256"):
        model_version_activate(version=bad)
    assert list(ModelVersion.objects.filter(is_active=True)) == [good]


def test_prediction_uses_the_active_version_and_is_logged(active_version):
    woman = {**default_passenger(), "pclass": 1, "sex": "female", "fare": 80.0}
    outcome = predict_survival(passenger=woman)
    assert outcome.survived
    assert 0.5 < outcome.probability < 1
    assert outcome.model_version == active_version
    logged = Prediction.objects.get()
    assert logged.pk == outcome.prediction_id
    assert logged.inputs == woman
    assert logged.model_version == active_version
    assert logged.channel == Prediction.Channel.WEB


def test_a_different_passenger_gets_a_different_probability(active_version):
    woman = predict_survival(passenger={**default_passenger(), "pclass": 1, "sex": "female"})
    man = predict_survival(passenger={**default_passenger(), "pclass": 3, "sex": "male"})
    assert woman.probability > man.probability + 0.3


def test_the_next_prediction_after_an_activation_uses_the_new_version(
    active_version, trained_forest
):
    assert predict_survival(passenger=default_passenger()).model_version == active_version
    forest = model_version_register(result=trained_forest, activate=True)
    assert predict_survival(passenger=default_passenger()).model_version == forest


def test_without_an_active_version_prediction_is_refused_and_nothing_logged(active_version):
    model_version_deactivate(version=active_version)
    with pytest.raises(ModelUnavailableError, match="No model is available"):
        predict_survival(passenger=default_passenger())
    assert not Prediction.objects.exists()


def test_a_missing_artifact_makes_the_model_unavailable(active_version):
    model_file_remove_everywhere(active_version)
    clear_loaded_models()
    with pytest.raises(ModelUnavailableError, match="is in no store"):
        predict_survival(passenger=default_passenger())
    assert not Prediction.objects.exists()
