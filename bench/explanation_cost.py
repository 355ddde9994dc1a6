"""What the additive explanation costs: one passenger explained (exact Shapley values over
the seven inputs against the version's background, one batched model call) against the same
passenger only scored, through each algorithm's prepared pipeline, in-process."""

from __future__ import annotations

import statistics
from functools import partial

from in_process import median_seconds

# The algorithms timed: each single model, the soft-voting ensemble (what `train` picks on
# the bundled data) and the same ensemble with sigmoid calibration (what it picks when
# calibration lowers the cross-validated Brier score).
CALIBRATED_ENSEMBLE = "calibrated ensemble"
EXPLAINED_ALGORITHMS = (
    "logreg",
    "random_forest",
    "hist_gradient_boosting",
    "ensemble",
    CALIBRATED_ENSEMBLE,
)


def bench_explanations(calls: int) -> dict[str, dict[str, float]]:
    """For each algorithm: the median ms to score one passenger, to explain one, and the
    rows an explanation put through the model's preprocessing, over the page's example
    passengers."""
    from threadpoolctl import threadpool_limits

    from ml_pipeline.candidates import build_pipeline, calibrated
    from ml_pipeline.constants import DEFAULT_SEED
    from ml_pipeline.data import load_dataset
    from ml_pipeline.explain import explain, explanation_background, survival_probabilities
    from ml_pipeline.prepared import PreparedPipeline
    from survival.predictions.presets import PRESETS

    dataset = load_dataset()
    passengers = [preset.passenger for preset in PRESETS]
    results = {}
    # As in a gunicorn worker under `make serve`: one maths thread.
    with threadpool_limits(1):
        for algorithm in EXPLAINED_ALGORITHMS:
            if algorithm == CALIBRATED_ENSEMBLE:
                pipeline = calibrated(build_pipeline("ensemble"))
            else:
                pipeline = build_pipeline(algorithm)
            pipeline.fit(dataset.features, dataset.target)
            background = explanation_background(pipeline, dataset.features, seed=DEFAULT_SEED)
            prepared = PreparedPipeline(pipeline)
            counted = _count_rows(PreparedPipeline(pipeline), background)
            for passenger in passengers:
                explain(counted.prepared, passenger, background)
            count = calls if algorithm == "logreg" else max(1, calls // 10)
            scored, explained = [], []
            for passenger in passengers:
                score = partial(survival_probabilities, prepared, [passenger])
                scored.append(median_seconds(score, count))
                explanation = partial(explain, prepared, passenger, background)
                explained.append(median_seconds(explanation, count))
            results[algorithm] = {
                "background": len(background),
                "rows": counted.rows / len(passengers),
                "score_ms": statistics.median(scored) * 1000,
                "explain_ms": statistics.median(explained) * 1000,
            }
    return results


class _RowCounter:
    """Counts the coalition rows a prepared pipeline's explanations compute."""

    def __init__(self, prepared) -> None:
        self.prepared = prepared
        self.rows = 0

    def counting(self, compute):
        def counted(rows):
            self.rows += len(next(iter(rows.values())))
            return compute(rows)

        return counted


def _count_rows(prepared, background) -> _RowCounter:
    """The prepared pipeline with its explanation's row computations counted: every row a
    scorer scores or puts through the preprocessing (an ensemble's members each count)."""
    from ml_pipeline.coalitions import RowScorer, WeightedScorer
    from ml_pipeline.linear_coalitions import LinearScorer

    counter = _RowCounter(prepared)
    scorers = [prepared.background_game(background).scorer]
    while scorers:
        scorer = scorers.pop()
        if isinstance(scorer, WeightedScorer):
            scorers += scorer._members
        elif isinstance(scorer, RowScorer):
            scorer._score = counter.counting(scorer._score)
        elif isinstance(scorer, LinearScorer):
            scorer._columns = counter.counting(scorer._columns)
    return counter
