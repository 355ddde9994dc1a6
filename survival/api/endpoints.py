"""The JSON API under /api/v1/: its endpoints, for predictions and the model registry.

Request bodies are validated by the schemas in survival.api.schemas (built from the feature
schema), and the OpenAPI document at /api/v1/openapi.json is generated from those same
classes. Every refusal is JSON with a 4xx status; nothing is logged for a refused request.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from functools import wraps
from http import HTTPStatus
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from ninja import Body, NinjaAPI, Path
from ninja.decorators import decorate_view
from ninja.throttling import AnonRateThrottle

from survival.api.errors import install_error_handlers
from survival.api.schemas import (
    MAX_PREDICTION_ID,
    MAX_VERSION_NUMBER,
    BatchPredictionOut,
    BatchPredictRequest,
    ErrorOut,
    FeedbackIn,
    FeedbackOut,
    ModelVersionOut,
    PredictionOut,
    PredictRequest,
    ValidationErrorOut,
)
from survival.models import ModelVersion, Prediction
from survival.predictions.services import (
    PredictionOutcome,
    passengers_predict,
    prediction_record_feedback,
)
from survival.registry import selectors
from survival.registry.selectors import ModelVersionNotFoundError

BODY_TOO_LARGE = "The request body is larger than {limit} bytes."
NOT_JSON = "The request body must be JSON (Content-Type: application/json)."
NOT_JSON_CONTENT_TYPE = "The request body must be sent with Content-Type: application/json."

# The request body, documented as the union of its two shapes.
PREDICT_BODY = Body(...)

api = NinjaAPI(
    title="Titanic Survival Predictor API",
    version="1",
    description=(
        "Predicts whether a passenger of the RMS Titanic survived, with the probability and "
        "the model version that answered. The passenger fields and their rules are the same "
        "as on the predictor page."
    ),
    urls_namespace="api-v1",
    docs_url="/docs",
    openapi_url="/openapi.json",
)
install_error_handlers(api)


class PredictThrottle(AnonRateThrottle):
    """Per-client limit on predictions (client = address, see NINJA_NUM_PROXIES).

    A client may send the rate's count of requests in a window that opens with its first
    request and lasts the rate's period; the next window opens with its first request after
    that. The cache keeps one (window start, count) pair per client, so a check costs the
    same at 120/min as at 100,000/min: ninja's own throttle keeps every timestamp of the
    window and reads and writes the whole list on each request.

    The rate is read from settings.API_PREDICT_RATE on every request, so it can be changed
    without rebuilding the API; the counts live in Django's default cache, which makes the
    limit hold across workers when that cache is shared (e.g. Redis or Memcached).
    """

    scope = "predict"

    def __init__(self) -> None:
        self.rate = None

    def allow_request(self, request: HttpRequest) -> bool:
        self.rate = settings.API_PREDICT_RATE
        self.num_requests, self.duration = self.parse_rate(self.rate)
        self.key = self.get_cache_key(request)
        if self.key is None:
            return True
        self.now = self.timer()
        started, count = self.cache.get(self.key, (self.now, 0))
        if self.now - started >= self.duration:
            started, count = self.now, 0
        self.window_ends = started + self.duration
        if count >= self.num_requests:
            return self.throttle_failure()
        # The pair outlives its window by a second at most, then the cache forgets it.
        self.cache.set(self.key, (started, count + 1), math.ceil(self.window_ends - self.now))
        return True

    def wait(self) -> float:
        # Until this client's window closes.
        return max(1.0, self.window_ends - self.now)


def limit_json_body(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Refuses bodies over settings.API_MAX_BODY_BYTES (413) and bodies that are not JSON
    (400) with a clear message, before anything else reads them."""

    @wraps(view)
    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        limit = settings.API_MAX_BODY_BYTES
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        if declared > limit or len(request.body) > limit:
            return JsonResponse(
                {"detail": BODY_TOO_LARGE.format(limit=limit)},
                status=HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
            )
        if request.body:
            # A plain HTML form on another site can post form-encoded, multipart or
            # text/plain bodies (even ones that parse as JSON) with a visitor's browser, but
            # not application/json: refusing the others keeps such pages out.
            content_type = request.content_type or ""
            if content_type != "application/json" and not content_type.endswith("+json"):
                return JsonResponse(
                    {"detail": NOT_JSON_CONTENT_TYPE}, status=HTTPStatus.UNSUPPORTED_MEDIA_TYPE
                )
            try:
                json.loads(request.body)
            except ValueError:
                return JsonResponse({"detail": NOT_JSON}, status=HTTPStatus.BAD_REQUEST)
        return view(request, *args, **kwargs)

    return guarded


def _prediction_out(outcome: PredictionOutcome, *, explain: bool) -> dict[str, Any]:
    # Only the answering version's numbers: a challenger's are for the admin alone.
    answer: dict[str, Any] = {
        "prediction_id": outcome.prediction_id,
        "survived": outcome.survived,
        "probability": outcome.probability,
        "model_version": outcome.model_version.version,
    }
    if explain:
        answer["contributions"] = [
            {"feature": c.feature, "label": c.label, "value": c.value, "points": c.points}
            for c in outcome.contributions
        ]
    return answer


@api.post(
    "/predict",
    response={
        200: PredictionOut | BatchPredictionOut,
        400: ErrorOut,
        404: ErrorOut,
        413: ErrorOut,
        415: ErrorOut,
        422: ValidationErrorOut,
        429: ErrorOut,
        503: ErrorOut,
    },
    throttle=[PredictThrottle()],
    # "contributions" appears only when asked for.
    exclude_none=True,
    summary="Predict survival for one passenger or a batch",
    tags=["predictions"],
)
@decorate_view(limit_json_body)
def predict(request: HttpRequest, payload: PredictRequest = PREDICT_BODY) -> dict[str, Any]:
    """Send one passenger's fields, or `{"passengers": [...]}` (1 to 1,000 of them).

    `"explain": true` adds each input's contribution; `"model_version": N` answers with a
    registered version instead of the active one (404 if there is none with that number).
    A batch is answered in the order sent, by one version, in one model call.
    """
    batch = isinstance(payload, BatchPredictRequest)
    passengers = [p.model_dump() for p in payload.passengers] if batch else [payload.model_dump()]
    outcomes = passengers_predict(
        passengers=passengers,
        channel=Prediction.Channel.API,
        version_number=payload.model_version,
        with_explanations=payload.explain,
    )
    answers = [_prediction_out(outcome, explain=payload.explain) for outcome in outcomes]
    return {"predictions": answers} if batch else answers[0]


class FeedbackThrottle(PredictThrottle):
    """The predict limit, counted separately so reporting outcomes never uses up a client's
    predictions (or the other way round)."""

    scope = "feedback"


@api.post(
    "/predictions/{prediction_id}/feedback",
    response={
        200: FeedbackOut,
        400: ErrorOut,
        404: ErrorOut,
        409: ErrorOut,
        413: ErrorOut,
        415: ErrorOut,
        422: ValidationErrorOut,
        429: ErrorOut,
        503: ErrorOut,
    },
    throttle=[FeedbackThrottle()],
    summary="Report whether a predicted passenger really survived",
    tags=["predictions"],
)
@decorate_view(limit_json_body)
def feedback(
    request: HttpRequest,
    payload: FeedbackIn,
    prediction_id: int = Path(..., ge=1, le=MAX_PREDICTION_ID),
) -> dict[str, Any]:
    """Send `{"survived": true}` or `{"survived": false}` for a prediction's id (as returned
    by /predict). The outcome is recorded once: the same report again answers 200 and changes
    nothing; a different one is refused with 409. 404 for an unknown id. The outcomes feed
    each version's live accuracy and Brier score in the admin.
    """
    prediction = prediction_record_feedback(prediction_id=prediction_id, survived=payload.survived)
    return {
        "prediction_id": prediction.pk,
        "survived": bool(prediction.outcome),
        "recorded_at": prediction.outcome_at,
    }


def _version_out(version: ModelVersion) -> dict[str, Any]:
    return {
        "version": version.version,
        "algorithm": version.algorithm,
        "algorithm_label": version.get_algorithm_display(),
        "is_active": version.is_active,
        "created_at": version.created_at,
        "activated_at": version.activated_at,
        "params": version.params,
        "cv_metrics": version.cv_metrics,
        "holdout_metrics": version.holdout_metrics,
        "data_sha256": version.data_sha256,
        "data_rows": version.data_rows,
        "train_rows": version.train_rows,
        "holdout_rows": version.holdout_rows,
        "library_versions": version.library_versions,
        "schema_fingerprint": version.schema_fingerprint,
        "artifact_sha256": version.artifact_sha256,
    }


@api.get(
    "/models",
    response=list[ModelVersionOut],
    summary="Every registered model version, newest first",
    tags=["models"],
)
def models(request: HttpRequest) -> list[dict[str, Any]]:
    return [_version_out(version) for version in selectors.model_version_list()]


@api.get(
    "/models/{version}",
    response={200: ModelVersionOut, 404: ErrorOut, 422: ValidationErrorOut},
    summary="One model version by its number",
    tags=["models"],
)
def model_detail(
    request: HttpRequest, version: int = Path(..., ge=1, le=MAX_VERSION_NUMBER)
) -> dict[str, Any]:
    found = selectors.model_version_get(number=version)
    if found is None:
        message = selectors.VERSION_NOT_FOUND.format(number=version)
        raise ModelVersionNotFoundError(message, field="version")
    return _version_out(found)
