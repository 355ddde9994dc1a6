"""What the visitor's page says around a probability: the verdict in words, the base rate,
how the real passengers like this one fared, and what the answering model learned from.

The verdict is graded by the probability shown (to one decimal), never a bare yes or no:

    70% or more        "Likely to survive"
    30% up to 70%      "Uncertain: could go either way"
    under 30%          "Unlikely to survive"

A model that is right four times in five can still be wrong about any one person; near 50%
it is saying it does not know, and the page says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from ml_pipeline.context import passengers_like, typical_fares
from survival.models import ModelVersion
from survival.pages import TemplateFields


@dataclass(frozen=True)
class Verdict(TemplateFields):
    """One band of probabilities and how the page words and marks it.

    Attributes:
        key: "likely", "uncertain" or "unlikely" (the card's style hook).
        words: what the visitor reads.
        symbol: a mark that repeats the band without colour (✓, ?, ✗).
        lowest: the band's lowest percentage shown.
    """

    key: str
    words: str
    symbol: str
    lowest: float


VERDICTS: tuple[Verdict, ...] = (
    Verdict(key="likely", words="Likely to survive", symbol="✓", lowest=70.0),
    Verdict(key="uncertain", words="Uncertain: could go either way", symbol="?", lowest=30.0),
    Verdict(key="unlikely", words="Unlikely to survive", symbol="✗", lowest=0.0),
)


def verdict_for(*, probability: float) -> Verdict:
    """The band of a probability (0–1), judged on the percentage as the page shows it, so
    "70.0%" never reads "uncertain"."""
    shown = round(probability * 100, 1)
    return next(verdict for verdict in VERDICTS if shown >= verdict.lowest)


@dataclass(frozen=True)
class Likeness(TemplateFields):
    """How the real passengers of a class, sex and age band fared.

    Attributes:
        description: who they are, e.g. "1st-class female passengers aged 30 to 44".
        passengers, survived: their number in the data file, and how many survived.
    """

    description: str
    passengers: int
    survived: int

    @property
    def percentage(self) -> float | None:
        return self.survived / self.passengers * 100 if self.passengers else None

    @property
    def percentage_text(self) -> str:
        """The percentage as the card prints it: whole, rounded half up."""
        percentage = self.percentage
        return half_up_text(percentage, places=0) if percentage is not None else ""


@dataclass(frozen=True)
class TrainingFacts(TemplateFields):
    """What the page says of the data a version learned from (None for a version registered
    before this was recorded: the page then leaves these sentences out).

    Attributes:
        passengers, survived: rows of the data file and how many survived.
        fitted_rows: how many of them the model was fitted on.
    """

    passengers: int
    survived: int
    fitted_rows: int

    @property
    def base_rate(self) -> float:
        return self.survived / self.passengers * 100


def half_up_text(value: float, *, places: int) -> str:
    """A non-negative number to `places` decimals, rounded half up from its shortest decimal
    form: what the `floatformat` filter prints, without its cost on every preview."""
    return str(Decimal(repr(value)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))


CLASS_WORDS = {1: "1st-class", 2: "2nd-class", 3: "3rd-class"}


def training_facts(*, version: ModelVersion | None) -> TrainingFacts | None:
    context = version.training_context if version is not None else {}
    if not context.get("passengers"):
        return None
    return TrainingFacts(
        passengers=context["passengers"],
        survived=context["survived"],
        fitted_rows=context.get("fitted_rows", context["passengers"]),
    )


def version_typical_fares(*, version: ModelVersion | None) -> dict[int, float]:
    """{ticket class: median fare} in the version's training data; empty when unknown."""
    return typical_fares(version.training_context) if version is not None else {}


def passengers_like_this_one(
    *, version: ModelVersion, passenger: dict[str, Any]
) -> Likeness | None:
    """The passengers of the data file who share this passenger's class, sex and age band."""
    group = passengers_like(
        version.training_context,
        pclass=passenger["pclass"],
        sex=passenger["sex"],
        age=passenger["age"],
    )
    if group is None:
        return None
    return Likeness(
        description=(
            f"{CLASS_WORDS[group.pclass]} {group.sex} passengers aged {group.age_band}"
            if group.age_band[0].isdigit()
            else f"{CLASS_WORDS[group.pclass]} {group.sex} passengers {group.age_band}"
        ),
        passengers=group.passengers,
        survived=group.survived,
    )
