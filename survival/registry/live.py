"""How versions do in service, read from the prediction log: each version's live numbers
and a challenger's comparison with the versions it shadowed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Avg, Count, ExpressionWrapper, F, FloatField, Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from ml_pipeline.constants import THRESHOLD
from survival.models import ModelVersion, Prediction

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
