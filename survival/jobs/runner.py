"""How a worker runs any job: take it, keep its heartbeat, do the work, record the end.
A refusal of the error hierarchy (bad data, a gate, no model) is the job's failure in the
person's words; anything else is logged in full and the person reads UNEXPECTED."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from ml_pipeline.errors import PredictorError
from survival.jobs.heartbeat import heartbeat
from survival.jobs.services import (
    UNEXPECTED,
    job_fail,
    job_start,
    job_succeed,
    jobs_fail_stale,
    jobs_purge_expired,
)
from survival.models import Job

logger = logging.getLogger(__name__)


class JobOutcome:
    """What the work produced: a summary for the page and, optionally, a file."""

    def __init__(
        self, result: dict[str, Any], file: bytes | None = None, filename: str = ""
    ) -> None:
        self.result = result
        self.file = file
        self.filename = filename


def run_job(job_id: str, work: Callable[[Job], JobOutcome]) -> dict[str, Any]:
    """Runs `work(job)` for a queued job and records its outcome on the job's row.

    Returns a short summary, kept as the task's return value. Raises again what made the
    job fail, so the task's own row says "failed" too, with the traceback for the log.
    """
    jobs_purge_expired()
    # A job whose worker died is marked failed here too, not only when someone looks at it:
    # with a worker per host, a surviving worker clears what a dead one left "running".
    jobs_fail_stale()
    if not job_start(job_id=job_id):
        # Already taken, finished or marked failed (e.g. by a stale check): nothing to do.
        logger.warning("job %s is not queued; not running it", job_id)
        return {"job": job_id, "skipped": True}
    job = Job.objects.get(pk=job_id)
    try:
        with heartbeat(job_id=job_id):
            outcome = work(job)
    except PredictorError as exc:
        job_fail(job_id=job_id, error=exc.message)
        raise
    except Exception:
        logger.exception("job %s stopped on an unexpected error", job_id)
        job_fail(job_id=job_id, error=UNEXPECTED)
        raise
    job_succeed(
        job_id=job_id,
        result=outcome.result,
        result_file=outcome.file,
        result_filename=outcome.filename,
    )
    return {"job": job_id, "state": Job.State.SUCCEEDED}
