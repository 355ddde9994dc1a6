"""Why a passenger got their probability, honestly for any kind of model.

For each input, the passenger's probability is compared with the probability when only
that input is replaced by the training data's typical value (see
`training.typical_passenger`). The difference, in percentage points, is how much that input
pushed this passenger's probability up (positive) or down (negative) relative to a typical
passenger. The passenger and all the substitutions are scored in one batched model call.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ml_pipeline.schema import FEATURES, FEATURES_BY_NAME, to_frame

# Inputs moving the probability by less than this many points are not worth showing.
NEGLIGIBLE_POINTS = 0.5


@dataclass(frozen=True)
class Contribution:
    """One input's push on the probability.

    Attributes:
        feature: the schema name.
        label: its human label.
        value: the passenger's value, in words ("Female", "3rd class (lower)", "8").
        points: signed change in percentage points compared with the typical value.
    """

    feature: str
    label: str
    value: str
    points: float

    @property
    def direction(self) -> str:
        return "raised" if self.points > 0 else "lowered"

    @property
    def signed_points(self) -> str:
        """ "+12.3" or "−4.5" (with a real minus sign), one decimal."""
        return f"{self.points:+.1f}".replace("-", "\u2212")

    @property
    def size(self) -> str:
        return f"{abs(self.points):.1f}"


def describe_value(feature_name: str, value: Any) -> str:
    """A value as a person reads it: the choice's label, or the number without ".0"."""
    feature = FEATURES_BY_NAME[feature_name]
    for choice, label in feature.choices:
        if str(choice) == str(value):
            return label
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def explain(
    pipeline: Any, passenger: Mapping[str, Any], reference: Mapping[str, Any]
) -> tuple[float, list[Contribution]]:
    """The passenger's probability and every input's contribution, largest push first."""
    return explain_many(pipeline, [passenger], reference)[0]


def explain_many(
    pipeline: Any, passengers: Sequence[Mapping[str, Any]], reference: Mapping[str, Any]
) -> list[tuple[float, list[Contribution]]]:
    """`explain` for many passengers, still in one model call: each passenger's row is
    followed by its substitution rows, and the stacked table is scored at once."""
    rows: list[dict[str, Any]] = []
    for passenger in passengers:
        rows.append(dict(passenger))
        for feature in FEATURES:
            rows.append({**passenger, feature.name: reference[feature.name]})
    probabilities = survival_probabilities(pipeline, rows) if rows else []
    block = len(FEATURES) + 1
    explained = []
    for position, passenger in enumerate(passengers):
        scores = probabilities[position * block : (position + 1) * block]
        probability = float(scores[0])
        contributions = [
            Contribution(
                feature=feature.name,
                label=feature.label,
                value=describe_value(feature.name, passenger[feature.name]),
                points=(probability - float(substituted)) * 100,
            )
            for feature, substituted in zip(FEATURES, scores[1:], strict=True)
        ]
        contributions.sort(key=lambda c: abs(c.points), reverse=True)
        explained.append((probability, contributions))
    return explained


def survival_probabilities(pipeline: Any, passengers: Sequence[Mapping[str, Any]]) -> Any:
    """P(survived) for each passenger, in one model call.

    A prepared pipeline (as survival.registry.artifacts loads them) answers without building
    a pandas frame, with the same numbers; a plain fitted pipeline gets the schema frame.
    """
    quick = getattr(pipeline, "survival_probabilities", None)
    if quick is not None:
        return quick(passengers)
    return pipeline.predict_proba(to_frame(passengers))[:, 1]


def top_contributions(contributions: list[Contribution], *, limit: int = 4) -> list[Contribution]:
    """The few inputs that mattered most (at most `limit`, none that barely mattered)."""
    return [c for c in contributions if abs(c.points) >= NEGLIGIBLE_POINTS][:limit]
