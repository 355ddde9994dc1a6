"""A training run, start to finish: plain scikit-learn, no Django.

Every candidate is one sklearn Pipeline (derived features + imputation + encoding + model),
so the saved artifact takes the raw schema columns and nothing can be forgotten at
prediction time.

The data is split once into a stratified training part and a held-out part. Everything that
chooses something — each candidate's setting, the winning candidate, whether to calibrate —
is decided by repeated stratified cross-validation on the training part only. The winner is
then fitted on the training part and evaluated once on the held-out part, and that fitted
pipeline is what gets saved, so the held-out numbers describe exactly the stored model and
were never used to choose anything.

The candidates are in `candidates`, how they are judged in `evaluation`, what a version
records about its making in `provenance`, and the model card's plots in `plots`.
"""

from __future__ import annotations

import io
import time
from dataclasses import dataclass, field
from typing import Any

import joblib
from sklearn.base import clone
from sklearn.metrics import brier_score_loss
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from threadpoolctl import threadpool_limits

from ml_pipeline.candidates import (
    ALGORITHMS,
    CALIBRATION_FOLDS,
    CALIBRATION_METHOD,
    SEARCH_SPACE,
    build_pipeline,
    calibrated,
    describe,
    model_params,
)
from ml_pipeline.constants import AUTO, DEFAULT_METRIC, DEFAULT_SEED, METRIC_LABELS
from ml_pipeline.context import training_context
from ml_pipeline.data import Dataset
from ml_pipeline.evaluation import (
    CV_FOLDS,
    CV_REPEATS,
    ProgressCallback,
    best_of,
    cross_validate_pipeline,
    evaluate,
    holdout_details,
)

# Model files saved before the DataFrame steps moved to `features` name them here; these
# names keep such files loadable.
from ml_pipeline.explain import explanation_background
from ml_pipeline.features import (  # noqa: F401
    add_derived_features,
    linear_terms,
    passenger_terms,
)
from ml_pipeline.plots import draw_plots
from ml_pipeline.progress import StepCallback, StepTracker
from ml_pipeline.provenance import (
    git_commit,
    library_versions,
    summarize_data,
    typical_passenger,
)
from ml_pipeline.schema import schema_fingerprint

HOLDOUT_FRACTION = 0.2


UNKNOWN_METRIC = "unknown metric {metric!r}; choose one of: {choices}"


@dataclass
class TrainingResult:
    """What a training run produced, ready to be registered.

    Attributes:
        pipeline: the winner, fitted on the training split (calibrated when that helped).
        algorithm: its name (a key of ALGORITHMS).
        params: the model step's hyper-parameters (plus "calibration" when calibrated).
        cv_metrics: {metric: {"mean", "std"}} of the stored pipeline, from repeated
            stratified CV on the training split.
        holdout_metrics: metrics on the held-out split, plus majority-class baselines.
        candidates: {algorithm: cv_metrics of its best setting} for every candidate tried.
        seed, data_sha256, data_rows, train_rows, holdout_rows: what makes the run reproducible.
        library_versions: python, scikit-learn, numpy, pandas, joblib.
        schema_fingerprint: see `schema.schema_fingerprint`.
        reference_passenger: the training split's typical passenger (median of each number,
            most frequent category); versions without a background explain against it.
        explanation_background: a fixed sample of training passengers (see
            `explain.explanation_background`); the additive explanation's baseline is the
            model's mean probability over them.
        training_context: what the visitor's page says of the data file (base rate, median
            fare per class, survivors per class, sex and age band; see `context`).
        duration_seconds: wall time of the whole run.
        selection_metric: the CV metric that chose the setting and the candidate.
        search: {algorithm: [{"params", "cv"}]}: every setting tried and its CV metrics.
        evaluation: held-out details: confusion matrix, ROC and reliability curves,
            permutation importance, and the calibration decision.
        holdout_index: the data rows (0-based, row i is on line i + 2) held out.
        data_summary: the training file described: survival rate, missing values, ranges.
        git_commit: the code's commit ("…-dirty" with uncommitted changes), "" when unknown.
        plots: {name: SVG bytes} drawn from `evaluation` (see `ml_pipeline.plots`).
    """

    pipeline: Pipeline
    algorithm: str
    params: dict[str, Any]
    cv_metrics: dict[str, dict[str, float]]
    holdout_metrics: dict[str, float]
    candidates: dict[str, dict[str, dict[str, float]]]
    seed: int
    data_sha256: str
    data_rows: int
    train_rows: int
    holdout_rows: int
    library_versions: dict[str, str] = field(default_factory=dict)
    schema_fingerprint: str = ""
    reference_passenger: dict[str, Any] = field(default_factory=dict)
    explanation_background: list[dict[str, Any]] = field(default_factory=list)
    training_context: dict[str, Any] = field(default_factory=dict)
    duration_seconds: float = 0.0
    selection_metric: str = DEFAULT_METRIC
    search: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    evaluation: dict[str, Any] = field(default_factory=dict)
    holdout_index: list[int] = field(default_factory=list)
    data_summary: dict[str, Any] = field(default_factory=dict)
    git_commit: str = ""
    plots: dict[str, bytes] = field(default_factory=dict)


def train(
    dataset: Dataset,
    *,
    algorithm: str = AUTO,
    seed: int = DEFAULT_SEED,
    metric: str = DEFAULT_METRIC,
    progress: ProgressCallback | None = None,
    on_step: StepCallback | None = None,
) -> TrainingResult:
    """Selects (for "auto") or uses the given algorithm, fits it and evaluates it.

    For each candidate a few settings (SEARCH_SPACE) are cross-validated on the training
    split and the best by `metric` is kept; the best candidate wins. Calibration is kept
    when it improves the winner's cross-validated Brier score.

    `progress` gets the run's progress as lines of text; `on_step`, as TrainingStep data
    (candidate, setting, fold, share of the folds done), for a progress bar.

    Gradient boosting runs on one OpenMP thread: with about a thousand rows, more threads
    only wait on each other, and on a busy machine they can slow a run down many times over.
    """
    with threadpool_limits(limits=1, user_api="openmp"):
        return _train(
            dataset,
            algorithm=algorithm,
            seed=seed,
            metric=metric,
            progress=progress,
            on_step=on_step,
        )


def _train(
    dataset: Dataset,
    *,
    algorithm: str,
    seed: int,
    metric: str,
    progress: ProgressCallback | None,
    on_step: StepCallback | None = None,
) -> TrainingResult:
    started = time.perf_counter()
    if metric not in METRIC_LABELS:
        raise ValueError(UNKNOWN_METRIC.format(metric=metric, choices=", ".join(METRIC_LABELS)))
    names = list(ALGORITHMS) if algorithm == AUTO else [algorithm]
    for name in names:
        build_pipeline(name, seed=seed)  # fail fast on an unknown name
    train_x, holdout_x, train_y, holdout_y = train_test_split(
        dataset.features,
        dataset.target,
        test_size=HOLDOUT_FRACTION,
        stratify=dataset.target,
        random_state=seed,
    )
    if progress:
        progress(
            f"Data: {dataset.rows} rows ({len(train_y)} for training, {len(holdout_y)} held out), "
            f"sha256 {dataset.sha256[:12]}…; selecting by cross-validated "
            f"{METRIC_LABELS[metric]} ({CV_FOLDS} folds × {CV_REPEATS} repeats)"
        )

    steps = StepTracker(
        labels=[ALGORITHMS[name][0] for name in names],
        settings_per_candidate=[len(SEARCH_SPACE[name]) for name in names],
        text=progress,
        on_step=on_step,
    )
    search: dict[str, list[dict[str, Any]]] = {}
    chosen: dict[str, dict[str, Any]] = {}
    for candidate, name in enumerate(names):
        settings = SEARCH_SPACE[name]
        tried: list[dict[str, Any]] = []
        for number, params in enumerate(settings, start=1):
            if progress:
                progress(
                    f"{ALGORITHMS[name][0]}, setting {number}/{len(settings)} ({describe(params)})"
                )
            cv = cross_validate_pipeline(
                build_pipeline(name, seed=seed, params=params),
                train_x,
                train_y,
                seed=seed,
                name=name,
                progress=steps.fold_progress(stage="search", candidate=candidate, setting=number),
            )
            tried.append({"params": params, "cv": cv})
        search[name] = tried
        chosen[name] = tried[best_of(metric, [(t["params"], t["cv"]) for t in tried])]
    candidates = {name: chosen[name]["cv"] for name in names}
    winner = names[best_of(metric, [(name, candidates[name]) for name in names])]
    best_params = chosen[winner]["params"]
    uncalibrated = build_pipeline(winner, seed=seed, params=best_params)

    if progress:
        progress(f"Measuring calibration of {ALGORITHMS[winner][0]} ({CALIBRATION_METHOD})")
    calibrated_cv = cross_validate_pipeline(
        calibrated(uncalibrated),
        train_x,
        train_y,
        seed=seed,
        name=f"{winner} calibrated",
        progress=steps.fold_progress(stage="calibration", candidate=names.index(winner)),
    )
    steps.final(candidate=names.index(winner))
    use_calibration = calibrated_cv["brier"]["mean"] < candidates[winner]["brier"]["mean"]
    if progress:
        progress(f"Fitting {ALGORITHMS[winner][0]} on the whole training split")
    majority_class = int(train_y.mode().iloc[0])
    training_rate = float(train_y.mean())
    fitted_plain = clone(uncalibrated).fit(train_x, train_y)
    fitted_calibrated = calibrated(uncalibrated).fit(train_x, train_y)
    pipeline = fitted_calibrated if use_calibration else fitted_plain
    holdout = evaluate(
        pipeline,
        holdout_x,
        holdout_y,
        majority_class=majority_class,
        training_rate=training_rate,
    )
    if progress:
        progress("Evaluating on the held-out split (permutation importance)")
    evaluation = holdout_details(pipeline, holdout_x, holdout_y, seed=seed)
    # The decision was made on CV above; the held-out Brier of both is shown for the record.
    evaluation["calibration"] = {
        "method": CALIBRATION_METHOD,
        "used": use_calibration,
        "cv_brier_uncalibrated": candidates[winner]["brier"]["mean"],
        "cv_brier_calibrated": calibrated_cv["brier"]["mean"],
        "holdout_brier_uncalibrated": float(
            brier_score_loss(holdout_y, fitted_plain.predict_proba(holdout_x)[:, 1])
        ),
        "holdout_brier_calibrated": float(
            brier_score_loss(holdout_y, fitted_calibrated.predict_proba(holdout_x)[:, 1])
        ),
    }
    params = model_params(build_pipeline(winner, seed=seed, params=best_params))
    if use_calibration:
        params["calibration"] = f"{CALIBRATION_METHOD} ({CALIBRATION_FOLDS}-fold)"
    result = TrainingResult(
        pipeline=pipeline,
        algorithm=winner,
        params=params,
        cv_metrics=calibrated_cv if use_calibration else candidates[winner],
        holdout_metrics=holdout,
        candidates=candidates,
        seed=seed,
        data_sha256=dataset.sha256,
        data_rows=dataset.rows,
        train_rows=len(train_y),
        holdout_rows=len(holdout_y),
        library_versions=library_versions(),
        schema_fingerprint=schema_fingerprint(),
        reference_passenger=typical_passenger(train_x),
        explanation_background=explanation_background(pipeline, train_x, seed=seed),
        training_context=training_context(
            dataset.features, dataset.target, fitted_rows=len(train_y)
        ),
        selection_metric=metric,
        search=search,
        evaluation=evaluation,
        holdout_index=[int(i) for i in holdout_x.index],
        data_summary=summarize_data(dataset),
        git_commit=git_commit(),
    )
    result.plots = draw_plots(evaluation=evaluation, holdout_metrics=holdout)
    result.duration_seconds = time.perf_counter() - started
    return result


def serialize_pipeline(pipeline: Pipeline) -> bytes:
    """The artifact's bytes (joblib); the registry stores them and records their sha256."""
    buffer = io.BytesIO()
    joblib.dump(pipeline, buffer, compress=3)
    return buffer.getvalue()
