"""A job's page and download without a worker: the large upload is queued and answered at
once, the page polls (or refreshes without JavaScript) while the job is unfinished, the ETA
is what the pace says, expired files say so, training jobs are for staff, the admin lists
jobs with their timings, and a 50,000-row file fits the upload limits."""

from __future__ import annotations

from datetime import timedelta
from http import HTTPStatus

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from survival.batch.uploads import rows_check
from survival.jobs.display import remaining_seconds
from survival.jobs.services import job_progress, job_start, jobs_fail_stale
from survival.models import Job

pytestmark = pytest.mark.django_db

KAGGLE_HEADER = "PassengerId,Pclass,Name,Sex,Age,SibSp,Parch,Ticket,Fare,Cabin,Embarked\n"


def kaggle_rows(count: int) -> str:
    row = '{id},3,"Kelly, Mr. James",male,34.5,0,0,330911,7.8292,,Q\n'
    return KAGGLE_HEADER + "".join(row.format(id=892 + i) for i in range(count))


def queue_batch(client, rows: int = 4, **headers):
    upload = SimpleUploadedFile("big.csv", kaggle_rows(rows).encode())
    return client.post("/batch/", {"file": upload}, **headers)


def test_a_large_upload_is_queued_and_answered_at_once(client, settings, active_version):
    settings.BATCH_BACKGROUND_ROWS = 3
    response = queue_batch(client)
    job = Job.objects.get()
    assert response.status_code == HTTPStatus.SEE_OTHER
    assert response["Location"] == f"/jobs/{job.pk}/"
    assert (job.kind, job.state, job.parameters) == (Job.Kind.BATCH, "queued", {"rows": 4})
    assert bytes(job.input_file).startswith(KAGGLE_HEADER.encode())
    assert job.task_id

    html = client.get(response["Location"]).content.decode()
    assert 'data-state="queued"' in html
    assert "Waiting for a worker" in html
    assert '<progress id="job-progress"' in html
    # htmx polls the status; without JavaScript the page refreshes itself.
    assert f'hx-get="/jobs/{job.pk}/" hx-trigger="every 1s" hx-swap="outerHTML"' in html
    assert '<noscript><meta http-equiv="refresh" content="2"></noscript>' in html


def test_an_htmx_upload_goes_to_the_job_page(client, settings, active_version):
    settings.BATCH_BACKGROUND_ROWS = 3
    response = queue_batch(client, HTTP_HX_REQUEST="true")
    assert response["HX-Redirect"] == f"/jobs/{Job.objects.get().pk}/"


def test_small_files_stay_in_the_request_and_are_recorded_as_jobs(client, active_version):
    response = queue_batch(client, rows=4)
    assert response.status_code == HTTPStatus.OK
    job = Job.objects.get()
    assert (job.state, job.in_request, job.progress) == ("succeeded", True, 1.0)
    assert f'href="/jobs/{job.pk}/download"' in response.content.decode()


def test_the_page_shows_progress_and_an_eta_from_the_pace(client, settings, active_version):
    settings.BATCH_BACKGROUND_ROWS = 3
    queue_batch(client)
    job = Job.objects.get()
    assert job_start(job_id=str(job.pk))
    Job.objects.filter(pk=job.pk).update(started_at=timezone.now() - timedelta(seconds=30))
    job_progress(job_id=str(job.pk), fraction=0.25, message="Scored 1 of 4 valid rows")
    html = client.get(f"/jobs/{job.pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in html
    assert 'value="25"' in html
    assert "25%</strong> · Scored 1 of 4 valid rows" in html
    # A quarter in 30 s: the other three quarters take about 90 s at that pace.
    assert "About 90 s left at the pace so far (running for 30 s)" in html


def test_eta_is_the_rest_at_the_same_pace():
    assert remaining_seconds(elapsed=10, fraction=0.5) == 10
    assert remaining_seconds(elapsed=30, fraction=0.75) == pytest.approx(10)
    assert remaining_seconds(elapsed=5, fraction=0.0) is None
    assert remaining_seconds(elapsed=5, fraction=1.0) is None


def test_expired_files_say_so(client, active_version):
    queue_batch(client)
    job = Job.objects.get()
    Job.objects.filter(pk=job.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    response = client.get(reverse("survival:job_download", args=[job.pk]))
    assert response.status_code == HTTPStatus.GONE
    assert "The files of this job were deleted on" in response.content.decode()
    page = client.get(f"/jobs/{job.pk}/").content.decode()
    assert 'id="batch-expired"' in page
    assert 'id="batch-download"' not in page
    # The next scored file (or the next job a worker takes) deletes the expired bytes.
    queue_batch(client)
    job.refresh_from_db()
    assert job.result_file is None
    assert job.input_file is None


def test_a_stale_running_job_is_marked_failed(settings, active_version, client):
    settings.BATCH_BACKGROUND_ROWS = 3
    queue_batch(client)
    job = Job.objects.get()
    job_start(job_id=str(job.pk))
    Job.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - timedelta(seconds=61))
    assert jobs_fail_stale() == 1
    job.refresh_from_db()
    assert job.state == "failed"
    assert "The worker running this job stopped (no sign of life for 60 s)" in job.error


def test_training_pages_are_for_staff_only(client):
    job = Job.objects.create(kind=Job.Kind.TRAIN, parameters={})
    response = client.get(f"/jobs/{job.pk}/")
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"].startswith("/admin/login/")
    visitor = get_user_model().objects.create_user("visitor", password="pw")
    client.force_login(visitor)
    assert client.get(f"/jobs/{job.pk}/").status_code == HTTPStatus.FORBIDDEN


def test_the_admin_lists_jobs_with_who_and_when(admin_client, active_version):
    admin_client.post("/batch/", {"file": SimpleUploadedFile("a.csv", kaggle_rows(2).encode())})
    html = admin_client.get("/admin/survival/job/").content.decode()
    for column in ("state", "created by", "queued at", "started at", "finished at", "duration"):
        assert column in html.lower()
    assert "Succeeded" in html
    assert "admin</td>" in html  # who started it
    assert "in the upload&#x27;s request" in html
    assert "Train a new version…" in html
    versions = admin_client.get("/admin/survival/modelversion/").content.decode()
    assert 'href="/admin/survival/job/train/"' in versions


def test_a_50000_row_file_fits_the_upload_limits(client, settings, active_version):
    """The default limits (10 MB, 200,000 rows) take a 50,000-row Kaggle file, which is then
    queued as a job (it is over BATCH_BACKGROUND_ROWS)."""
    content = kaggle_rows(50_000).encode()
    assert len(content) < settings.BATCH_MAX_UPLOAD_BYTES
    assert rows_check(raw=content) == 50_000 > settings.BATCH_BACKGROUND_ROWS
    response = client.post("/batch/", {"file": SimpleUploadedFile("big.csv", content)})
    assert response.status_code == HTTPStatus.SEE_OTHER
    assert Job.objects.get().parameters == {"rows": 50_000}
