"""Writes to the registry and answers predictions. Views, the admin, the training command
and (later) the API all call these functions."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.files.base import ContentFile
from django.db import connection, transaction
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
from ml_pipeline.schema import FEATURE_NAMES, TARGET, schema_fingerprint
from survival import metrics, selectors
from survival.inference import (
    ModelUnavailableError,
    artifact_storage,
    load_pipeline,
)
from survival.models import GateRefusal, ModelActivation, ModelVersion, Prediction

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


def model_version_register(*, result: TrainingResult, activate: bool = False) -> ModelVersion:
    """Stores a training result's artifact and records it as the next version; with
    `activate`, then activates it through `model_version_activate` (the promotion gate
    included: a refusal raises PromotionRefusedError and leaves the version registered,
    inactive, for an admin to judge)."""
    version = _model_version_create(result=result)
    if activate:
        model_version_activate(version=version)
    return version


@transaction.atomic
def _model_version_create(*, result: TrainingResult) -> ModelVersion:
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
    return ModelVersion.objects.create(
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


# The permission that lets a user activate a version the promotion gate refuses.
OVERRIDE_PERMISSION = "survival.override_promotion_gate"

GATE_AUC_DROP = (
    "held-out ROC AUC {candidate:.3f} is {gap:.3f} below the active v{active}'s "
    "{reference:.3f}; the gate allows {allowed:.3f}"
)
GATE_BRIER_RISE = (
    "held-out Brier score {candidate:.3f} is {gap:.3f} above the active v{active}'s "
    "{reference:.3f}; the gate allows {allowed:.3f}"
)
GATE_AUC_FLOOR = "held-out ROC AUC {candidate:.3f} is below the gate's minimum of {limit:.3f}"
GATE_BRIER_CEILING = (
    "held-out Brier score {candidate:.3f} is above the gate's maximum of {limit:.3f}"
)
GATE_METRIC_MISSING = "held-out {label} is not recorded for v{version}, so the gate cannot judge it"
GATE_SCHEMA_MISMATCH = (
    "v{version} was trained on another feature schema (fingerprint {theirs:.12}…) than this "
    "code's ({ours:.12}…), so it can never be activated here, not even with an override; "
    "retrain it"
)
GATE_REFUSED = "the promotion gate refuses v{version}: {failures}."
OVERRIDE_NEEDS_PERMISSION = (
    "Overriding the gate needs the permission “Can activate a version the promotion gate "
    "refuses”, which {user} does not have."
)
OVERRIDE_NEEDS_REASON = "Overriding the gate needs a reason: the reason field is empty."
OVERRIDE_NOT_POSSIBLE = "No one may override a feature schema mismatch."
NOTHING_TO_ROLL_BACK = "There is nothing to roll back to: no other version has been active before."


@dataclass(frozen=True)
class GateFailure:
    """One rule of the promotion gate that a candidate version fails.

    Attributes:
        rule: which rule: "schema", "auc_drop", "brier_rise", "auc_floor", "brier_ceiling"
            or "metric_missing".
        message: the failure in words, with the numbers.
        overridable: whether a user with OVERRIDE_PERMISSION may activate the version anyway
            (never for a schema mismatch: the model would be fed the wrong inputs).
    """

    rule: str
    message: str
    overridable: bool = True

    def as_record(self) -> dict[str, Any]:
        return {"rule": self.rule, "message": self.message, "overridable": self.overridable}


class PromotionRefusedError(Exception):
    """The promotion gate refused an activation; nothing changed in production.

    Attributes:
        version: the refused version.
        failures: the rules it fails.
        problem: why an override, when asked for, was refused too ("" otherwise).
    """

    def __init__(self, *, version: ModelVersion, failures: list[GateFailure], problem: str = ""):
        self.version = version
        self.failures = failures
        self.problem = problem
        text = GATE_REFUSED.format(
            version=version.version, failures="; ".join(f.message for f in failures)
        )
        super().__init__(f"{text} {problem}".strip())

    @property
    def overridable(self) -> bool:
        return all(failure.overridable for failure in self.failures)


class NothingToRollBackError(LookupError):
    """No version other than the current one was ever active."""


def promotion_gate_check(
    *, candidate: ModelVersion, active: ModelVersion | None
) -> list[GateFailure]:
    """The rules of the promotion gate (settings.PROMOTION_GATE) that `candidate` fails.

    A version trained on another feature schema than the running code's always fails. Its
    held-out ROC AUC must reach `min_auc` and its Brier score stay under `max_brier`; when
    another version is active, it may also be at most `max_auc_drop` below that version's
    ROC AUC and at most `max_brier_rise` above its Brier score. The held-out numbers are the
    ones the pipeline measured; a metric the active version lacks is not compared.
    """
    gate = settings.PROMOTION_GATE
    ours = schema_fingerprint()
    if candidate.schema_fingerprint != ours:
        message = GATE_SCHEMA_MISMATCH.format(
            version=candidate.version, theirs=candidate.schema_fingerprint or "none", ours=ours
        )
        # Nothing else matters: the version's numbers describe a model of other inputs.
        return [GateFailure(rule="schema", message=message, overridable=False)]

    failures: list[GateFailure] = []
    auc = candidate.metric("holdout", "roc_auc")
    brier = candidate.metric("holdout", "brier")
    for value, label in ((auc, "ROC AUC"), (brier, "Brier score")):
        if value is None:
            message = GATE_METRIC_MISSING.format(label=label, version=candidate.version)
            failures.append(GateFailure(rule="metric_missing", message=message))
    if auc is not None and auc < gate["min_auc"]:
        message = GATE_AUC_FLOOR.format(candidate=auc, limit=gate["min_auc"])
        failures.append(GateFailure(rule="auc_floor", message=message))
    if brier is not None and brier > gate["max_brier"]:
        message = GATE_BRIER_CEILING.format(candidate=brier, limit=gate["max_brier"])
        failures.append(GateFailure(rule="brier_ceiling", message=message))
    if active is None or active.pk == candidate.pk:
        return failures

    active_auc = active.metric("holdout", "roc_auc")
    active_brier = active.metric("holdout", "brier")
    # Rounded so that a difference printed as 0.020 is never refused for "exceeding" 0.020.
    if auc is not None and active_auc is not None:
        drop = round(active_auc - auc, 9)
        if drop > gate["max_auc_drop"]:
            message = GATE_AUC_DROP.format(
                candidate=auc,
                gap=drop,
                active=active.version,
                reference=active_auc,
                allowed=gate["max_auc_drop"],
            )
            failures.append(GateFailure(rule="auc_drop", message=message))
    if brier is not None and active_brier is not None:
        rise = round(brier - active_brier, 9)
        if rise > gate["max_brier_rise"]:
            message = GATE_BRIER_RISE.format(
                candidate=brier,
                gap=rise,
                active=active.version,
                reference=active_brier,
                allowed=gate["max_brier_rise"],
            )
            failures.append(GateFailure(rule="brier_rise", message=message))
    return failures


def _override_problem(
    *, failures: list[GateFailure], by: AbstractBaseUser | None, reason: str
) -> str:
    """Why an override of these failures is not allowed, or "" when it is."""
    if not all(failure.overridable for failure in failures):
        return OVERRIDE_NOT_POSSIBLE
    # by=None is the system itself (a command run on the server), trusted like a superuser.
    if by is not None and not by.has_perm(OVERRIDE_PERMISSION):
        return OVERRIDE_NEEDS_PERMISSION.format(user=by.get_username())
    if not reason.strip():
        return OVERRIDE_NEEDS_REASON
    return ""


def model_version_activate(
    *,
    version: ModelVersion,
    by: AbstractBaseUser | None = None,
    reason: str = "",
    override_gate: bool = False,
    rollback: bool = False,
) -> ModelVersion:
    """Makes `version` the only active one, in one transaction, and records the change
    (who, when, from which version, why) as a ModelActivation.

    The artifact is verified and loaded first, so a version whose file is missing, altered
    or made by another scikit-learn is refused (ModelUnavailableError with the reason, also
    recorded on the version) and the active version stays as it was. Then the promotion gate
    compares it with the version active at that moment (`promotion_gate_check`): a refusal
    raises PromotionRefusedError with the failing numbers and is recorded as a GateRefusal.
    With `override_gate`, a user holding OVERRIDE_PERMISSION (or the system, by=None) who
    gives a reason activates it anyway, and the record says the gate was overridden; a
    schema mismatch is never overridden. Activating the active version is allowed; it is
    recorded too and changes nothing but `activated_at`.
    """
    load_pipeline(version, recheck=True)
    refusal: PromotionRefusedError | None = None
    with transaction.atomic():
        previous = _lock_registry()
        failures = promotion_gate_check(candidate=version, active=previous)
        problem = ""
        if failures:
            problem = (
                _override_problem(failures=failures, by=by, reason=reason) if override_gate else ""
            )
            if not override_gate or problem:
                refusal = PromotionRefusedError(version=version, failures=failures, problem=problem)
        if refusal is None:
            now = timezone.now()
            if previous is not None and previous.pk != version.pk:
                ModelVersion.objects.filter(pk=previous.pk).update(is_active=False)
            # A promoted challenger stops shadowing: it now answers.
            ModelVersion.objects.filter(pk=version.pk).update(
                is_active=True, activated_at=now, is_challenger=False
            )
            ModelActivation.objects.create(
                from_version=previous,
                to_version=version,
                by=by,
                at=now,
                reason=reason,
                rollback=rollback,
                gate_overridden=bool(failures),
                gate_failures=[failure.as_record() for failure in failures],
            )
    if refusal is not None:
        # Written after the registry's transaction, which changed nothing.
        GateRefusal.objects.create(
            candidate=version,
            active=previous,
            by=by,
            at=timezone.now(),
            reason=reason,
            override_requested=override_gate,
            failures=[failure.as_record() for failure in refusal.failures],
        )
        metrics.GATE_REFUSALS.inc()
        logger.warning("activation of v%s refused: %s", version.version, refusal)
        raise refusal
    version.refresh_from_db()
    if failures:
        logger.warning(
            "model version %s activated by %s over the promotion gate: %s",
            version.version,
            by or "the system",
            "; ".join(failure.message for failure in failures),
        )
    else:
        logger.info("model version %s activated by %s", version.version, by or "the system")
    return version


def model_version_rollback(
    *, by: AbstractBaseUser | None = None, reason: str = "", override_gate: bool = False
) -> ModelVersion:
    """Re-activates the version that was active before the current one
    (`selectors.model_version_previous`), as one activation recorded like any other.

    A rollback goes through the promotion gate like any activation: the earlier version
    was good enough once, but the gate's margins may have changed since, and an override
    stays a deliberate, recorded choice. Raises NothingToRollBackError when no other version
    has ever been active, and whatever `model_version_activate` raises.
    """
    target = selectors.model_version_previous()
    if target is None:
        raise NothingToRollBackError(NOTHING_TO_ROLL_BACK)
    return model_version_activate(
        version=target, by=by, reason=reason, override_gate=override_gate, rollback=True
    )


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
    serving = selectors.model_versions_serving(number=version_number)
    version = serving.answering
    pipeline = load_pipeline(version)
    inputs = [{name: passenger[name] for name in FEATURE_NAMES} for passenger in passengers]
    if not inputs:
        return []
    if with_explanations:
        explained = explain_many(pipeline, inputs, version.reference_passenger)
    else:
        probabilities = survival_probabilities(pipeline, inputs)
        explained = [(float(probability), []) for probability in probabilities]
    challenger = _challenger_probabilities(
        champion=version, challenger=serving.challenger, inputs=inputs
    )
    now = timezone.now()
    logged = [
        Prediction(
            model_version=version,
            inputs=passenger_inputs,
            probability=probability,
            survived=probability >= THRESHOLD,
            channel=channel,
            created_at=now,
            challenger=challenger.version,
            challenger_probability=challenger_probability,
        )
        for passenger_inputs, (probability, _), challenger_probability in zip(
            inputs, explained, challenger.probabilities, strict=True
        )
    ]
    _insert_predictions(logged)
    metrics.count_predictions(version=version.version, channel=channel, count=len(logged))
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


# The prediction log's columns that one insert writes (the outcome comes later, by feedback).
_LOGGED_FIELDS = tuple(
    Prediction._meta.get_field(name)
    for name in (
        "model_version",
        "inputs",
        "probability",
        "survived",
        "channel",
        "created_at",
        "challenger",
        "challenger_probability",
    )
)
_INSERT_PREDICTIONS = (
    f"INSERT INTO {Prediction._meta.db_table} "
    f"({', '.join(field.column for field in _LOGGED_FIELDS)}) VALUES {{rows}} "
    f"RETURNING {Prediction._meta.pk.column}"
)
_PREDICTION_ROW = "(" + ", ".join(["%s"] * len(_LOGGED_FIELDS)) + ")"


def _insert_predictions(predictions: list[Prediction]) -> None:
    """Writes the predictions with one INSERT … RETURNING and sets their ids.

    Every answered prediction is logged before its answer leaves, so none is lost. One
    statement, without the ORM's bulk_create: building that insert took longer than the
    model's answer on the hot path. Each value is still prepared by its own model field for
    the database in use (JSON, datetimes, booleans), as the ORM would.
    """
    sql = _INSERT_PREDICTIONS.format(rows=", ".join([_PREDICTION_ROW] * len(predictions)))
    params = [
        field.get_db_prep_save(getattr(prediction, field.attname), connection)
        for prediction in predictions
        for field in _LOGGED_FIELDS
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        ids = [pk for (pk,) in cursor.fetchall()]
    # Both SQLite and PostgreSQL return the rows of a multi-row VALUES in their order (the
    # ORM's bulk_create relies on the same).
    for prediction, pk in zip(predictions, ids, strict=True):
        prediction.pk = pk


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
    *,
    champion: ModelVersion,
    challenger: ModelVersion | None,
    inputs: Sequence[Mapping[str, Any]],
) -> ChallengerScores:
    """The challenger's probabilities for the passengers' own rows (no explanation rows), in
    one model call. A challenger that cannot load or score costs the visitor nothing: a
    warning is logged and its columns stay empty."""
    nothing = ChallengerScores(version=None, probabilities=[None] * len(inputs))
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
