"""Writes to the registry and answers predictions. Views, the admin, the training command
and (later) the API all call these functions."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from ml_pipeline.constants import THRESHOLD
from ml_pipeline.schema import FEATURE_NAMES, to_frame
from survival import selectors
from survival.inference import (
    MODEL_UNAVAILABLE,
    ModelUnavailableError,
    artifact_storage,
    load_pipeline,
)
from survival.models import ModelVersion, Prediction

if TYPE_CHECKING:
    from ml_pipeline.training import TrainingResult

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PredictionOutcome:
    """What a visitor or client is told about one passenger."""

    survived: bool
    probability: float
    model_version: ModelVersion
    prediction_id: int

    @property
    def percentage(self) -> float:
        return self.probability * 100


@transaction.atomic
def model_version_register(*, result: TrainingResult, activate: bool = False) -> ModelVersion:
    """Stores a training result's artifact and records it as the next version."""
    # scikit-learn is imported only by the code paths that need it, not at Django start-up.
    from ml_pipeline.training import serialize_pipeline

    data = serialize_pipeline(result.pipeline)
    sha256 = hashlib.sha256(data).hexdigest()
    number = (ModelVersion.objects.aggregate(last=Max("version"))["last"] or 0) + 1
    name = artifact_storage().save(f"model-v{number:04d}-{sha256[:12]}.joblib", ContentFile(data))
    version = ModelVersion.objects.create(
        version=number,
        algorithm=result.algorithm,
        params=result.params,
        cv_metrics=result.cv_metrics,
        holdout_metrics=result.holdout_metrics,
        candidates=result.candidates,
        seed=result.seed,
        data_sha256=result.data_sha256,
        data_rows=result.data_rows,
        train_rows=result.train_rows,
        holdout_rows=result.holdout_rows,
        library_versions=result.library_versions,
        schema_fingerprint=result.schema_fingerprint,
        reference_passenger=result.reference_passenger,
        artifact_name=name,
        artifact_sha256=sha256,
        training_seconds=result.duration_seconds,
    )
    if activate:
        model_version_activate(version=version)
    return version


def model_version_activate(
    *, version: ModelVersion, by: AbstractBaseUser | None = None
) -> ModelVersion:
    """Makes `version` the only active one, in one transaction.

    The artifact is verified and loaded first, so a version whose file is missing or altered
    is refused (ModelUnavailableError) and the active version stays as it was. Activating the
    active version is allowed and changes nothing but `activated_at`.
    """
    load_pipeline(version)
    with transaction.atomic():
        # Lock the rows being changed where the database supports it (PostgreSQL); the
        # conditional unique constraint is the last word everywhere.
        list(ModelVersion.objects.select_for_update().filter(is_active=True))
        ModelVersion.objects.filter(is_active=True).exclude(pk=version.pk).update(is_active=False)
        ModelVersion.objects.filter(pk=version.pk).update(
            is_active=True, activated_at=timezone.now()
        )
    version.refresh_from_db()
    logger.info("model version %s activated by %s", version.version, by or "the system")
    return version


def model_version_deactivate(*, version: ModelVersion) -> ModelVersion:
    """Takes a version out of service; with none active, visitors are told so."""
    ModelVersion.objects.filter(pk=version.pk).update(is_active=False)
    version.refresh_from_db()
    return version


def predict_survival(
    *, passenger: Mapping[str, Any], channel: str = Prediction.Channel.WEB
) -> PredictionOutcome:
    """Scores one validated passenger with the active version and logs the prediction.

    Raises ModelUnavailableError when no version is active or its artifact does not verify.
    """
    version = selectors.model_version_get_active()
    if version is None:
        raise ModelUnavailableError(MODEL_UNAVAILABLE)
    pipeline = load_pipeline(version)
    inputs = {name: passenger[name] for name in FEATURE_NAMES}
    probability = float(pipeline.predict_proba(to_frame([inputs]))[0, 1])
    survived = probability >= THRESHOLD
    logged = Prediction.objects.create(
        model_version=version,
        inputs=inputs,
        probability=probability,
        survived=survived,
        channel=channel,
    )
    return PredictionOutcome(
        survived=survived,
        probability=probability,
        model_version=version,
        prediction_id=logged.pk,
    )
