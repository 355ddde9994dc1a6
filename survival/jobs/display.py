"""What a job's page shows, worked out from its row: the percentage done, the time it has
run and, from its pace so far, how long it may still take."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils import timezone

from survival.jobs.services import job_files_expired
from survival.models import Job

# Below this share done the pace says too little to extrapolate from.
ETA_MIN_FRACTION = 0.02


@dataclass(frozen=True)
class JobDisplay:
    """A job as its page shows it.

    Attributes:
        job: the row.
        percent: progress, 0–100, a whole number.
        elapsed_seconds: since a worker took it (to its end once finished); None if queued.
        eta_seconds: while it runs, the time left if the rest goes at the pace so far
            (elapsed × (1 − done) / done); None when nothing can be said yet.
        waited_seconds: how long it has been queued, while no worker has taken it.
        expired: "" while its files are kept, else when they were deleted.
    """

    job: Job
    percent: int
    elapsed_seconds: float | None
    eta_seconds: float | None
    waited_seconds: float | None
    expired: str


def remaining_seconds(*, elapsed: float, fraction: float) -> float | None:
    """At the same pace, the time the rest takes; None before ETA_MIN_FRACTION is done."""
    if fraction < ETA_MIN_FRACTION or fraction >= 1:
        return None
    return elapsed * (1 - fraction) / fraction


def job_display(*, job: Job) -> JobDisplay:
    elapsed = job.duration_seconds
    eta = None
    if job.state == Job.State.RUNNING and elapsed is not None:
        eta = remaining_seconds(elapsed=elapsed, fraction=job.progress)
    waited = None
    if job.state == Job.State.QUEUED:
        waited = (timezone.now() - job.created_at).total_seconds()
    return JobDisplay(
        job=job,
        percent=int(job.progress * 100),
        elapsed_seconds=elapsed,
        eta_seconds=eta,
        waited_seconds=waited,
        expired=job_files_expired(job=job),
    )
