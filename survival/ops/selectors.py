"""Reads for the operations page, from the prediction log: per version, how many predictions
it answered and how much feedback came back, per day, and how right and how well calibrated
its logged predictions were where the true outcome was reported. Every number is counted by
the database (TruncDate, Count, Avg); nothing is sampled or estimated."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Avg, Case, Count, ExpressionWrapper, F, FloatField, Max, Min, Q, When
from django.db.models.functions import TruncDate
from django.utils import timezone

from survival.models import ModelVersion, Prediction

# The reliability curve's bins: equal widths of predicted probability, [0, 0.1) … [0.9, 1].
RELIABILITY_BINS = 10


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _totals(prefix: str = "") -> dict[str, Count | Avg | Max | Min]:
    """The aggregates of a version's logged predictions; `prefix` reaches them through a
    relation ("predictions__" from ModelVersion)."""
    has_outcome = Q(**{f"{prefix}outcome__isnull": False})
    # A verdict is right when it says "survived" and the passenger did, or "died" and they did.
    right = Q(**{f"{prefix}survived": True, f"{prefix}outcome": 1}) | Q(
        **{f"{prefix}survived": False, f"{prefix}outcome": 0}
    )
    # (p − y)², written as a product: SQLite has no POWER without an extension.
    difference = F(f"{prefix}probability") - F(f"{prefix}outcome")
    squared_error = ExpressionWrapper(difference * difference, output_field=FloatField())
    return {
        "predictions": Count(f"{prefix}pk"),
        "with_feedback": Count(f"{prefix}pk", filter=has_outcome),
        "right": Count(f"{prefix}pk", filter=right),
        "brier": Avg(squared_error, filter=has_outcome),
        "first_at": Min(f"{prefix}created_at"),
        "last_at": Max(f"{prefix}created_at"),
    }


@dataclass(frozen=True)
class VersionActivity:
    """What a version's logged predictions add up to, since it first answered.

    Attributes:
        version: the model version.
        predictions: predictions it answered and logged (page, API, batch rows).
        with_feedback: how many of them have a reported outcome.
        right: of those, how many verdicts (probability ≥ 0.5 means "survived") were right.
        brier: mean of (probability − outcome)² on the predictions with feedback.
        first_at, last_at: when it answered its first and its latest logged prediction.
    """

    version: ModelVersion
    predictions: int
    with_feedback: int
    right: int
    brier: float | None
    first_at: datetime | None
    last_at: datetime | None

    @property
    def accuracy(self) -> float | None:
        """Share of right verdicts among the predictions with feedback."""
        return _ratio(self.right, self.with_feedback)

    @property
    def feedback_rate(self) -> float | None:
        """Share of the predictions whose outcome was reported."""
        return _ratio(self.with_feedback, self.predictions)


def ops_versions_activity() -> list[VersionActivity]:
    """Every registered version, newest first, with its logged predictions' totals (zeros
    for a version that answered none); one query."""
    # Prefixed: "predictions" is already the name of the relation on ModelVersion.
    totals = {f"live_{name}": value for name, value in _totals("predictions__").items()}
    versions = ModelVersion.objects.annotate(**totals).order_by("-version")
    return [
        VersionActivity(
            version=version,
            **{name: getattr(version, f"live_{name}") for name in _totals()},
        )
        for version in versions
    ]


def ops_version_activity(*, version: ModelVersion) -> VersionActivity:
    """One version's totals (see VersionActivity); one query."""
    totals = Prediction.objects.filter(model_version=version).aggregate(**_totals())
    return VersionActivity(version=version, **totals)


@dataclass(frozen=True)
class DayActivity:
    """One calendar day (in the site's time zone) of a version's logged predictions.

    Attributes:
        day: the day.
        predictions: predictions it answered that day.
        feedback_received: outcomes reported that day, for its predictions of any day.
        with_feedback: of the predictions answered that day, how many have an outcome by now.
        right: of those, how many verdicts were right.
    """

    day: date
    predictions: int
    feedback_received: int
    with_feedback: int
    right: int

    @property
    def accuracy(self) -> float | None:
        """Share of right verdicts among that day's predictions that have feedback."""
        return _ratio(self.right, self.with_feedback)


def ops_version_daily(
    *, version: ModelVersion, days: int, today: date | None = None
) -> list[DayActivity]:
    """The last `days` days up to `today` (default: today in the site's time zone), oldest
    first, one entry per day, days without predictions or feedback included with zeros;
    two grouped queries (by the day a prediction was answered, and by the day its outcome
    was reported)."""
    last_day = today or timezone.localdate()
    first_day = last_day - timedelta(days=days - 1)
    rows = Prediction.objects.filter(model_version=version)
    totals = _totals()
    answered = {
        row["day"]: row
        for row in rows.annotate(day=TruncDate("created_at"))
        .filter(day__range=(first_day, last_day))
        .values("day")
        .annotate(
            predictions=totals["predictions"],
            with_feedback=totals["with_feedback"],
            right=totals["right"],
        )
    }
    reported = dict(
        rows.filter(outcome_at__isnull=False)
        .annotate(day=TruncDate("outcome_at"))
        .filter(day__range=(first_day, last_day))
        .values("day")
        .annotate(received=Count("pk"))
        .values_list("day", "received")
    )
    activity = []
    for offset in range(days):
        day = first_day + timedelta(days=offset)
        row = answered.get(day, {"predictions": 0, "with_feedback": 0, "right": 0})
        activity.append(
            DayActivity(
                day=day,
                predictions=row["predictions"],
                feedback_received=reported.get(day, 0),
                with_feedback=row["with_feedback"],
                right=row["right"],
            )
        )
    return activity


@dataclass(frozen=True)
class ReliabilityBin:
    """The predictions with feedback whose predicted probability fell in [lower, upper)
    (the last bin includes 1).

    Attributes:
        lower, upper: the bin's bounds.
        predictions: predictions with feedback in the bin.
        survivors: how many of those passengers survived, as reported.
        mean_probability: their mean predicted probability (None when the bin is empty).
    """

    lower: float
    upper: float
    predictions: int
    survivors: int
    mean_probability: float | None

    @property
    def observed_rate(self) -> float | None:
        """Share of the bin's passengers who survived: for a calibrated model, close to
        the mean predicted probability."""
        return _ratio(self.survivors, self.predictions)


def ops_version_reliability(
    *, version: ModelVersion, bins: int = RELIABILITY_BINS
) -> list[ReliabilityBin]:
    """The reliability curve of a version's logged predictions against their feedback:
    `bins` equal-width bins of predicted probability, each with its count, mean predicted
    probability and observed survival rate (empty bins included); one grouped query."""
    # The first bin whose upper bound is above the probability; 1.0 falls in the last one.
    bin_of = Case(
        *(When(probability__lt=(index + 1) / bins, then=index) for index in range(bins - 1)),
        default=bins - 1,
    )
    grouped = {
        row["bin"]: row
        for row in Prediction.objects.filter(model_version=version, outcome__isnull=False)
        .annotate(bin=bin_of)
        .values("bin")
        .annotate(
            predictions=Count("pk"),
            survivors=Count("pk", filter=Q(outcome=1)),
            mean_probability=Avg("probability"),
        )
    }
    result = []
    for index in range(bins):
        row = grouped.get(index, {"predictions": 0, "survivors": 0, "mean_probability": None})
        result.append(
            ReliabilityBin(
                lower=index / bins,
                upper=(index + 1) / bins,
                predictions=row["predictions"],
                survivors=row["survivors"],
                mean_probability=row["mean_probability"],
            )
        )
    return result
