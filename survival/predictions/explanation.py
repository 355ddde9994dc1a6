"""What the page shows of an explanation: the baseline, the largest pushes, the other inputs
lumped into one line, and the passenger's probability, rounded so that the printed numbers
add up.

Each number is printed to one decimal, the probability as the result card rounds it (half
up, as the `floatformat` filter does). The baseline and the largest pushes are rounded on
their own; "Other inputs" is what remains of the printed probability, so the printed lines
add up exactly and each differs from its unrounded value by less than a quarter of a point.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from ml_pipeline.explain import Contribution
from survival.pages import TemplateFields

# The most pushes shown one by one; the other inputs are lumped together.
SHOWN_PUSHES = 3
# A push smaller than this many points is not worth a line of its own.
NEGLIGIBLE_POINTS = 0.5
OTHER_INPUTS = "other"


@dataclass(frozen=True)
class ShownLine(TemplateFields):
    """One line between the baseline and the passenger's probability.

    Attributes:
        feature: the input's schema name, or "other" for the lumped line.
        label: what the line is about ("Sex: Female", "Other inputs").
        tenths: the printed push, in tenths of a percentage point (signed).
        inputs: for the lumped line, the labels of the inputs it holds.
    """

    feature: str
    label: str
    tenths: int
    inputs: tuple[str, ...] = ()

    @property
    def signed(self) -> str:
        """ "+12.3", "−4.5" (with a real minus sign) or "0.0"."""
        if self.tenths == 0:
            return "0.0"
        sign = "+" if self.tenths > 0 else "\u2212"
        return f"{sign}{tenths_text(abs(self.tenths))}"

    @property
    def direction(self) -> str:
        """ "raises", "lowers" or "keeps": a class name, and the arrow beside the number."""
        if self.tenths == 0:
            return "keeps"
        return "raises" if self.tenths > 0 else "lowers"

    @property
    def sentence(self) -> str:
        """The line's push in words, for screen readers."""
        if self.tenths == 0:
            return "changed the probability by less than 0.1 percentage points"
        verb = "raised" if self.tenths > 0 else "lowered"
        return f"{verb} the probability by {tenths_text(abs(self.tenths))} percentage points"


@dataclass(frozen=True)
class ShownExplanation(TemplateFields):
    """Baseline, lines and probability as printed, in tenths of a point.

    Attributes:
        background_size: how many training passengers the baseline averages over; 1 for a
            version that explains against its typical passenger alone.
    """

    baseline_tenths: int
    lines: list[ShownLine]
    probability_tenths: int
    background_size: int

    @property
    def baseline_label(self) -> str:
        return "An average passenger" if self.background_size > 1 else "A typical passenger"

    @property
    def baseline_text(self) -> str:
        return tenths_text(self.baseline_tenths)

    @property
    def probability_text(self) -> str:
        return tenths_text(self.probability_tenths)


def shown_explanation(
    *,
    probability: float,
    baseline: float,
    contributions: Sequence[Contribution],
    background_size: int,
) -> ShownExplanation:
    """The explanation as the page prints it (`contributions` largest push first)."""
    shown = [c for c in contributions if abs(c.points) >= NEGLIGIBLE_POINTS][:SHOWN_PUSHES]
    lines = [
        ShownLine(
            feature=c.feature, label=f"{c.label}: {c.value}", tenths=tenths_of(c.points / 100)
        )
        for c in shown
    ]
    probability_tenths = tenths_of(probability)
    baseline_tenths = tenths_of(baseline)
    rest = [c for c in contributions if c not in shown]
    if rest:
        remaining = probability_tenths - baseline_tenths - sum(line.tenths for line in lines)
        lines.append(
            ShownLine(
                feature=OTHER_INPUTS,
                label="Other inputs",
                tenths=remaining,
                inputs=tuple(c.label for c in rest),
            )
        )
    return ShownExplanation(
        baseline_tenths=baseline_tenths,
        lines=lines,
        probability_tenths=probability_tenths,
        background_size=background_size,
    )


def tenths_of(probability: float) -> int:
    """A probability (0–1) in tenths of a percentage point, rounded half up from its
    shortest decimal form, as `{{ percentage|floatformat:1 }}` rounds it."""
    percentage = Decimal(repr(probability * 100))
    return int((percentage * 10).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def tenths_text(tenths: int) -> str:
    sign = "-" if tenths < 0 else ""
    whole, tenth = divmod(abs(tenths), 10)
    return f"{sign}{whole}.{tenth}"
