"""The training job: what the admin's "Train a new version" page queues, and what a worker
runs — the same pipeline as `manage.py train`, reporting each candidate, setting and fold,
then registering the version and, when asked and the promotion gate passes, activating it."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django_tasks import task

from ml_pipeline.constants import ALGORITHM_LABELS, METRIC_LABELS
from ml_pipeline.progress import TrainingStep
from survival.jobs.runner import JobOutcome, run_job
from survival.jobs.services import job_create, job_progress
from survival.models import Job
from survival.registry import selectors
from survival.registry.gate import PromotionRefusedError, promotion_gate_check
from survival.registry.services import model_version_activate, model_version_register

BUNDLED = "bundled"
ACTIVATED_BY_JOB = "Trained from the admin and activated because the promotion gate passed."
STAGE_TEXT = {
    "calibration": "{candidate}: measuring calibration, fold {fold}/{folds}",
    "final": "Fitting {candidate} on the training split and evaluating it on the held-out rows",
}


@task()
def train_model(job_id: str) -> dict[str, Any]:
    """Runs a queued training job (see `training_job_submit`)."""
    return run_job(job_id, _train)


def training_job_submit(
    *,
    by: AbstractBaseUser | None,
    algorithm: str,
    metric: str,
    seed: int,
    activate: bool,
    upload_name: str = "",
    upload: bytes | None = None,
) -> Job:
    """Queues a training run on the bundled data, or on `upload` (checked by the caller)."""
    parameters = {
        "algorithm": algorithm,
        "metric": metric,
        "seed": seed,
        "activate": activate,
        "data": upload_name if upload is not None else BUNDLED,
    }
    return job_create(
        kind=Job.Kind.TRAIN,
        enqueue=train_model.enqueue,
        by=by,
        parameters=parameters,
        input_name=upload_name,
        input_file=upload,
    )


def step_text(step: TrainingStep) -> str:
    """ "Random forest (candidate 2 of 4), setting 1/3, fold 4/10" and the like."""
    if step.stage in STAGE_TEXT:
        return STAGE_TEXT[step.stage].format(**step.as_dict())
    return (
        f"{step.candidate} (candidate {step.candidate_number} of {step.candidates}), "
        f"setting {step.setting_number}/{step.settings}, fold {step.fold}/{step.folds}"
    )


def _train(job: Job) -> JobOutcome:
    from ml_pipeline.data import load_dataset, parse_dataset
    from ml_pipeline.training import train

    parameters = job.parameters
    job_id = str(job.pk)
    if job.input_file is not None:
        dataset = parse_dataset(bytes(job.input_file), source=job.input_name)
    else:
        dataset = load_dataset()
    job_progress(job_id=job_id, fraction=0, message=f"Read {dataset.rows:,} rows; training")

    def on_step(step: TrainingStep) -> None:
        job_progress(
            job_id=job_id, fraction=step.fraction, message=step_text(step), detail=step.as_dict()
        )

    result = train(
        dataset,
        algorithm=parameters["algorithm"],
        seed=parameters["seed"],
        metric=parameters["metric"],
        on_step=on_step,
    )
    job_progress(job_id=job_id, fraction=1, message="Registering the new version")
    version = model_version_register(result=result)
    failures = promotion_gate_check(candidate=version, active=selectors.model_version_get_active())
    gate = {"passed": not failures, "failures": [failure.message for failure in failures]}
    activated = False
    if parameters["activate"] and not failures:
        try:
            model_version_activate(version=version, by=job.created_by, reason=ACTIVATED_BY_JOB)
            activated = True
        except PromotionRefusedError as exc:
            # The active version changed between the check and the activation.
            gate = {"passed": False, "failures": [f.message for f in exc.failures]}
    holdout = result.holdout_metrics
    cv = result.cv_metrics
    return JobOutcome(
        {
            "version": version.version,
            "algorithm": ALGORITHM_LABELS[result.algorithm],
            "selection_metric": METRIC_LABELS[result.selection_metric],
            "data_rows": result.data_rows,
            "cv_roc_auc": cv["roc_auc"]["mean"],
            "cv_brier": cv["brier"]["mean"],
            "cv_accuracy": cv["accuracy"]["mean"],
            "holdout_roc_auc": holdout["roc_auc"],
            "holdout_accuracy": holdout["accuracy"],
            "holdout_brier": holdout["brier"],
            "gate": gate,
            "activation_requested": bool(parameters["activate"]),
            "activated": activated,
            "training_seconds": result.duration_seconds,
        }
    )
