"""The model card's plots, drawn once at training time as SVG. Imports no Django.

Figures are drawn with matplotlib's object API and its SVG canvas, never pyplot, so nothing
depends on a display or on a global backend, and drawing is safe in any process.
"""

from __future__ import annotations

import io
from typing import Any

import matplotlib
from matplotlib.backends.backend_svg import FigureCanvasSVG
from matplotlib.figure import Figure

from ml_pipeline.schema import FEATURES_BY_NAME

# Plot name → title; the names are also the only plot files the web app serves.
PLOT_TITLES: dict[str, str] = {
    "roc": "ROC curve on the held-out split",
    "calibration": "Reliability curve on the held-out split",
    "confusion": "Confusion matrix on the held-out split",
    "importance": "Permutation importance on the held-out split",
}

SIZE = (5.0, 4.0)
ACCENT = "#0d6efd"
MUTED = "#6c757d"


def figure_svg(figure: Figure) -> bytes:
    """A figure as SVG bytes, the same bytes for the same numbers."""
    FigureCanvasSVG(figure)
    buffer = io.BytesIO()
    # A fixed hash salt and no date make the same numbers give the same bytes.
    with matplotlib.rc_context({"svg.hashsalt": "titanic", "svg.fonttype": "none"}):
        figure.savefig(buffer, format="svg", metadata={"Date": None}, bbox_inches="tight")
    return buffer.getvalue()


def roc_plot(*, fpr: list[float], tpr: list[float], auc: float) -> bytes:
    figure = Figure(figsize=SIZE)
    axes = figure.add_subplot()
    axes.plot(fpr, tpr, color=ACCENT, linewidth=2, label=f"model (AUC {auc:.3f})")
    axes.plot([0, 1], [0, 1], color=MUTED, linestyle="--", label="chance (AUC 0.5)")
    axes.set(
        xlabel="False positive rate",
        ylabel="True positive rate",
        xlim=(0, 1),
        ylim=(0, 1.01),
        title=PLOT_TITLES["roc"],
    )
    axes.legend(loc="lower right")
    return figure_svg(figure)


def calibration_plot(*, predicted: list[float], observed: list[float], brier: float) -> bytes:
    figure = Figure(figsize=SIZE)
    axes = figure.add_subplot()
    axes.plot([0, 1], [0, 1], color=MUTED, linestyle="--", label="perfectly calibrated")
    axes.plot(
        predicted,
        observed,
        color=ACCENT,
        marker="o",
        linewidth=2,
        label=f"model (Brier {brier:.3f})",
    )
    axes.set(
        xlabel="Predicted probability of survival (bin mean)",
        ylabel="Observed survival rate",
        xlim=(0, 1),
        ylim=(0, 1),
        title=PLOT_TITLES["calibration"],
    )
    axes.legend(loc="upper left")
    return figure_svg(figure)


def confusion_plot(*, tn: int, fp: int, fn: int, tp: int) -> bytes:
    figure = Figure(figsize=(4.2, 3.6))
    axes = figure.add_subplot()
    cells = [[tn, fp], [fn, tp]]
    axes.imshow(cells, cmap="Blues")
    highest = max(tn, fp, fn, tp)
    for row in range(2):
        for column in range(2):
            value = cells[row][column]
            axes.text(
                column,
                row,
                str(value),
                ha="center",
                va="center",
                fontsize=14,
                color="white" if value > highest / 2 else "black",
            )
    labels = ["did not survive", "survived"]
    axes.set_xticks([0, 1], labels=labels)
    axes.set_yticks([0, 1], labels=labels)
    axes.set(xlabel="Predicted", ylabel="Actual", title=PLOT_TITLES["confusion"])
    return figure_svg(figure)


def importance_plot(*, importance: dict[str, dict[str, float]]) -> bytes:
    ordered = sorted(importance.items(), key=lambda item: item[1]["mean"])
    labels = [FEATURES_BY_NAME[name].label for name, _ in ordered]
    figure = Figure(figsize=(5.5, 3.8))
    axes = figure.add_subplot()
    axes.barh(
        labels,
        [values["mean"] for _, values in ordered],
        xerr=[values["std"] for _, values in ordered],
        color=ACCENT,
    )
    axes.axvline(0, color=MUTED, linewidth=1)
    axes.set(xlabel="Drop in ROC AUC when the input is shuffled", title=PLOT_TITLES["importance"])
    return figure_svg(figure)


def draw_plots(
    *, evaluation: dict[str, Any], holdout_metrics: dict[str, float]
) -> dict[str, bytes]:
    """Every plot of the model card, {name: SVG bytes}, from a training run's held-out
    evaluation and metrics."""
    holdout = holdout_metrics
    return {
        "roc": roc_plot(**evaluation["roc_curve"], auc=holdout["roc_auc"]),
        "calibration": calibration_plot(**evaluation["reliability_curve"], brier=holdout["brier"]),
        "confusion": confusion_plot(**evaluation["confusion_matrix"]),
        "importance": importance_plot(importance=evaluation["permutation_importance"]),
    }
