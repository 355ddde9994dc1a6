"""The model pages: every version, and each version's model card with its plots.

Every number shown is the one stored at training time; the plots were drawn then too and are
read by name like the model file: this host's cached copy when it matches the sha256 stored
with the plot's bytes in the database, else those bytes (see registry/store.py). Only the plot
names a version recorded can be asked for, so no other file (least of all a model file) is
reachable.
"""

from __future__ import annotations

from typing import Any

from csp.decorators import csp
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe

from ml_pipeline.constants import METRIC_LABELS
from survival.models import ModelVersion
from survival.registry import selectors, store
from survival.registry.cards import data_rows, importance_rows, metric_rows, setting_rows

PLOT_NOT_FOUND = "Model version {number} has no plot called {name!r}."
# What a plot may do when opened on its own: draw itself with inline styles, nothing else.
PLOT_CONTENT_SECURITY_POLICY = {"default-src": ["'none'"], "style-src": ["'unsafe-inline'"]}


@require_safe
@cache_control(no_cache=True)
def model_list(request: HttpRequest) -> HttpResponse:
    return render(
        request, "survival/models/list.html", {"versions": selectors.model_version_list()}
    )


@require_safe
@cache_control(no_cache=True)
def model_card(request: HttpRequest, number: int) -> HttpResponse:
    version = _version_or_404(number)
    stored = store.stored_names(version)
    context: dict[str, Any] = {
        "version": version,
        "metric_rows": metric_rows(version),
        "setting_rows": setting_rows(version),
        "data_rows": data_rows(version),
        "importance_rows": importance_rows(version),
        "params": sorted(version.params.items()),
        "selection_metric": METRIC_LABELS.get(version.selection_metric, ""),
        "calibration": version.evaluation.get("calibration"),
        "confusion": version.evaluation.get("confusion_matrix"),
        # Only the plots some store holds: no image that could not be drawn.
        "plots": {name: True for name, file in version.plots.items() if file in stored},
    }
    return render(request, "survival/models/card.html", context)


@require_safe
@cache_control(max_age=3600)
@csp(PLOT_CONTENT_SECURITY_POLICY)
def model_plot(request: HttpRequest, number: int, name: str) -> HttpResponse:
    version = _version_or_404(number)
    file_name = version.plots.get(name)
    if file_name is None:
        raise Http404(PLOT_NOT_FOUND.format(number=number, name=name))
    sha256 = store.stored_sha256(file_name)
    if sha256 is None:
        raise Http404(PLOT_NOT_FOUND.format(number=number, name=name))
    what = f"the {name} plot of v{number}"
    try:
        svg = store.verified_bytes(name=file_name, sha256=sha256, what=what)
    except (store.NotStoredError, store.StoredBytesAlteredError) as exc:
        raise Http404(PLOT_NOT_FOUND.format(number=number, name=name)) from exc
    return HttpResponse(svg, content_type="image/svg+xml")


def _version_or_404(number: int) -> ModelVersion:
    version = selectors.model_version_get(number=number)
    if version is None:
        raise Http404(selectors.VERSION_NOT_FOUND.format(number=number))
    return version
