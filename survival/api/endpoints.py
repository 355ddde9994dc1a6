"""The JSON API under /api/v1/: its endpoints, for predictions and the model registry.

Request bodies are validated by the schemas in survival.api.schemas (built from the feature
schema), and the OpenAPI document at /api/v1/openapi.json is generated from those same
classes. Every refusal is JSON with a 4xx status; nothing is logged for a refused request.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Body, Path
from ninja.decorators import decorate_view

from survival.api.errors import install_error_handlers
from survival.api.guards import (
    FeedbackThrottle,
    GuardedBodyParser,
    PredictThrottle,
    limit_json_body,
)
from survival.api.keys import (
    ApiKeyBearer,
    FeedbackKeyThrottle,
    KeyThrottle,
    NinjaAPIWithKeys,
    key_name_of,
)
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

# The request body, documented as the union of its two shapes.
PREDICT_BODY = Body(...)

api = NinjaAPIWithKeys(
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
    parser=GuardedBodyParser(),
)
install_error_handlers(api)
# The prediction endpoints take an API key (optional unless API_REQUIRE_KEY is on); the
# model list and detail do not: they show what the public /models/ pages show.
API_KEY = ApiKeyBearer()


def _prediction_out(outcome: PredictionOutcome, *, explain: bool) -> dict[str, Any]:
    # Only the answering version's numbers: a challenger's are for the admin alone.
    # "baseline" and "contributions" appear only when asked for.
    answer: dict[str, Any] = {
        "prediction_id": outcome.prediction_id,
        "survived": outcome.survived,
        "probability": outcome.probability,
        "model_version": outcome.model_version.version,
    }
    if explain:
        answer["baseline"] = outcome.baseline
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
        401: ErrorOut,
        422: ValidationErrorOut,
        429: ErrorOut,
        503: ErrorOut,
    },
    auth=API_KEY,
    throttle=[PredictThrottle(), KeyThrottle()],
    summary="Predict survival for one passenger or a batch",
    tags=["predictions"],
)
@decorate_view(limit_json_body)
def predict(
    request: HttpRequest, response: HttpResponse, payload: PredictRequest = PREDICT_BODY
) -> HttpResponse:
    """Send one passenger's fields, or `{"passengers": [...]}` (1 to 1,000 of them).

    `"explain": true` adds the baseline (the model's mean probability over a fixed sample of
    training passengers) and each input's Shapley value in percentage points, which add up:
    baseline × 100 + Σ points = probability × 100. `"model_version": N` answers with a
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
        api_key_name=key_name_of(request),
    )
    answers = [_prediction_out(outcome, explain=payload.explain) for outcome in outcomes]
    return _rendered(request, response, {"predictions": answers} if batch else answers[0])


def _rendered(request: HttpRequest, response: HttpResponse, body: Any) -> HttpResponse:
    """`body` as ninja renders an answer, into the response ninja prepared. The body is built
    from the service's typed outcome in the response schema's shape (tests/
    test_api_answer_shape.py checks it against the schema), so ninja's validating it again
    and dumping it (a quarter of its own time per request, bench/profile_api.py) is
    skipped."""
    response.content = api.renderer.render(request, body, response_status=HTTPStatus.OK)
    return response


@api.post(
    "/predictions/{prediction_id}/feedback",
    response={
        200: FeedbackOut,
        400: ErrorOut,
        404: ErrorOut,
        409: ErrorOut,
        413: ErrorOut,
        415: ErrorOut,
        401: ErrorOut,
        422: ValidationErrorOut,
        429: ErrorOut,
        503: ErrorOut,
    },
    auth=API_KEY,
    throttle=[FeedbackThrottle(), FeedbackKeyThrottle()],
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


@api.get(
    "/models",
    response=list[ModelVersionOut],
    summary="Every registered model version, newest first",
    tags=["models"],
)
def models(request: HttpRequest) -> list[ModelVersion]:
    return list(selectors.model_version_list())


@api.get(
    "/models/{version}",
    response={200: ModelVersionOut, 404: ErrorOut, 422: ValidationErrorOut},
    summary="One model version by its number",
    tags=["models"],
)
def model_detail(
    request: HttpRequest, version: int = Path(..., ge=1, le=MAX_VERSION_NUMBER)
) -> ModelVersion:
    found = selectors.model_version_get(number=version)
    if found is None:
        message = selectors.VERSION_NOT_FOUND.format(number=version)
        raise ModelVersionNotFoundError(message, field="version")
    return found
