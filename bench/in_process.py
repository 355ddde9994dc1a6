"""What the benchmark measures inside its own process: one passenger through each model, and
a large CSV parsed, checked and scored."""

from __future__ import annotations

import statistics
import time

from passenger import PASSENGER


def bench_model_calls(calls: int, algorithms: list[str]) -> dict[str, dict[str, float]]:
    """Median time of one passenger through each algorithm's prepared pipeline, and through
    the plain pipeline with a one-row DataFrame for comparison."""
    from threadpoolctl import threadpool_limits

    from ml_pipeline.candidates import build_pipeline
    from ml_pipeline.data import load_dataset
    from ml_pipeline.prepared import PreparedPipeline
    from ml_pipeline.schema import to_frame

    dataset = load_dataset()
    results = {}
    # As in a gunicorn worker under `make serve`: one maths thread.
    with threadpool_limits(1):
        for algorithm in algorithms:
            pipeline = build_pipeline(algorithm).fit(dataset.features, dataset.target)
            prepared = PreparedPipeline(pipeline)
            count = calls if algorithm == "logreg" else max(1, calls // 4)
            quick = median_seconds(lambda p=prepared: p.survival_probabilities([PASSENGER]), count)
            frame = median_seconds(
                lambda p=pipeline: p.predict_proba(to_frame([PASSENGER])), max(1, count // 10)
            )
            results[algorithm] = {"quick_ms": quick * 1000, "frame_ms": frame * 1000}
    return results


def median_seconds(call, count: int) -> float:
    call()
    timings = []
    for _ in range(count):
        started = time.perf_counter()
        call()
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


def bench_batch(rows: int) -> dict[str, float]:
    """A CSV of `rows` passengers (the bundled file repeated) parsed, checked and scored by a
    logistic-regression pipeline, through the function /batch, its background job and the
    predict command call (`ml_pipeline.batch.csv_score`), with the pipeline prepared as the
    registry loads it and scored in chunks with progress, as the background job scores a
    file this large."""
    from threadpoolctl import threadpool_limits

    from ml_pipeline.batch import csv_score
    from ml_pipeline.candidates import build_pipeline
    from ml_pipeline.data import BUNDLED_DATA, load_dataset
    from ml_pipeline.prepared import PreparedPipeline

    dataset = load_dataset()
    pipeline = PreparedPipeline(build_pipeline("logreg").fit(dataset.features, dataset.target))
    header, *lines = BUNDLED_DATA.read_text(encoding="utf-8").splitlines()
    body = [lines[i % len(lines)] for i in range(rows)]
    raw = ("\n".join([header, *body]) + "\n").encode()
    with threadpool_limits(1):
        started = time.perf_counter()
        scores = csv_score(
            raw,
            source="bench.csv",
            score=pipeline.survival_probabilities,
            progress=lambda done, total: None,
        )
        seconds = time.perf_counter() - started
    return {"rows": len(scores.scored), "seconds": seconds, "rows_per_second": rows / seconds}
