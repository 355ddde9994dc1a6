"""Prometheus metrics: what `GET /metrics` reports, and the middleware that times requests.

Several gunicorn workers serve the app, each with its own memory. When
PROMETHEUS_MULTIPROC_DIR is set (gunicorn.conf.py sets it to a fresh folder), every worker
writes its numbers to files there and a scrape, whichever worker answers it, adds up all
of them; without it (runserver, tests) the numbers live in the process's own registry.

Labels are bounded on purpose: requests are labelled by the URL pattern's name (never the
raw path, which a client could vary at will), predictions by version number and channel.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from time import perf_counter

from django.http import HttpRequest, HttpResponse
from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily

REQUESTS = Counter(
    "titanic_http_requests",
    "HTTP requests answered, by URL pattern, method and status code.",
    ["route", "method", "status"],
)
REQUEST_SECONDS = Histogram(
    "titanic_http_request_duration_seconds",
    "Time to answer an HTTP request inside Django, by URL pattern and method.",
    ["route", "method"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
PREDICTIONS = Counter(
    "titanic_predictions",
    "Passengers predicted and logged, by model version and channel.",
    ["version", "channel"],
)
PREVIEWS = Counter(
    "titanic_previews",
    "Passengers scored and shown but not logged (the page's live answers, a shared link), "
    "by model version.",
    ["version"],
)
MODEL_LOAD_SECONDS = Histogram(
    "titanic_model_load_duration_seconds",
    "Time to read, verify and unpickle a model file (each process loads a version once).",
    buckets=(0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
ARTIFACT_REFUSALS = Counter(
    "titanic_model_artifact_refusals",
    "Model files refused instead of being loaded: missing, altered, from another "
    "scikit-learn, or unloadable.",
    ["reason"],
)
GATE_REFUSALS = Counter(
    "titanic_promotion_gate_refusals",
    "Activations the promotion gate refused.",
)
THROTTLE_CACHE_ERRORS = Counter(
    "titanic_throttle_cache_errors",
    "API requests whose rate limit could not be checked because the cache (Redis) could not "
    "be reached, by what was done: let_through (API_THROTTLE_FAIL_OPEN) or refused (503).",
    ["decision"],
)

# Request methods reported as themselves; anything else is "other", so that a client
# cannot create label values.
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNMATCHED_ROUTE = "unmatched"


def count_predictions(*, version: int, channel: str, count: int) -> None:
    """Counts `count` logged predictions of one version through one channel."""
    if count:
        PREDICTIONS.labels(str(version), channel).inc(count)


def count_previews(*, version: int, count: int = 1) -> None:
    """Counts `count` previews: answers shown and never written to the prediction log."""
    if count:
        PREVIEWS.labels(str(version)).inc(count)


class _ActiveVersionCollector:
    """Reports the active version's number, asked of the database at scrape time, so that
    every worker's scrape tells the same (0: none is active)."""

    def collect(self):
        from survival.models import ModelVersion

        number = ModelVersion.objects.filter(is_active=True).values_list("version", flat=True)
        gauge = GaugeMetricFamily(
            "titanic_active_model_version", "The version answering predictions (0: none)."
        )
        gauge.add_metric([], float(number.first() or 0))
        yield gauge


def metrics_exposition() -> bytes:
    """Every metric in Prometheus' text format: this process's own, or all workers' in
    multiprocess mode, plus the active version from the database."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    from_database = CollectorRegistry(auto_describe=False)
    from_database.register(_ActiveVersionCollector())
    return generate_latest(registry) + generate_latest(from_database)


class RequestMetricsMiddleware:
    """Counts and times every request by the name of the URL pattern that answered it.

    The labelled children are kept per (route, method, status): after the first request of
    each kind, a request costs two clock reads, a dict look-up, an increment and an
    observation.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response
        self._children: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = perf_counter()
        response = self.get_response(request)
        elapsed = perf_counter() - started
        match = request.resolver_match
        route = (match.view_name or match.route) if match is not None else UNMATCHED_ROUTE
        method = request.method if request.method in KNOWN_METHODS else "other"
        key = (route, method, response.status_code)
        children = self._children.get(key)
        if children is None:
            children = (
                REQUESTS.labels(route, method, str(response.status_code)),
                REQUEST_SECONDS.labels(route, method),
            )
            self._children[key] = children
        children[0].inc()
        children[1].observe(elapsed)
        return response
