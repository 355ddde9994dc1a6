"""The operations pages, for staff who may see the registry: every version's totals from the
prediction log, and per version its predictions and feedback per day, its live accuracy and
the calibration of its logged predictions against their feedback, as charts and tables.

They live beside the admin (under /admin/operations/, in its look and its login) but are not
part of a ModelAdmin: they only read, and the registry knows nothing of this room."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from django.contrib import admin
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.decorators import permission_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from survival.models import ModelVersion
from survival.ops.forms import PeriodForm
from survival.ops.selectors import (
    DayActivity,
    ReliabilityBin,
    VersionActivity,
    ops_version_activity,
    ops_version_daily,
    ops_version_reliability,
    ops_versions_activity,
)
from survival.registry import selectors

# Seeing the registry in the admin is what lets someone see how its versions do.
VIEW_PERMISSION = "survival.view_modelversion"
OVERVIEW_TEMPLATE = "admin/survival/operations/overview.html"
VERSION_TEMPLATE = "admin/survival/operations/version.html"


@staff_member_required
@permission_required(VIEW_PERMISSION, raise_exception=True)
@require_safe
@never_cache
def overview(request: HttpRequest) -> HttpResponse:
    """Every version with its logged predictions, feedback, live accuracy and Brier score."""
    activity = ops_versions_activity()
    context = {
        **admin.site.each_context(request),
        "title": "Operations: every version in service",
        "activity": activity,
        "any_predictions": any(row.predictions for row in activity),
    }
    return render(request, OVERVIEW_TEMPLATE, context)


@staff_member_required
@permission_required(VIEW_PERMISSION, raise_exception=True)
@require_safe
@never_cache
def version_operations(request: HttpRequest, number: int) -> HttpResponse:
    """One version: its totals, and, when it has any, the per-day and calibration charts
    with their numbers. A refused period is the page again (400) naming the rule."""
    version = selectors.model_version_get(number=number)
    if version is None:
        raise Http404(selectors.VERSION_NOT_FOUND.format(number=number))
    form = PeriodForm(request.GET or None)
    status = HTTPStatus.BAD_REQUEST if form.is_bound and not form.is_valid() else HTTPStatus.OK
    activity = ops_version_activity(version=version)
    context: dict[str, Any] = {
        **admin.site.each_context(request),
        "title": f"Operations of version {version.version}",
        "version": version,
        "activity": activity,
        "holdout_accuracy": version.metric("holdout", "accuracy"),
        "form": form,
        "days": form.chosen_days(),
    }
    if activity.predictions:
        if status == HTTPStatus.OK:
            context.update(_daily_sections(version, activity, days=form.chosen_days()))
        if activity.with_feedback:
            context.update(_reliability_section(version, activity))
    return render(request, VERSION_TEMPLATE, context, status=status)


def _daily_sections(
    version: ModelVersion, activity: VersionActivity, *, days: int
) -> dict[str, Any]:
    # matplotlib is imported by the pages that draw, not when Django starts.
    from survival.ops.charts import accuracy_chart, daily_chart

    daily: list[DayActivity] = ops_version_daily(version=version, days=days)
    dates = [row.day for row in daily]
    return {
        "daily": daily,
        "daily_chart": daily_chart(
            days=dates,
            predictions=[row.predictions for row in daily],
            feedback=[row.feedback_received for row in daily],
        ),
        "accuracy_chart": accuracy_chart(
            days=dates,
            accuracy=[row.accuracy for row in daily],
            overall=activity.accuracy,
            holdout=version.metric("holdout", "accuracy"),
        )
        if activity.with_feedback
        else None,
    }


def _reliability_section(version: ModelVersion, activity: VersionActivity) -> dict[str, Any]:
    from survival.ops.charts import reliability_chart

    bins: list[ReliabilityBin] = ops_version_reliability(version=version)
    filled = [row for row in bins if row.predictions]
    return {
        "reliability": bins,
        "reliability_chart": reliability_chart(
            predicted=[row.mean_probability for row in filled],
            observed=[row.observed_rate for row in filled],
            counts=[row.predictions for row in filled],
            brier=activity.brier,
        ),
    }
