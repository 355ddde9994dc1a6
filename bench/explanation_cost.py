"""What the additive explanation costs: one passenger explained (exact Shapley values over
the seven inputs against the version's background, one batched model call) against the same
passenger only scored, through each algorithm's prepared pipeline, in-process."""

from __future__ import annotations

import statistics
from functools import partial

from in_process import median_seconds

# The algorithms timed: each single model, and `train`'s usual choice on the bundled data,
# the soft-voting ensemble with sigmoid calibration.
CALIBRATED_ENSEMBLE = "calibrated ensemble"
EXPLAINED_ALGORITHMS = ("logreg", "random_forest", "hist_gradient_boosting", CALIBRATED_ENSEMBLE)


def bench_explanations(calls: int) -> dict[str, dict[str, float]]:
    """For each algorithm: the median ms to score one passenger, to explain one, and the
    scored rows an explanation took, over the page's example passengers."""
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
            counting = _RowCounter(prepared)
            for passenger in passengers:
                explain(counting, passenger, background)
            count = calls if algorithm == "logreg" else max(1, calls // 10)
            scored, explained = [], []
            for passenger in passengers:
                score = partial(survival_probabilities, prepared, [passenger])
                scored.append(median_seconds(score, count))
                explanation = partial(explain, prepared, passenger, background)
                explained.append(median_seconds(explanation, count))
            results[algorithm] = {
                "background": len(background),
                "rows": counting.rows / len(passengers),
                "score_ms": statistics.median(scored) * 1000,
                "explain_ms": statistics.median(explained) * 1000,
            }
    return results


class _RowCounter:
    """A prepared pipeline that counts the rows it is asked to score."""

    def __init__(self, prepared) -> None:
        self.prepared = prepared
        self.rows = 0

    def survival_probabilities(self, columns):
        scores = self.prepared.survival_probabilities(columns)
        self.rows += len(scores)
        return scores
