"""Scoring a large CSV as a background job: the /batch page queues it (files over
BATCH_BACKGROUND_ROWS rows), a worker scores it in chunks and reports the rows done, and the
job's page offers the scored file (survival.batch.download) until it expires."""

from __future__ import annotations

import dataclasses
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django_tasks import task

from survival.batch.download import download_filename, scored_table_to_download
from survival.batch.services import passengers_score_csv
from survival.batch.uploads import BatchSummary, scored_table_summarize
from survival.jobs.runner import JobOutcome, run_job
from survival.jobs.services import job_create, job_progress
from survival.models import Job


@task()
def score_file(job_id: str) -> dict[str, Any]:
    """Runs a queued batch job (see `batch_job_submit`)."""
    return run_job(job_id, _score)


def batch_job_submit(
    *, by: AbstractBaseUser | None, upload_name: str, raw: bytes, rows: int
) -> Job:
    """Queues the scoring of an uploaded file (already checked for name, size and rows)."""
    return job_create(
        kind=Job.Kind.BATCH,
        enqueue=score_file.enqueue,
        by=by,
        parameters={"rows": rows},
        input_name=upload_name,
        input_file=raw,
    )


def summary_record(summary: BatchSummary) -> dict[str, Any]:
    """The summary as the job's result (JSON), with what the page's template reads."""
    record = dataclasses.asdict(summary)
    record["survival_percentage"] = summary.survival_percentage
    return record


def _score(job: Job) -> JobOutcome:
    job_id = str(job.pk)
    rows = job.parameters.get("rows", 0)
    job_progress(job_id=job_id, fraction=0, message=f"Checking {rows:,} rows")

    def progress(done: int, total: int) -> None:
        job_progress(
            job_id=job_id,
            fraction=done / total,
            message=f"Scored {done:,} of {total:,} valid rows",
            detail={"rows_scored": done, "rows_to_score": total},
        )

    table = passengers_score_csv(
        raw=bytes(job.input_file), source=job.input_name, progress=progress
    )
    return JobOutcome(
        summary_record(scored_table_summarize(table=table)),
        file=scored_table_to_download(table=table),
        filename=download_filename(upload_name=job.input_name),
    )
