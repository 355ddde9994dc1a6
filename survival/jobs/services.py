"""A job's life in the database: queued with its task, taken by a worker, its progress,
its end (a result, or why it failed), the worker that died under it, its files expiring.

Every state change is one UPDATE of the job's row, so a page on any host reads the truth,
and a worker's late write cannot bring back a job already marked failed (see `_update`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from uuid import UUID

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from ml_pipeline.errors import NotFoundError
from survival.models import Job

logger = logging.getLogger(__name__)

JOB_NOT_FOUND = "There is no job {job_id}."
WORKER_STOPPED = (
    "The worker running this job stopped (no sign of life for {seconds:.0f} s): it was killed "
    "or its machine went down. Nothing was registered; start the job again."
)
UNEXPECTED = "The job stopped on an unexpected error; the details are in the worker's log."
FILES_EXPIRED = (
    "The files of this job were deleted on {when:%Y-%m-%d %H:%M} UTC, {hours:g} h after it ended."
)

Enqueue = Callable[[str], Any]


class JobNotFoundError(NotFoundError):
    pass


def job_create(
    *,
    kind: str,
    enqueue: Enqueue,
    by: AbstractBaseUser | None,
    parameters: dict[str, Any],
    input_name: str = "",
    input_file: bytes | None = None,
) -> Job:
    """Records a queued job and queues its task (`enqueue(job_id)`, e.g. `some_task.enqueue`)
    in one transaction: a worker never sees a task without its job, nor a job without a task."""
    with transaction.atomic():
        job = Job.objects.create(
            kind=kind,
            created_by=_user(by),
            parameters=parameters,
            input_name=input_name,
            input_file=input_file,
        )
        task_result = enqueue(str(job.pk))
        job.task_id = str(task_result.id)
        job.save(update_fields=["task_id"])
    logger.info("job %s (%s) queued as task %s", job.pk, kind, job.task_id)
    return job


def job_record_finished(
    *,
    kind: str,
    by: AbstractBaseUser | None,
    parameters: dict[str, Any],
    input_name: str,
    result: dict[str, Any],
    result_file: bytes,
    result_filename: str,
    started_at: Any,
) -> Job:
    """Records work done inside a request (a small batch) as a finished job, so its file is
    kept and offered for download like a background job's. Files of jobs past their expiry
    are deleted here too (as a worker does before each job), so they go even where no worker
    runs."""
    jobs_purge_expired()
    now = timezone.now()
    return Job.objects.create(
        kind=kind,
        state=Job.State.SUCCEEDED,
        created_by=_user(by),
        parameters=parameters,
        input_name=input_name,
        started_at=started_at,
        finished_at=now,
        heartbeat_at=now,
        progress=1.0,
        result=result,
        result_file=result_file,
        result_filename=result_filename,
        expires_at=now + _result_lifetime(),
        in_request=True,
    )


def job_get(*, job_id: str | UUID) -> Job:
    """The job, as it stands now: a running job whose worker has been silent for longer than
    JOB_STALE_SECONDS is marked failed first (so no job shows "running" forever)."""
    try:
        # The files can be megabytes; pages read them only to serve a download.
        job = Job.objects.defer("input_file", "result_file").get(pk=job_id)
    except (Job.DoesNotExist, ValidationError, ValueError) as exc:
        raise JobNotFoundError(JOB_NOT_FOUND.format(job_id=job_id), field="job") from exc
    if job.state == Job.State.RUNNING and jobs_fail_stale(pk=job.pk):
        job.refresh_from_db()
    return job


def job_input(*, job_id: str) -> Job:
    """The job with its upload, for the worker that runs it."""
    return Job.objects.get(pk=job_id)


def job_start(*, job_id: str) -> bool:
    """Marks the job running (taken by this worker); False when it is no longer queued."""
    now = timezone.now()
    return _update(job_id, Q(state=Job.State.QUEUED), state=Job.State.RUNNING, started_at=now)


def job_beat(*, job_id: str) -> None:
    """A sign of life from the worker running the job."""
    _update(job_id, Q(state=Job.State.RUNNING))


def job_progress(
    *, job_id: str, fraction: float, message: str, detail: dict[str, Any] | None = None
) -> None:
    """Records how far the job is; `detail` (the structured step) is kept when not given."""
    fields: dict[str, Any] = {
        "progress": max(0.0, min(1.0, fraction)),
        "progress_message": message[:200],
    }
    if detail is not None:
        fields["progress_detail"] = detail
    _update(job_id, Q(state=Job.State.RUNNING), **fields)


def job_succeed(
    *,
    job_id: str,
    result: dict[str, Any],
    result_file: bytes | None = None,
    result_filename: str = "",
) -> None:
    now = timezone.now()
    _update(
        job_id,
        Q(state=Job.State.RUNNING),
        state=Job.State.SUCCEEDED,
        finished_at=now,
        progress=1.0,
        result=result,
        result_file=result_file,
        result_filename=result_filename,
        expires_at=now + _result_lifetime(),
    )
    logger.info("job %s succeeded", job_id)


def job_fail(*, job_id: str, error: str) -> None:
    """Marks the job failed with `error`, a message for a person (never a traceback)."""
    now = timezone.now()
    _update(
        job_id,
        Q(state__in=[Job.State.QUEUED, Job.State.RUNNING]),
        state=Job.State.FAILED,
        finished_at=now,
        error=error,
        expires_at=now + _result_lifetime(),
    )
    logger.warning("job %s failed: %s", job_id, error)


def jobs_fail_stale(*, pk: UUID | None = None) -> int:
    """Marks failed every running job (or just `pk`) whose worker has been silent for longer
    than JOB_STALE_SECONDS, and its queued task with it. Returns how many."""
    seconds = settings.JOB_STALE_SECONDS
    now = timezone.now()
    stale = Job.objects.filter(
        state=Job.State.RUNNING, heartbeat_at__lt=now - timedelta(seconds=seconds)
    )
    if pk is not None:
        stale = stale.filter(pk=pk)
    task_ids = list(stale.values_list("task_id", flat=True))
    count = stale.update(
        state=Job.State.FAILED,
        finished_at=now,
        error=WORKER_STOPPED.format(seconds=seconds),
        expires_at=now + _result_lifetime(),
    )
    if count:
        from django_tasks_db.models import DBTaskResult

        # The task's own row would say "running" forever too: django-tasks-db never looks
        # back at a task a worker claimed.
        DBTaskResult.objects.filter(pk__in=[t for t in task_ids if t], status="RUNNING").update(
            status="FAILED", finished_at=now, exception_class_path="", traceback=""
        )
        logger.warning("%d job(s) marked failed: their worker stopped", count)
    return count


def job_files_expired(*, job: Job) -> str:
    """ "" while the job's files are kept; else when and why they were deleted."""
    if job.expires_at is None or job.expires_at > timezone.now():
        return ""
    return FILES_EXPIRED.format(when=job.expires_at, hours=settings.JOB_RESULT_HOURS)


def jobs_purge_expired() -> int:
    """Deletes the files (upload and result) of jobs past their expiry; keeps the rows, so
    the admin's list and the job's page still say what happened."""
    return (
        Job.objects.filter(expires_at__lte=timezone.now())
        .filter(Q(input_file__isnull=False) | Q(result_file__isnull=False))
        .update(input_file=None, result_file=None)
    )


def _update(job_id: str | UUID, condition: Q, **fields: Any) -> bool:
    """One conditional UPDATE that also counts as a heartbeat: it changes nothing once the
    job has left the states in `condition` (e.g. a stale job marked failed stays failed)."""
    fields.setdefault("heartbeat_at", timezone.now())
    return bool(Job.objects.filter(condition, pk=job_id).update(**fields))


def _result_lifetime() -> timedelta:
    return timedelta(hours=settings.JOB_RESULT_HOURS)


def _user(by: AbstractBaseUser | None) -> AbstractBaseUser | None:
    return by if by is not None and by.is_authenticated else None
