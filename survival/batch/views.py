"""The /batch page: upload a CSV of passengers, see a summary, download the scored file.
One template, two answers: the whole page, or for htmx only the result."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe
from django.views.decorators.vary import vary_on_headers

from ml_pipeline.errors import PredictorError
from survival.batch.services import passengers_score_csv, scored_table_to_csv
from survival.batch.uploads import (
    MEGABYTE,
    rows_check,
    scored_file_get,
    scored_file_store,
    scored_table_summarize,
    upload_check,
)
from survival.pages import HtmxHttpRequest, show_problem
from survival.registry import selectors

PAGE = "survival/batch.html"
HTMX_ANSWER = "survival/batch.html#batch-result"

DOWNLOAD_GONE = "This scored file is no longer available; upload the file again."


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
        rows_check(raw=raw)
        table = passengers_score_csv(raw=raw, source=upload.name)
    except PredictorError as exc:
        status = show_problem(context, exc)
    else:
        context["summary"] = scored_table_summarize(table=table)
        context["download_token"] = scored_file_store(
            content=scored_table_to_csv(table=table), upload_name=upload.name
        )
        context["upload_name"] = upload.name
    template = HTMX_ANSWER if request.htmx else PAGE
    return render(request, template, context, status=status)


@require_safe
@never_cache
def batch_download(request: HtmxHttpRequest, token: str) -> HttpResponse:
    stored = scored_file_get(token=token)
    if stored is None:
        context = {**_page_context(), "problem": DOWNLOAD_GONE}
        return render(request, PAGE, context, status=HTTPStatus.NOT_FOUND)
    response = HttpResponse(stored["content"], content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{stored["filename"]}"'
    return response


def _page_context() -> dict[str, Any]:
    return {
        "active_version": selectors.model_version_get_active(),
        "max_megabytes": f"{settings.BATCH_MAX_UPLOAD_BYTES / MEGABYTE:g}",
        "max_rows": f"{settings.BATCH_MAX_ROWS:,}",
    }
