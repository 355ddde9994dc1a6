"""A job's page (/jobs/<id>/) and its download. The page polls itself with htmx while the
job is queued or running (a <noscript> refresh does the same without JavaScript), then shows
the result. Training jobs are for staff; a batch job's page is open to whoever has the link
(its id is a random UUID)."""

from __future__ import annotations

from http import HTTPStatus
from uuid import UUID

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from django.views.decorators.vary import vary_on_headers

from survival.jobs.display import job_display
from survival.jobs.services import JobNotFoundError, job_get
from survival.models import Job
from survival.pages import HtmxHttpRequest

PAGE = "survival/job.html"
HTMX_ANSWER = "survival/job.html#job-status"
VIEW_TRAINING_PERMISSION = "survival.view_job"
# How often the page asks again while the job is not finished.
POLL_SECONDS = 1
NO_FILE = "This job has no file to download."


@require_safe
@never_cache
@vary_on_headers("HX-Request")
def job_page(request: HtmxHttpRequest, job_id: UUID) -> HttpResponse:
    job = _job_for(request, job_id)
    if isinstance(job, HttpResponse):
        return job
    context = {"view": job_display(job=job), "poll_seconds": POLL_SECONDS}
    template = HTMX_ANSWER if request.htmx else PAGE
    return render(request, template, context)


@require_safe
@never_cache
def job_download(request: HtmxHttpRequest, job_id: UUID) -> HttpResponse:
    job = _job_for(request, job_id)
    if isinstance(job, HttpResponse):
        return job
    view = job_display(job=job)
    if view.expired:
        # 410: it was here and is gone for good; the page says when and why.
        context = {"view": view, "poll_seconds": POLL_SECONDS}
        return render(request, PAGE, context, status=HTTPStatus.GONE)
    content = Job.objects.filter(pk=job.pk).values_list("result_file", flat=True).first()
    if content is None:
        raise Http404(NO_FILE)
    response = HttpResponse(bytes(content), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{job.result_filename}"'
    return response


def _job_for(request: HtmxHttpRequest, job_id: UUID) -> Job | HttpResponse:
    try:
        job = job_get(job_id=job_id)
    except JobNotFoundError as exc:
        raise Http404(exc.message) from exc
    if job.kind == Job.Kind.TRAIN and not request.user.has_perm(VIEW_TRAINING_PERMISSION):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), login_url=reverse("admin:login"))
        raise PermissionDenied
    return job
