"""Background jobs: each job's whole life in one row, readable from any host."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models


class Job(models.Model):
    """Long work started from a page and done by a worker (see survival/jobs/): training a
    model from the admin, or scoring a large CSV. Everything about a job lives in this row,
    so any host's web process can show it and any host's worker can run it.

    Attributes:
        id: a random UUID; the job's page is /jobs/<id>/, so the link is its own key.
        kind: train or batch.
        state: queued → running → succeeded or failed.
        created_by: who started it (None for a visitor of the public /batch page).
        created_at, started_at, finished_at: when it was queued, taken by a worker, ended.
        heartbeat_at: the last sign of life from the worker running it; a running job
            silent for longer than JOB_STALE_SECONDS is marked failed (its worker died).
        task_id: the id of the queued task (django-tasks' result row) that runs it.
        parameters: what it was asked to do (algorithm, metric, seed, …).
        progress: how far it is, 0–1; progress_message says the same in words;
            progress_detail holds the structured step (candidate, setting, fold, rows).
        input_name, input_file: the uploaded CSV (empty for the bundled data).
        result: what it produced, for the page (version, metrics, gate; or the summary).
        result_file, result_filename: a file to download (the scored CSV).
        expires_at: when the uploaded and produced files are dropped.
        error: why it failed, for a person; the traceback is in the worker's log.
        in_request: whether it ran inside the upload's own request (a small batch).
    """

    class Kind(models.TextChoices):
        TRAIN = "train", "Training"
        BATCH = "batch", "Batch scoring"

    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    state = models.CharField(
        max_length=10, choices=State.choices, default=State.QUEUED, db_index=True
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField("queued at", auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    task_id = models.CharField(max_length=64, blank=True)
    parameters = models.JSONField(default=dict)
    progress = models.FloatField(default=0)
    progress_message = models.CharField(max_length=200, blank=True)
    progress_detail = models.JSONField(default=dict, blank=True)
    input_name = models.CharField(max_length=255, blank=True)
    input_file = models.BinaryField(null=True, blank=True)
    result = models.JSONField(default=dict, blank=True)
    result_file = models.BinaryField(null=True, blank=True)
    result_filename = models.CharField(max_length=255, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)
    in_request = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {str(self.id)[:8]} ({self.get_state_display()})"

    @property
    def is_finished(self) -> bool:
        return self.state in (self.State.SUCCEEDED, self.State.FAILED)

    @property
    def duration_seconds(self) -> float | None:
        """Seconds from start to finish (or until now while it runs); None if not started."""
        if self.started_at is None:
            return None
        from django.utils import timezone

        end = self.finished_at or timezone.now()
        return (end - self.started_at).total_seconds()
