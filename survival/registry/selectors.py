"""Reads from the registry."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.db import connection
from django.db.models import Avg, Count, ExpressionWrapper, F, FloatField, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone

from ml_pipeline.constants import THRESHOLD
from survival.inference import MODEL_UNAVAILABLE, ModelUnavailableError, registered_version
from survival.models import ModelActivation, ModelVersion, Prediction

VERSION_NOT_FOUND = "There is no model version {number}."


class ModelVersionNotFoundError(LookupError):
    """A version number that was asked for does not exist."""


def model_version_get_active() -> ModelVersion | None:
    """The version answering predictions, or None. One indexed query, asked on every request
    so that an activation reaches every worker on its next request."""
    return ModelVersion.objects.filter(is_active=True).first()


@dataclass(frozen=True)
class ServingVersions:
    """The versions a prediction involves.

    Attributes:
        answering: the version that answers (the active one, or the one asked for).
        challenger: the version shadowing the active one, or None.
    """

    answering: ModelVersion
    challenger: ModelVersion | None


def model_versions_serving(*, number: int | None = None) -> ServingVersions:
    """The answering version (as `model_version_resolve`) and the challenger.

    This runs on every prediction, so that an activation or a new challenger reaches every
    worker on its next request. It is one SQL statement reading five small columns: building
    the same query with the ORM took longer than the model's answer. The rest of a version's
    row never changes after registration and is read once per process
    (`inference.registered_version`).

    Raises ModelVersionNotFoundError / ModelUnavailableError like `model_version_resolve`.
    """
    with connection.cursor() as cursor:
        if number is None:
            cursor.execute(_SERVING_SQL.format(which="is_active"), [True, True])
        else:
            cursor.execute(_SERVING_SQL.format(which="version"), [number, True])
        rows = cursor.fetchall()
    versions = [
        registered_version(
            pk=pk,
            sha256=sha256,
            is_active=bool(is_active),
            is_challenger=bool(is_challenger),
            broken_reason=broken_reason,
        )
        for pk, sha256, is_active, is_challenger, broken_reason in rows
    ]
    challenger = next((version for version in versions if version.is_challenger), None)
    if number is not None:
        answering = next((v for v in versions if v.version == number), None)
        if answering is None:
            raise ModelVersionNotFoundError(VERSION_NOT_FOUND.format(number=number))
    else:
        answering = next((version for version in versions if version.is_active), None)
        if answering is None:
            raise ModelUnavailableError(MODEL_UNAVAILABLE)
    return ServingVersions(answering=answering, challenger=challenger)


# The answering version (the active one, or the one with that number) and the challenger.
_SERVING_SQL = (
    "SELECT id, artifact_sha256, is_active, is_challenger, broken_reason "
    f"FROM {ModelVersion._meta.db_table} WHERE {{which}} = %s OR is_challenger = %s"
)


def model_version_get_challenger() -> ModelVersion | None:
    """The version shadowing the active one, or None. (Predictions read it together with
    the answering version: `model_versions_serving`.)"""
    return ModelVersion.objects.filter(is_challenger=True).first()


def model_version_list() -> QuerySet[ModelVersion]:
    return ModelVersion.objects.all()


def model_version_get(*, number: int) -> ModelVersion | None:
    """A version by its number (1, 2, …), or None."""
    return ModelVersion.objects.filter(version=number).first()


def model_version_resolve(*, number: int | None = None) -> ModelVersion:
    """The version to answer with: the one asked for by number, else the active one.

    Raises ModelVersionNotFoundError for an unknown number and ModelUnavailableError when
    none is asked for and none is active.
    """
    if number is not None:
        version = model_version_get(number=number)
        if version is None:
            raise ModelVersionNotFoundError(VERSION_NOT_FOUND.format(number=number))
        return version
    version = model_version_get_active()
    if version is None:
        raise ModelUnavailableError(MODEL_UNAVAILABLE)
    return version


def model_version_previous() -> ModelVersion | None:
    """The version that was active before the current one: the latest one any recorded
    change made active, other than the version active now (with none active, the last one
    that was). None when there is no such version.

    Rolling back twice therefore goes back and forth between the same two versions, as the
    record reads: each rollback makes the version it replaced "the one before".
    """
    active = ModelVersion.objects.filter(is_active=True).values_list("pk", flat=True).first()
    records = ModelActivation.objects.filter(to_version__isnull=False)
    if active is not None:
        records = records.exclude(to_version_id=active)
    record = records.select_related("to_version").first()
    return record.to_version if record is not None else None


# --- how versions do in service ---------------------------------------------------------

# A verdict agrees with the outcome when both say "survived" or both say "died".
_CHAMPION_RIGHT = Q(survived=True, outcome=1) | Q(survived=False, outcome=0)
_CHALLENGER_RIGHT = Q(challenger_probability__gte=THRESHOLD, outcome=1) | Q(
    challenger_probability__lt=THRESHOLD, outcome=0
)
_DISAGREE = Q(survived=True, challenger_probability__lt=THRESHOLD) | Q(
    survived=False, challenger_probability__gte=THRESHOLD
)
_HAS_OUTCOME = Q(outcome__isnull=False)


def _squared_error(probability: str) -> ExpressionWrapper:
    # (p − y)² per row; averaged over the rows with an outcome it is the Brier score. Written
    # as a product because SQLite has no POWER without an extension.
    difference = F(probability) - F("outcome")
    return ExpressionWrapper(difference * difference, output_field=FloatField())


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


@dataclass(frozen=True)
class DailyRate:
    """One day's predictions by a version.

    Attributes:
        day: the calendar day (in the site's time zone).
        predictions: predictions answered that day.
        predicted_survivors: how many of them said "survived".
    """

    day: date
    predictions: int
    predicted_survivors: int

    @property
    def survival_rate(self) -> float | None:
        return _ratio(self.predicted_survivors, self.predictions)


@dataclass(frozen=True)
class LiveStats:
    """How a version has done since it started answering.

    Attributes:
        predictions: predictions it answered (every channel).
        with_feedback: how many of those have a reported outcome.
        accuracy: share of verdicts equal to the outcome, on the rows with feedback.
        brier: mean of (probability − outcome)², on the rows with feedback.
        daily: the last days, oldest first, one entry per day (days without predictions
            have zero).
    """

    predictions: int
    with_feedback: int
    accuracy: float | None
    brier: float | None
    daily: list[DailyRate]


def version_live_stats(*, version: ModelVersion, days: int = 14) -> LiveStats:
    """Counts, live accuracy and Brier score, and the predicted survival rate per day over
    the last `days` days (today included), each computed by the database (two queries)."""
    rows = Prediction.objects.filter(model_version=version)
    totals = rows.aggregate(
        predictions=Count("pk"),
        with_feedback=Count("pk", filter=_HAS_OUTCOME),
        right=Count("pk", filter=_CHAMPION_RIGHT),
        brier=Avg(_squared_error("probability"), filter=_HAS_OUTCOME),
    )
    today = timezone.localdate()
    first_day = today - timedelta(days=days - 1)
    per_day = {
        row["day"]: row
        for row in rows.annotate(day=TruncDate("created_at"))
        .filter(day__gte=first_day)
        .values("day")
        .annotate(predictions=Count("pk"), survivors=Count("pk", filter=Q(survived=True)))
    }
    daily = []
    for offset in range(days):
        day = first_day + timedelta(days=offset)
        row = per_day.get(day, {"predictions": 0, "survivors": 0})
        daily.append(
            DailyRate(day=day, predictions=row["predictions"], predicted_survivors=row["survivors"])
        )
    return LiveStats(
        predictions=totals["predictions"],
        with_feedback=totals["with_feedback"],
        accuracy=_ratio(totals["right"], totals["with_feedback"]),
        brier=totals["brier"],
        daily=daily,
    )


@dataclass(frozen=True)
class ChallengerComparison:
    """A challenger against the versions that answered while it shadowed them, over the
    predictions both scored.

    Attributes:
        scored: predictions scored by both.
        disagreements: how many got different verdicts (at the 0.5 threshold).
        with_feedback: how many of the scored ones have a reported outcome.
        champion_accuracy, champion_brier: the answering versions on those rows.
        challenger_accuracy, challenger_brier: the challenger on the same rows.
        disagreements_with_feedback: disagreements whose outcome is known; on each, exactly
            one of the two was right.
        champion_right_when_disagreeing: of those, how many the answering version got right
            (the challenger got the rest right).
    """

    scored: int
    disagreements: int
    with_feedback: int
    champion_accuracy: float | None
    champion_brier: float | None
    challenger_accuracy: float | None
    challenger_brier: float | None
    disagreements_with_feedback: int
    champion_right_when_disagreeing: int

    @property
    def disagreement_rate(self) -> float | None:
        return _ratio(self.disagreements, self.scored)

    @property
    def challenger_right_when_disagreeing(self) -> int:
        return self.disagreements_with_feedback - self.champion_right_when_disagreeing


def challenger_comparison(*, challenger: ModelVersion) -> ChallengerComparison:
    """How often `challenger` and the answering version disagreed, and which was right where
    feedback exists; one aggregate query over the predictions it scored."""
    both = Prediction.objects.filter(challenger=challenger, challenger_probability__isnull=False)
    numbers = both.aggregate(
        scored=Count("pk"),
        disagreements=Count("pk", filter=_DISAGREE),
        with_feedback=Count("pk", filter=_HAS_OUTCOME),
        champion_right=Count("pk", filter=_CHAMPION_RIGHT),
        challenger_right=Count("pk", filter=_CHALLENGER_RIGHT),
        champion_brier=Avg(_squared_error("probability"), filter=_HAS_OUTCOME),
        challenger_brier=Avg(_squared_error("challenger_probability"), filter=_HAS_OUTCOME),
        disagreements_with_feedback=Count("pk", filter=_DISAGREE & _HAS_OUTCOME),
        champion_right_when_disagreeing=Count("pk", filter=_DISAGREE & _CHAMPION_RIGHT),
    )
    return ChallengerComparison(
        scored=numbers["scored"],
        disagreements=numbers["disagreements"],
        with_feedback=numbers["with_feedback"],
        champion_accuracy=_ratio(numbers["champion_right"], numbers["with_feedback"]),
        champion_brier=numbers["champion_brier"],
        challenger_accuracy=_ratio(numbers["challenger_right"], numbers["with_feedback"]),
        challenger_brier=numbers["challenger_brier"],
        disagreements_with_feedback=numbers["disagreements_with_feedback"],
        champion_right_when_disagreeing=numbers["champion_right_when_disagreeing"],
    )
