"""Background jobs with a real worker process (`manage.py db_worker`, started by the test on
the test's own database): a training job from the admin runs to the end and registers a
version, a bad CSV is refused before anything is queued, a batch job's download keeps every
line with its ids and the rejects, and a killed worker's job ends marked failed."""

from __future__ import annotations

import csv
import io
import os
import re
import signal
import time
from collections.abc import Callable
from datetime import timedelta
from http import HTTPStatus

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from survival.jobs.services import WORKER_STOPPED
from survival.models import Job, ModelVersion

TRAIN_URL = "/admin/survival/job/train/"
# Bounded waits for the worker; nothing here is timed.
JOB_TIMEOUT_SECONDS = 240

KAGGLE_HEADER = "PassengerId,Pclass,Name,Sex,Age,SibSp,Parch,Ticket,Fare,Cabin,Embarked\n"


def wait_for(condition: Callable[[], object], what: str, timeout: float = JOB_TIMEOUT_SECONDS):
    """Polls `condition` until it returns something true; fails after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def finished(job: Job) -> Job:
    def state() -> Job | None:
        job.refresh_from_db()
        return job if job.is_finished else None

    return wait_for(state, f"job {job.pk} to finish")


@pytest.fixture
def admin_client(db, client):
    user = get_user_model().objects.create_superuser("boss", "boss@localhost", "a-long-password")
    client.force_login(user)
    return client


def train_form(**changes) -> dict:
    return {
        "algorithm": "logreg",
        "metric": "roc_auc",
        "seed": "7",
        "data": "bundled",
        "activate": "on",
        **changes,
    }


def test_a_training_job_from_the_admin_runs_to_the_end_and_registers_a_version(
    admin_client, job_worker, small_titanic_csv
):
    upload = SimpleUploadedFile("small.csv", small_titanic_csv.read_bytes())
    response = admin_client.post(TRAIN_URL, train_form(data="upload", file=upload))
    assert response.status_code == HTTPStatus.FOUND
    job = Job.objects.get()
    assert response["Location"] == reverse("survival:job", args=[job.pk])
    assert job.kind == Job.Kind.TRAIN
    assert job.created_by.username == "boss"

    # The page follows the job: while it runs it says which candidate, setting and fold.
    seen: set[str] = set()

    def page_shows_the_end() -> bool:
        html = admin_client.get(response["Location"], HTTP_HX_REQUEST="true").content.decode()
        seen.add(html)
        return 'data-state="succeeded"' in html or 'data-state="failed"' in html

    wait_for(page_shows_the_end, "the job page to show the end")
    assert any("setting 2/3, fold" in html for html in seen)
    job = finished(job)
    assert job.state == Job.State.SUCCEEDED, job.error
    version = ModelVersion.objects.get()
    assert version.is_active
    assert version.data_rows == 328
    assert job.result["version"] == version.version
    assert job.progress_detail["stage"] == "final"
    assert job.started_at <= job.finished_at

    html = admin_client.get(response["Location"]).content.decode()
    assert f"Registered version {version.version} (Logistic regression), now active" in html
    assert "The promotion gate passes" in html
    assert reverse("survival:model_card", args=[version.version]) in html
    assert f"{version.holdout_metrics['roc_auc']:.3f}" in html
    # Every cell of the metrics table is a number the version recorded, none left blank.
    accuracy = re.search(r'<th scope="row">Accuracy</th><td>([^<]*)</td><td>([^<]*)</td>', html)
    assert accuracy.groups() == (
        f"{version.cv_metrics['accuracy']['mean']:.3f}",
        f"{version.holdout_metrics['accuracy']:.3f}",
    )
    # Finished: the page no longer polls, nor refreshes itself.
    assert "hx-trigger" not in html
    assert 'http-equiv="refresh"' not in html


def test_a_bad_csv_is_refused_with_its_line_numbers_and_nothing_is_queued(admin_client):
    lines = open_bundled_lines()
    bad = lines[0] + lines[1] + lines[2].replace(",male,", ",robot,", 1) + lines[3]
    bad += lines[4].replace(",female,", ",robot,", 1) if ",female," in lines[4] else lines[4]
    upload = SimpleUploadedFile("bad.csv", bad.encode())
    response = admin_client.post(TRAIN_URL, train_form(data="upload", file=upload))
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    html = response.content.decode()
    assert "column &#x27;sex&#x27; must be one of female, male (lines 3" in html
    assert not Job.objects.exists()


def test_training_without_a_file_or_permission_is_refused(admin_client, client):
    response = admin_client.post(TRAIN_URL, train_form(data="upload"))
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert "choose a CSV file to upload" in response.content.decode()
    staff = get_user_model().objects.create_user("clerk", password="pw", is_staff=True)
    client.force_login(staff)
    assert client.get(TRAIN_URL).status_code == HTTPStatus.FORBIDDEN
    assert not Job.objects.exists()


def open_bundled_lines() -> list[str]:
    from ml_pipeline.data import BUNDLED_DATA

    return BUNDLED_DATA.read_text(encoding="utf-8").splitlines(keepends=True)


def test_a_batch_job_download_has_every_line_its_ids_and_the_rejects(
    client, settings, job_worker, active_version
):
    settings.BATCH_BACKGROUND_ROWS = 10
    rows = [
        f'{900 + i},3,"Person, Mr. Number {i}",male,{20 + i},0,0,A{i},7.25,,S\n' for i in range(30)
    ]
    rows[4] = '904,3,"Odd, Mr. Age",male,old,0,0,A4,7.25,,S\n'  # line 6
    rows[20] = '920,9,"Odd, Mr. Class",male,30,0,0,A20,7.25,,S\n'  # line 22
    upload = SimpleUploadedFile("test.csv", (KAGGLE_HEADER + "".join(rows)).encode())
    response = client.post("/batch/", {"file": upload})
    assert response.status_code == HTTPStatus.SEE_OTHER
    job = finished(Job.objects.get())
    assert job.state == Job.State.SUCCEEDED, job.error
    assert not job.in_request

    page = client.get(response["Location"]).content.decode()
    assert "28 rows scored" in page
    download = client.get(reverse("survival:job_download", args=[job.pk]))
    assert download.status_code == HTTPStatus.OK
    assert download["Content-Disposition"] == 'attachment; filename="test-scored.csv"'
    table = list(csv.DictReader(io.StringIO(download.content.decode())))
    assert list(table[0]) == [
        "line",
        "PassengerId",
        "Name",
        "survived",
        "probability",
        "model_version",
        "error",
    ]
    assert [row["line"] for row in table] == [str(line) for line in range(2, 32)]
    assert [row["PassengerId"] for row in table] == [str(900 + i) for i in range(30)]
    rejected = {row["line"]: row for row in table if row["error"]}
    assert set(rejected) == {"6", "22"}
    assert rejected["6"]["error"] == "column 'age' must be a number"
    assert rejected["22"]["error"] == "column 'pclass' must be one of 1, 2, 3"
    assert rejected["6"]["survived"] == rejected["6"]["probability"] == ""
    scored = [row for row in table if not row["error"]]
    assert all(row["model_version"] == str(active_version.version) for row in scored)
    assert all(row["survived"] == str(int(float(row["probability"]) >= 0.5)) for row in scored)


def test_a_batch_job_that_cannot_score_its_file_says_why(
    client, settings, job_worker, active_version
):
    settings.BATCH_BACKGROUND_ROWS = 2
    upload = SimpleUploadedFile("cols.csv", b"pclass,sex\n1,male\n2,female\n3,male\n")
    response = client.post("/batch/", {"file": upload})
    job = finished(Job.objects.get())
    assert job.state == Job.State.FAILED
    html = client.get(response["Location"]).content.decode()
    assert "The job failed:" in html
    assert "missing required columns: age, sibsp, parch, fare, embarked" in html
    assert "Traceback" not in html


def test_a_killed_worker_does_not_leave_its_job_running(admin_client, job_worker):
    from django_tasks_db.models import DBTaskResult

    # Every candidate on the whole bundled data: long enough to be killed in the middle.
    response = admin_client.post(TRAIN_URL, train_form(algorithm="auto"))
    job = Job.objects.get()

    def running() -> bool:
        job.refresh_from_db()
        return job.state == Job.State.RUNNING and job.progress_detail.get("fold", 0) > 0

    wait_for(running, "the worker to start the job")
    os.killpg(job_worker.pid, signal.SIGKILL)
    job_worker.wait()

    def page_says_failed() -> str | None:
        html = admin_client.get(response["Location"], HTTP_HX_REQUEST="true").content.decode()
        return html if 'data-state="failed"' in html else None

    html = wait_for(page_says_failed, "the job to be marked failed", 30)
    job.refresh_from_db()
    assert job.state == Job.State.FAILED
    message = WORKER_STOPPED.format(seconds=3)
    assert job.error == message
    assert message.replace("'", "&#x27;") in html
    assert DBTaskResult.objects.get(pk=job.task_id).status == "FAILED"
    assert not ModelVersion.objects.exists()


def test_a_killed_workers_job_is_failed_by_the_next_worker_and_keeps_its_upload(
    admin_client, start_job_worker, small_titanic_csv, settings, active_version
):
    from django_tasks_db.models import DBTaskResult

    first = start_job_worker()
    upload = SimpleUploadedFile("small.csv", small_titanic_csv.read_bytes())
    admin_client.post(TRAIN_URL, train_form(algorithm="auto", data="upload", file=upload))
    job = Job.objects.get()

    def running() -> bool:
        job.refresh_from_db()
        return job.state == Job.State.RUNNING and job.progress_detail.get("fold", 0) > 0

    wait_for(running, "the worker to start the job")
    os.killpg(first.pid, signal.SIGKILL)
    first.wait()

    # Until JOB_STALE_SECONDS have passed since its last beat, the job may still be alive.
    def silent_long_enough() -> bool:
        job.refresh_from_db()
        return job.heartbeat_at < timezone.now() - timedelta(seconds=3)

    wait_for(silent_long_enough, "the dead worker's job to fall silent", 30)
    assert Job.objects.get(pk=job.pk).state == Job.State.RUNNING
    # No page looks at the job: the worker of another host takes the next job and, before
    # it, marks the dead worker's job failed.
    start_job_worker()
    settings.BATCH_BACKGROUND_ROWS = 2
    rows = "".join(f"{i},3,Name,male,30,0,0,T,7.25,,S\n" for i in range(5))
    upload = SimpleUploadedFile("b.csv", (KAGGLE_HEADER + rows).encode())
    admin_client.post("/batch/", {"file": upload})
    finished(Job.objects.get(kind=Job.Kind.BATCH))
    job.refresh_from_db()
    assert job.state == Job.State.FAILED
    assert job.error == WORKER_STOPPED.format(seconds=3)
    assert DBTaskResult.objects.get(pk=job.task_id).status == "FAILED"
    # Nothing of the upload is lost: it is in the job's row until JOB_RESULT_HOURS.
    assert bytes(job.input_file) == small_titanic_csv.read_bytes()
    assert list(ModelVersion.objects.all()) == [active_version]
