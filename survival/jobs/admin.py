"""Jobs in the admin: the list (kind, state, who started it, when it was queued, started and
ended, how long it ran) and the "Train a new version" page that queues a training job.
Jobs are made by pages and run by workers: nothing about one is edited here."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse

from survival.jobs.forms import TrainingForm
from survival.jobs.services import jobs_fail_stale
from survival.jobs.tasks import training_job_submit
from survival.models import Job

TRAIN_PERMISSION = "survival.add_job"
ACTIVATE_PERMISSION = "survival.activate_modelversion"
TRAIN_TEMPLATE = "admin/survival/job/train.html"
LINK_TEMPLATE = "admin/survival/job/link.html"
# Shown on the list; the files themselves are only read by the job's own pages.
LIST_FIELDS = [
    "id",
    "kind",
    "state",
    "created_by",
    "created_at",
    "started_at",
    "finished_at",
    "progress",
    "progress_message",
    "input_name",
    "parameters",
    "result",
    "error",
    "in_request",
    "expires_at",
    "task_id",
    "heartbeat_at",
]


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = [
        "short_id",
        "kind",
        "state",
        "created_by",
        "created_at",
        "started_at",
        "finished_at",
        "duration",
        "where",
        "page",
    ]
    list_filter = ["kind", "state", "in_request"]
    list_select_related = ["created_by"]
    ordering = ["-created_at"]
    readonly_fields = [*LIST_FIELDS, "duration", "page"]
    fields = readonly_fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[Job]:
        # The uploaded and scored files can be megabytes: the admin never needs them.
        return super().get_queryset(request).defer("input_file", "result_file")

    def get_urls(self) -> list[URLPattern]:
        wrap = self.admin_site.admin_view
        return [
            path("train/", wrap(self.train_view), name="survival_job_train"),
            *super().get_urls(),
        ]

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        jobs_fail_stale()
        context = {"can_train": request.user.has_perm(TRAIN_PERMISSION), **(extra_context or {})}
        return super().changelist_view(request, extra_context=context)

    def train_view(self, request: HttpRequest) -> HttpResponse:
        """The form (GET); on a valid POST the job is queued and the browser goes to its
        page at once; a refused form comes back with the reasons (422), nothing queued."""
        if not request.user.has_perm(TRAIN_PERMISSION):
            raise PermissionDenied
        may_activate = request.user.has_perm(ACTIVATE_PERMISSION)
        form = TrainingForm(request.POST or None, request.FILES or None, may_activate=may_activate)
        status = HTTPStatus.OK
        if request.method == "POST":
            if form.is_valid():
                data = form.cleaned_data
                job = training_job_submit(
                    by=request.user,
                    algorithm=data["algorithm"],
                    metric=data["metric"],
                    seed=data["seed"],
                    activate=data["activate"],
                    upload_name=data["file"].name if data["file"] else "",
                    upload=data.get("upload_bytes"),
                )
                return HttpResponseRedirect(reverse("survival:job", args=[job.pk]))
            status = HTTPStatus.UNPROCESSABLE_ENTITY
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Train a new version",
            "form": form,
        }
        return TemplateResponse(request, TRAIN_TEMPLATE, context, status=status)

    @admin.display(description="job")
    def short_id(self, job: Job) -> str:
        return str(job.pk)[:8]

    @admin.display(description="duration")
    def duration(self, job: Job) -> str:
        seconds = job.duration_seconds
        return "—" if seconds is None else f"{seconds:.1f} s"

    @admin.display(description="ran")
    def where(self, job: Job) -> str:
        return "in the upload's request" if job.in_request else "by a worker"

    @admin.display(description="page")
    def page(self, job: Job) -> str:
        url = reverse("survival:job", args=[job.pk])
        return render_to_string(LINK_TEMPLATE, {"url": url, "text": f"Job {str(job.pk)[:8]}"})

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Job | None = None) -> bool:
        return False
