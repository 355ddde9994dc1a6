"""The operations page's charts, drawn on the server as SVG in the model card's style
(ml_pipeline.plots): predictions and feedback per day, live accuracy per day, and the
reliability curve of the logged predictions against their feedback.

Each chart carries a title and a description in words, inside the SVG and for the page's
alt text; the page also shows the numbers as a table. The SVG is sent inside the page as a
data: address (the Content-Security-Policy allows data: images, and an SVG shown as an image
runs no script), so the numbers are read once for the page and its pictures.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from datetime import date
from html import escape

from matplotlib.axes import Axes
from matplotlib.dates import AutoDateLocator, ConciseDateFormatter, date2num
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from ml_pipeline.plots import ACCENT, MUTED, figure_svg

# The second series beside ACCENT: orange, told apart from blue in the common colour-vision
# deficiencies (and the legend and the table name each series).
SECOND = "#d9480f"
WIDE = (7.0, 3.0)
SQUARE = (5.0, 4.0)
# matplotlib writes the size in points; a CSS pixel is 0.75 pt.
_SIZE = re.compile(rb'<svg[^>]*?width="([\d.]+)pt" height="([\d.]+)pt"')


@dataclass(frozen=True)
class Chart:
    """A drawn chart.

    Attributes:
        title: what it shows, in a few words.
        description: what it says, in a sentence or two (its text alternative).
        svg: the SVG document, its title and description inside.
    """

    title: str
    description: str
    svg: bytes

    @property
    def data_uri(self) -> str:
        return "data:image/svg+xml;base64," + base64.b64encode(self.svg).decode("ascii")

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) in CSS pixels, for the <img> to keep its place while it loads."""
        found = _SIZE.search(self.svg)
        if found is None:
            return (0, 0)
        return (round(float(found[1]) / 0.75), round(float(found[2]) / 0.75))

    @property
    def width(self) -> int:
        return self.size[0]

    @property
    def height(self) -> int:
        return self.size[1]


def _chart(figure: Figure, title: str, description: str) -> Chart:
    text = figure_svg(figure).decode("utf-8")
    start = text.index("<svg")
    end = text.index(">", start) + 1
    labelled = (
        f"{text[:end]}\n <title>{escape(title)}</title>\n <desc>{escape(description)}</desc>"
        f"{text[end:]}"
    )
    return Chart(title=title, description=description, svg=labelled.encode("utf-8"))


def _date_axis(axes: Axes, days: list[date]) -> None:
    locator = AutoDateLocator(maxticks=8)
    axes.xaxis.set_major_locator(locator)
    axes.xaxis.set_major_formatter(ConciseDateFormatter(locator))
    axes.set_xlim(date2num(days[0]) - 0.6, date2num(days[-1]) + 0.6)


def _legend_beside(axes: Axes) -> None:
    # Right of the axes, where no bar or point can be hidden behind it.
    axes.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=8)


def daily_chart(*, days: list[date], predictions: list[int], feedback: list[int]) -> Chart:
    """Predictions answered and outcomes reported, per day, as side-by-side bars."""
    title = f"Predictions answered and feedback received per day, last {len(days)} days"
    busiest = max(range(len(days)), key=lambda index: predictions[index])
    description = (
        f"From {days[0]:%Y-%m-%d} to {days[-1]:%Y-%m-%d}: {sum(predictions)} predictions "
        f"answered and {sum(feedback)} outcomes reported. "
        + (
            f"The busiest day was {days[busiest]:%Y-%m-%d}, with {predictions[busiest]} "
            "predictions."
            if predictions[busiest]
            else "No prediction was answered in that time."
        )
    )
    figure = Figure(figsize=WIDE, layout="constrained")
    axes = figure.add_subplot()
    x = date2num(days)
    width = 0.4
    axes.bar(x - width / 2, predictions, width, color=ACCENT, label="predictions answered")
    axes.bar(x + width / 2, feedback, width, color=SECOND, label="feedback received")
    _date_axis(axes, days)
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set(ylabel="Count per day", title="Predictions and feedback per day")
    axes.set_ylim(bottom=0)
    _legend_beside(axes)
    return _chart(figure, title, description)


def accuracy_chart(
    *,
    days: list[date],
    accuracy: list[float | None],
    overall: float | None,
    holdout: float | None,
) -> Chart:
    """Each day's live accuracy (of that day's predictions with feedback) as points, with
    the accuracy over all feedback and the held-out accuracy measured at training as lines."""
    title = f"Live accuracy per day, last {len(days)} days"
    known = [(day, value) for day, value in zip(days, accuracy, strict=True) if value is not None]
    parts = [f"{len(known)} of the {len(days)} days have predictions with feedback."]
    if known:
        low = min(known, key=lambda pair: pair[1])
        high = max(known, key=lambda pair: pair[1])
        parts.append(
            f"Daily accuracy ranges from {low[1]:.3f} ({low[0]:%Y-%m-%d}) to {high[1]:.3f} "
            f"({high[0]:%Y-%m-%d})."
        )
    if overall is not None:
        parts.append(f"Over all feedback the accuracy is {overall:.3f}.")
    if holdout is not None:
        parts.append(f"At training, the held-out accuracy was {holdout:.3f}.")
    figure = Figure(figsize=WIDE, layout="constrained")
    axes = figure.add_subplot()
    if known:
        axes.plot(
            [date2num(day) for day, _ in known],
            [value for _, value in known],
            color=ACCENT,
            marker="o",
            linestyle="none",
            label="accuracy of the day's predictions",
        )
    if overall is not None:
        axes.axhline(overall, color=ACCENT, linestyle="--", label=f"all feedback ({overall:.3f})")
    if holdout is not None:
        axes.axhline(
            holdout, color=MUTED, linestyle=":", label=f"held-out at training ({holdout:.3f})"
        )
    _date_axis(axes, days)
    axes.set(ylabel="Share of right verdicts", ylim=(0, 1.02), title="Live accuracy per day")
    _legend_beside(axes)
    return _chart(figure, title, " ".join(parts))


def reliability_chart(
    *, predicted: list[float], observed: list[float], counts: list[int], brier: float | None
) -> Chart:
    """The reliability curve: for each probability bin with feedback, the mean predicted
    probability against the observed survival rate, each point labelled with its count."""
    title = "Calibration of the logged predictions against feedback"
    total = sum(counts)
    worst = max(range(len(predicted)), key=lambda index: abs(predicted[index] - observed[index]))
    description = (
        f"{total} predictions with feedback, in {len(predicted)} bins of predicted "
        "probability. A calibrated model's points lie on the diagonal. The largest gap is in "
        f"the bin with mean predicted probability {predicted[worst]:.3f}, where "
        f"{observed[worst]:.3f} survived ({counts[worst]} "
        + ("passenger)." if counts[worst] == 1 else "passengers).")
        + (f" Brier score {brier:.3f}." if brier is not None else "")
    )
    figure = Figure(figsize=SQUARE, layout="constrained")
    axes = figure.add_subplot()
    axes.plot([0, 1], [0, 1], color=MUTED, linestyle="--", label="perfectly calibrated")
    label = "logged predictions" + (f" (Brier {brier:.3f})" if brier is not None else "")
    axes.plot(predicted, observed, color=ACCENT, marker="o", linewidth=2, label=label)
    for x, y, count in zip(predicted, observed, counts, strict=True):
        # Below the point near the top, above it elsewhere: always inside the axes.
        offset = (6, -12) if y > 0.9 else (6, 6)
        axes.annotate(f"n={count}", (x, y), textcoords="offset points", xytext=offset, fontsize=8)
    axes.set(
        xlabel="Predicted probability of survival (bin mean)",
        ylabel="Observed survival rate",
        xlim=(0, 1),
        ylim=(0, 1.02),
        title="Reliability on feedback",
    )
    # Below the axes: the points can be anywhere inside them.
    axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.15), ncols=2, fontsize=8)
    return _chart(figure, title, description)
