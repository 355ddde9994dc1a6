"""A running job's sign of life: a thread that touches the job's row while the work goes on,
however long one step takes (one fold of a big forest, a permutation importance). When the
worker dies, the beats stop, and `jobs_fail_stale` marks the job failed."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.db import connection

from survival.jobs.services import job_beat

BEATS_PER_STALE_PERIOD = 6


@contextmanager
def heartbeat(*, job_id: str) -> Iterator[None]:
    stop = threading.Event()
    interval = settings.JOB_STALE_SECONDS / BEATS_PER_STALE_PERIOD

    def beat() -> None:
        try:
            while not stop.wait(interval):
                job_beat(job_id=job_id)
        finally:
            # The thread's own database connection; Django does not close it for us.
            connection.close()

    thread = threading.Thread(target=beat, name=f"job-{job_id[:8]}-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
