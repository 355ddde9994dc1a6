"""The /batch page: upload a CSV of passengers, see a summary, download the scored file.
One template, two answers: the whole page, or for htmx only the result.

A file of up to BATCH_BACKGROUND_ROWS rows is scored in the request; a larger one is queued
as a background job and the browser goes to the job's page, which shows its progress. Either
way the scored file is kept in the database as a job's result and downloaded from
/jobs/<id>/download until it expires (JOB_RESULT_HOURS)."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from django.conf import settings
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from django.views.decorators.vary import vary_on_headers

from ml_pipeline.errors import PredictorError
from survival.batch.download import download_filename, scored_table_to_download
from survival.batch.services import passengers_score_csv
from survival.batch.tasks import batch_job_submit, summary_record
from survival.batch.uploads import MEGABYTE, rows_check, scored_table_summarize, upload_check
from survival.jobs.services import job_record_finished
from survival.models import Job
from survival.pages import HtmxHttpRequest, show_problem
from survival.registry import selectors

PAGE = "survival/batch.html"
HTMX_ANSWER = "survival/batch.html#batch-result"


@require_http_methods(["GET", "HEAD", "POST"])
@never_cache
@vary_on_headers("HX-Request")
def batch(request: HtmxHttpRequest) -> HttpResponse:
    context = _page_context()
    if request.method in ("GET", "HEAD"):
        return render(request, PAGE, context)

    status = HTTPStatus.OK
    upload = request.FILES.get("file")
    try:
        upload_check(name=upload.name if upload else None, size=upload.size if upload else 0)
        raw = upload.read()
        rows = rows_check(raw=raw)
        if rows > settings.BATCH_BACKGROUND_ROWS:
            # A missing model is said now, not after the file waited in the queue.
            selectors.model_version_resolve()
            job = batch_job_submit(by=request.user, upload_name=upload.name, raw=raw, rows=rows)
            return _go_to(request, reverse("survival:job", args=[job.pk]))
        started = timezone.now()
        table = passengers_score_csv(raw=raw, source=upload.name)
    except PredictorError as exc:
        status = show_problem(context, exc)
    else:
        summary = scored_table_summarize(table=table)
        job = job_record_finished(
            kind=Job.Kind.BATCH,
            by=request.user,
            parameters={"rows": rows},
            input_name=upload.name,
            result=summary_record(summary),
            result_file=scored_table_to_download(table=table),
            result_filename=download_filename(upload_name=upload.name),
            started_at=started,
        )
        context.update(summary=summary, job=job, upload_name=upload.name)
    template = HTMX_ANSWER if request.htmx else PAGE
    return render(request, template, context, status=status)


def _go_to(request: HtmxHttpRequest, url: str) -> HttpResponse:
    """To the job's page: a 303 for a plain form; for htmx, HX-Redirect makes the browser
    load it (the page's own polling then takes over)."""
    if request.htmx:
        response = HttpResponse(status=HTTPStatus.NO_CONTENT)
        response["HX-Redirect"] = url
        return response
    return HttpResponseRedirect(url, status=HTTPStatus.SEE_OTHER)


def _page_context() -> dict[str, Any]:
    return {
        "active_version": selectors.model_version_get_active(),
        "max_megabytes": f"{settings.BATCH_MAX_UPLOAD_BYTES / MEGABYTE:g}",
        "max_rows": f"{settings.BATCH_MAX_ROWS:,}",
        "background_rows": f"{settings.BATCH_BACKGROUND_ROWS:,}",
        "result_hours": f"{settings.JOB_RESULT_HOURS:g}",
    }
