"""Writes to the registry and answers predictions. Views, the admin, the training command
and (later) the API all call these functions."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from ml_pipeline.constants import THRESHOLD
from ml_pipeline.errors import DataValidationError
from ml_pipeline.explain import (
    Contribution,
    explain_many,
    survival_probabilities,
    top_contributions,
)
from ml_pipeline.schema import FEATURE_NAMES, TARGET
from survival import selectors
from survival.inference import (
    ModelUnavailableError,
    artifact_storage,
    load_pipeline,
)
from survival.models import ModelActivation, ModelVersion, Prediction

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from ml_pipeline.training import TrainingResult

logger = logging.getLogger(__name__)

CHALLENGER_IS_ACTIVE = (
    "Version {version} is the active version; the challenger must be another version."
)
PREDICTION_NOT_FOUND = "There is no prediction {prediction_id}."
FEEDBACK_CONFLICT = (
    "Prediction {prediction_id} already has feedback: the passenger {recorded} "
    "(recorded {at:%Y-%m-%d %H:%M:%S} UTC). An outcome is recorded once and not changed."
)


class ChallengerRefusedError(ValueError):
    """A version that cannot be the challenger (it is the active one)."""


class PredictionNotFoundError(LookupError):
    """Feedback for a prediction id that does not exist."""


class FeedbackConflictError(ValueError):
    """Feedback that contradicts the outcome already recorded for a prediction."""


@dataclass(frozen=True)
class PredictionOutcome:
    """What a visitor or client is told about one passenger."""

    survived: bool
    probability: float
    model_version: ModelVersion
    prediction_id: int
    contributions: list[Contribution] = field(default_factory=list)

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
    stem = f"model-v{number:04d}-{sha256[:12]}"
    storage = artifact_storage()
    name = storage.save(f"{stem}.joblib", ContentFile(data))
    # The model card's plots live beside the artifact, in the same storage.
    plots = {
        plot: storage.save(f"{stem}-{plot}.svg", ContentFile(svg))
        for plot, svg in result.plots.items()
    }
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
        selection_metric=result.selection_metric,
        search=result.search,
        evaluation=result.evaluation,
        holdout_index=result.holdout_index,
        data_summary=result.data_summary,
        git_commit=result.git_commit,
        plots=plots,
    )
    if activate:
        model_version_activate(version=version)
    return version


def model_version_activate(
    *, version: ModelVersion, by: AbstractBaseUser | None = None, reason: str = ""
) -> ModelVersion:
    """Makes `version` the only active one, in one transaction, and records the change
    (who, when, from which version, why) as a ModelActivation.

    The artifact is verified and loaded first, so a version whose file is missing, altered
    or made by another scikit-learn is refused (ModelUnavailableError with the reason, also
    recorded on the version) and the active version stays as it was. Activating the active
    version is allowed; it is recorded too and changes nothing but `activated_at`.
    """
    load_pipeline(version, recheck=True)
    with transaction.atomic():
        previous = _lock_registry()
        now = timezone.now()
        if previous is not None and previous.pk != version.pk:
            ModelVersion.objects.filter(pk=previous.pk).update(is_active=False)
        # A promoted challenger stops shadowing: it now answers.
        ModelVersion.objects.filter(pk=version.pk).update(
            is_active=True, activated_at=now, is_challenger=False
        )
        ModelActivation.objects.create(
            from_version=previous, to_version=version, by=by, at=now, reason=reason
        )
    version.refresh_from_db()
    logger.info("model version %s activated by %s", version.version, by or "the system")
    return version


def model_version_deactivate(
    *, version: ModelVersion, by: AbstractBaseUser | None = None, reason: str = ""
) -> ModelVersion:
    """Takes a version out of service (recorded as a change to no version); with none
    active, visitors are told so. A version that is not active is left as it is."""
    with transaction.atomic():
        previous = _lock_registry()
        if previous is not None and previous.pk == version.pk:
            ModelVersion.objects.filter(pk=version.pk).update(is_active=False)
            ModelActivation.objects.create(
                from_version=previous, to_version=None, by=by, at=timezone.now(), reason=reason
            )
    version.refresh_from_db()
    return version


def model_version_make_challenger(
    *, version: ModelVersion, by: AbstractBaseUser | None = None
) -> ModelVersion:
    """Makes `version` the only challenger: from the next request on, it scores every
    prediction beside the active version, and its answers are logged but never shown.

    Its artifact is verified and loaded first, so a broken version is refused
    (ModelUnavailableError with the reason). The active version is refused too
    (ChallengerRefusedError). A previous challenger stops being one, in the same transaction.
    """
    load_pipeline(version, recheck=True)
    with transaction.atomic():
        _lock_registry()
        version.refresh_from_db()
        if version.is_active:
            raise ChallengerRefusedError(CHALLENGER_IS_ACTIVE.format(version=version.version))
        if not version.is_challenger:
            # Cleared first: the database allows one challenger at any moment.
            ModelVersion.objects.filter(is_challenger=True).update(is_challenger=False)
            ModelVersion.objects.filter(pk=version.pk).update(
                is_challenger=True, challenger_since=timezone.now()
            )
    version.refresh_from_db()
    logger.info("model version %s made the challenger by %s", version.version, by or "the system")
    return version


def model_version_clear_challenger(*, by: AbstractBaseUser | None = None) -> ModelVersion | None:
    """Stops any challenger from shadowing; returns the version that was the challenger."""
    with transaction.atomic():
        _lock_registry()
        challenger = selectors.model_version_get_challenger()
        if challenger is not None:
            ModelVersion.objects.filter(pk=challenger.pk).update(is_challenger=False)
            challenger.refresh_from_db()
            logger.info(
                "model version %s is no longer the challenger (%s)",
                challenger.version,
                by or "the system",
            )
    return challenger


def _lock_registry() -> ModelVersion | None:
    """Serialises changes of the active version and returns the active one at that moment.

    On PostgreSQL every version row is locked (in one order, so two changes cannot
    deadlock); a second change waits, then sees the first one's result, so each record's
    "from" is the version that was really active. SQLite runs write transactions one at a
    time already (settings: BEGIN IMMEDIATE). Must be called inside transaction.atomic().
    """
    list(ModelVersion.objects.select_for_update().order_by("pk").values_list("pk", flat=True))
    return ModelVersion.objects.filter(is_active=True).first()


def predict_survival(
    *, passenger: Mapping[str, Any], channel: str = Prediction.Channel.WEB
) -> PredictionOutcome:
    """Scores one validated passenger with the active version, explains the answer and logs
    the prediction.

    Raises ModelUnavailableError when no version is active or its artifact does not verify;
    nothing is logged then.
    """
    (outcome,) = passengers_predict(passengers=[passenger], channel=channel, with_explanations=True)
    # The page shows only the inputs that mattered most.
    return replace(outcome, contributions=top_contributions(outcome.contributions))


def passengers_predict(
    *,
    passengers: Sequence[Mapping[str, Any]],
    channel: str,
    version_number: int | None = None,
    with_explanations: bool = False,
) -> list[PredictionOutcome]:
    """Scores validated passengers in one model call and logs each prediction (one insert).

    `version_number` pins a registered version; without it the active version answers.
    With explanations every outcome carries all inputs' contributions, largest push first
    (the substitution rows are stacked into the same model call).
    Raises ModelVersionNotFoundError / ModelUnavailableError like `model_version_resolve`
    (or when the artifact does not verify); nothing is logged then.
    """
    version = selectors.model_version_resolve(number=version_number)
    pipeline = load_pipeline(version)
    inputs = [{name: passenger[name] for name in FEATURE_NAMES} for passenger in passengers]
    if not inputs:
        return []
    if with_explanations:
        explained = explain_many(pipeline, inputs, version.reference_passenger)
    else:
        probabilities = survival_probabilities(pipeline, inputs)
        explained = [(float(probability), []) for probability in probabilities]
    challenger = _challenger_probabilities(champion=version, inputs=inputs)
    logged = Prediction.objects.bulk_create(
        Prediction(
            model_version=version,
            inputs=passenger_inputs,
            probability=probability,
            survived=probability >= THRESHOLD,
            channel=channel,
            challenger=challenger.version,
            challenger_probability=challenger_probability,
        )
        for passenger_inputs, (probability, _), challenger_probability in zip(
            inputs, explained, challenger.probabilities, strict=True
        )
    )
    return [
        PredictionOutcome(
            survived=row.survived,
            probability=row.probability,
            model_version=version,
            prediction_id=row.pk,
            contributions=contributions,
        )
        for row, (_, contributions) in zip(logged, explained, strict=True)
    ]


@dataclass(frozen=True)
class ChallengerScores:
    """The challenger's answers for a request's passengers, to be logged and never shown.

    Attributes:
        version: the challenger that scored them; None when there is none, it is the version
            answering, or it could not score.
        probabilities: one per passenger, in order (all None when `version` is None).
    """

    version: ModelVersion | None
    probabilities: list[float | None]


def _challenger_probabilities(
    *, champion: ModelVersion, inputs: Sequence[Mapping[str, Any]]
) -> ChallengerScores:
    """The challenger's probabilities for the passengers' own rows (no explanation rows), in
    one model call. A challenger that cannot load or score costs the visitor nothing: a
    warning is logged and its columns stay empty."""
    nothing = ChallengerScores(version=None, probabilities=[None] * len(inputs))
    challenger = selectors.model_version_get_challenger()
    if challenger is None or challenger.pk == champion.pk:
        return nothing
    try:
        probabilities = survival_probabilities(load_pipeline(challenger), inputs)
    except ModelUnavailableError as exc:
        logger.warning("challenger v%s did not score: %s", challenger.version, exc)
        return nothing
    except Exception:
        # The shadow must never turn a good answer into an error; the failure is still
        # logged in full for whoever runs the challenger.
        logger.exception("challenger v%s failed while scoring", challenger.version)
        return nothing
    return ChallengerScores(
        version=challenger, probabilities=[float(probability) for probability in probabilities]
    )


def prediction_record_feedback(*, prediction_id: int, survived: bool) -> Prediction:
    """Records whether the passenger of a logged prediction really survived.

    An outcome is a fact about a passenger: it is recorded once. The same answer again is
    accepted and changes nothing (a client may retry safely); a different one raises
    FeedbackConflictError, so the live accuracy cannot be rewritten after the fact.
    Raises PredictionNotFoundError for an unknown id.
    """
    outcome = int(survived)
    with transaction.atomic():
        # Conditional update: of two concurrent reports, exactly one writes.
        Prediction.objects.filter(pk=prediction_id, outcome__isnull=True).update(
            outcome=outcome, outcome_at=timezone.now()
        )
        prediction = Prediction.objects.filter(pk=prediction_id).first()
    if prediction is None:
        raise PredictionNotFoundError(PREDICTION_NOT_FOUND.format(prediction_id=prediction_id))
    if prediction.outcome != outcome:
        raise FeedbackConflictError(
            FEEDBACK_CONFLICT.format(
                prediction_id=prediction_id,
                recorded="survived" if prediction.outcome else "died",
                at=prediction.outcome_at,
            )
        )
    return prediction


@dataclass(frozen=True)
class ScoredTable:
    """A CSV of passengers scored by one version.

    Attributes:
        version: the version that scored it.
        scored: one row per valid input row, in file order, indexed by file line number:
            PassengerId (only when the file has one), Survived (0/1), Probability (0–1).
        rejected: {file line number: [reasons]} for rows that could not be scored.
        outcomes: the file's true 0/1 outcomes for the scored rows, when it has a target
            column (Kaggle "Survived" or titanic3 "survived"); else None.
        total_rows: rows in the file.
    """

    version: ModelVersion
    scored: pd.DataFrame
    rejected: dict[int, list[str]]
    outcomes: pd.Series | None
    total_rows: int


def passengers_score_csv(
    *, raw: bytes, source: str, version_number: int | None = None
) -> ScoredTable:
    """Validates and scores a CSV (titanic3 or Kaggle layout, with or without the target).

    Whole-file problems (not UTF-8, not CSV, missing columns, no rows) raise
    DataValidationError; bad rows are listed in `rejected` and the others are still scored.
    Raises ModelVersionNotFoundError / ModelUnavailableError like `model_version_resolve`.
    Nothing is logged: this is bulk scoring, not a visitor's prediction.
    """
    import pandas as pd

    from ml_pipeline.data import check_rows, missing_columns, read_csv_table

    version = selectors.model_version_resolve(number=version_number)
    table = read_csv_table(raw, source=source)
    missing = missing_columns(table, with_target=False)
    if missing:
        raise DataValidationError(f"{source}: missing required columns: {', '.join(missing)}.")
    if table.empty:
        raise DataValidationError(f"{source}: the file has a header but no rows.")
    checked = check_rows(table)
    valid = checked.valid
    rejected = checked.rejected_lines()
    outcomes = None
    if TARGET in table.columns:
        given = table[TARGET].astype("string").str.strip()
        target = pd.to_numeric(given, errors="coerce")
        bad_target = given.notna() & (given != "") & ~target.isin([0, 1])
        for index in bad_target[bad_target].index:
            rejected.setdefault(int(index) + 2, []).append(f"column '{TARGET}' must be 0 or 1")
        valid &= ~bad_target
        rejected = dict(sorted(rejected.items()))
        # A file may carry outcomes for some rows only (e.g. a partly labelled file).
        known = target[valid]
        outcomes = known.astype(int) if known.notna().all() else None

    features = checked.features[valid]
    probabilities = score_passengers(version=version, features=features) if len(features) else []
    lines = features.index + 2
    scored = pd.DataFrame(index=pd.Index(lines, name="line"))
    if "passengerid" in table.columns:
        scored["PassengerId"] = table.loc[valid, "passengerid"].to_numpy()
    scored["Survived"] = [int(p >= THRESHOLD) for p in probabilities]
    scored["Probability"] = list(probabilities)
    if outcomes is not None:
        outcomes.index = lines
    return ScoredTable(
        version=version,
        scored=scored,
        rejected=rejected,
        outcomes=outcomes,
        total_rows=len(table),
    )


def scored_table_to_csv(*, table: ScoredTable) -> bytes:
    """PassengerId (when the file has it), Survived (0/1), Probability: a Kaggle submission.
    Six decimals are finer than the model is."""
    return table.scored.to_csv(index=False, float_format="%.6f", lineterminator="\n").encode()


def score_passengers(*, version: ModelVersion, features: pd.DataFrame) -> np.ndarray:
    """Probabilities of survival for many passengers (schema columns, as from
    `schema.to_frame` or `data.check_rows`), in one model call. Nothing is logged."""
    return load_pipeline(version).predict_proba(features)[:, 1]
