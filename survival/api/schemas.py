"""The API's request and response shapes. The passenger shape is built from the feature
schema (ml_pipeline.schema.FEATURES), so the API validates exactly what the form and the
training data do, and the OpenAPI document is generated from these same classes."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from ninja import ModelSchema, Schema
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationInfo,
    create_model,
    field_validator,
)
from pydantic_core import PydanticCustomError

from ml_pipeline.schema import FEATURES, Feature
from survival.models import ModelVersion

MAX_PASSENGERS = 1000
# An explained passenger costs up to 128 × the background's size in scored rows, a few
# milliseconds with the tree models: a batch asking for explanations is kept to this many.
MAX_EXPLAINED_PASSENGERS = 100
TOO_MANY_TO_EXPLAIN = (
    "explain is given for at most {limit} passengers per request; send {count} without it, "
    "or in parts of up to {limit}"
)
# Version numbers are stored as 32-bit positive integers.
MAX_VERSION_NUMBER = 2_147_483_647
# Prediction ids are 64-bit.
MAX_PREDICTION_ID = 9_223_372_036_854_775_807

# Strict: "3" is not a ticket class and true is not a number; unknown keys are refused.
STRICT = ConfigDict(extra="forbid", strict=True)
# The request shapes are plain pydantic models, not ninja's Schema: its wrapping validator
# (there to read Django model instances, which a request body never is) validates a model
# that forbids extra keys twice, and cost half the time of reading a prediction request
# (bench/profile_api.py). ninja reads bodies and documents them the same for either.


def _whole_number(value: Any) -> Any:
    # JSON does not tell 4 from 4.0 and JSON Schema calls both integers, so 4.0 is accepted
    # as 4; 4.5, "4" and true still fail the strict integer check after this.
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def whole_number(*, minimum: int, maximum: int) -> Any:
    """An integer type in [minimum, maximum] (the range comes first so that the OpenAPI
    document shows it as minimum/maximum)."""
    return Annotated[int, Field(ge=minimum, le=maximum), BeforeValidator(_whole_number)]


def passenger_field(feature: Feature) -> tuple[Any, Any]:
    """The type and constraints of one feature, as a pydantic field definition."""
    described = {"title": feature.label, "description": feature.help_text}
    if feature.kind == "category":
        allowed = ", ".join(f"{value} ({label})" for value, label in feature.choices)
        described["description"] += f" One of: {allowed}."
        return Literal[feature.choice_values], Field(examples=[feature.default], **described)
    if feature.kind == "integer":
        whole = whole_number(minimum=int(feature.minimum), maximum=int(feature.maximum))
        return whole, Field(examples=[feature.default], **described)
    return float, Field(
        ge=feature.minimum,
        le=feature.maximum,
        allow_inf_nan=False,
        examples=[feature.default],
        **described,
    )


PASSENGER_FIELDS = {feature.name: passenger_field(feature) for feature in FEATURES}


class PredictOptions(BaseModel):
    model_config = STRICT

    explain: bool = Field(
        default=False,
        description="Add the baseline and every input's contribution (its Shapley value), "
        "in percentage points: baseline × 100 plus the points is probability × 100.",
    )
    model_version: whole_number(minimum=1, maximum=MAX_VERSION_NUMBER) | None = Field(
        default=None,
        description="Answer with this registered version instead of the active one.",
    )


Passenger = create_model(
    "Passenger", __config__=STRICT, __doc__="One passenger's inputs.", **PASSENGER_FIELDS
)

SinglePredictRequest = create_model(
    "SinglePredictRequest",
    __base__=PredictOptions,
    __doc__="One passenger, with the options beside its inputs.",
    **PASSENGER_FIELDS,
)


class BatchPredictRequest(PredictOptions):
    """Up to 1,000 passengers answered by one version in one call."""

    passengers: list[Passenger] = Field(
        min_length=1,
        max_length=MAX_PASSENGERS,
        description=f'At most {MAX_EXPLAINED_PASSENGERS} with "explain": true.',
    )

    @field_validator("passengers")
    @classmethod
    def _few_enough_to_explain(cls, passengers: list[Any], info: ValidationInfo) -> list[Any]:
        if info.data.get("explain") and len(passengers) > MAX_EXPLAINED_PASSENGERS:
            raise PydanticCustomError(
                "too_many_to_explain",
                TOO_MANY_TO_EXPLAIN.format(limit=MAX_EXPLAINED_PASSENGERS, count=len(passengers)),
            )
        return passengers


def _request_kind(body: Any) -> str:
    # A body with a "passengers" key is a batch; anything else is judged as one passenger,
    # so its errors name the passenger's fields.
    if isinstance(body, dict) and "passengers" in body:
        return "batch"
    return "single"


PredictRequest = Annotated[
    Annotated[SinglePredictRequest, Tag("single")] | Annotated[BatchPredictRequest, Tag("batch")],
    Discriminator(_request_kind),
]


class ContributionOut(Schema):
    feature: str = Field(description="The input's name.")
    label: str
    value: str = Field(description="The passenger's value, in words.")
    points: float = Field(
        description="This input's Shapley value in percentage points (positive raised the "
        "probability): its share of the difference between the baseline and this "
        "passenger's probability, averaged over every combination of the other inputs."
    )


class PredictionOut(Schema):
    prediction_id: int = Field(
        description="The logged prediction's id; report the true outcome to "
        "/api/v1/predictions/{prediction_id}/feedback."
    )
    survived: bool
    probability: float = Field(ge=0, le=1, description="Probability of survival.")
    model_version: int = Field(description="The version that answered.")
    baseline: float | None = Field(
        default=None,
        ge=0,
        le=1,
        description='Only with "explain": true. The model\'s mean probability of survival '
        "over a fixed sample of training passengers, where the contributions start from.",
    )
    contributions: list[ContributionOut] | None = Field(
        default=None,
        description='Only with "explain": true: all seven inputs, largest push first. '
        "baseline × 100 + the sum of their points = probability × 100 (to float precision).",
    )


class BatchPredictionOut(Schema):
    predictions: list[PredictionOut] = Field(description="In the order the passengers were sent.")


class FeedbackIn(BaseModel):
    """The passenger's true outcome."""

    model_config = STRICT

    survived: bool = Field(
        description="Whether the passenger really survived: true or false (JSON booleans only)."
    )


class FeedbackOut(Schema):
    prediction_id: int
    survived: bool = Field(description="The outcome recorded.")
    recorded_at: datetime = Field(description="When the outcome was first recorded.")


class ModelVersionOut(ModelSchema):
    """A registered version as the registry records it (the model's own fields)."""

    algorithm_label: str = Field(description="The algorithm in words.")
    cv_metrics: dict[str, dict[str, float]] = Field(
        description="Stratified cross-validation: {metric: {mean, std}}."
    )
    holdout_metrics: dict[str, float] = Field(description="Metrics on the held-out split.")
    params: dict[str, Any]
    library_versions: dict[str, str]

    class Meta:
        model = ModelVersion
        fields = [
            "version",
            "algorithm",
            "is_active",
            "created_at",
            "activated_at",
            "params",
            "cv_metrics",
            "holdout_metrics",
            "data_sha256",
            "data_rows",
            "train_rows",
            "holdout_rows",
            "library_versions",
            "schema_fingerprint",
            "artifact_sha256",
        ]

    @staticmethod
    def resolve_algorithm_label(version: ModelVersion) -> str:
        return version.get_algorithm_display()


class ErrorOut(Schema):
    detail: str


class FieldErrorOut(Schema):
    field: str = Field(description='Where the problem is, e.g. "age" or "passengers[2].sex".')
    rule: str = Field(description='The rule that was broken, e.g. "less_than_equal".')
    message: str


class ValidationErrorOut(Schema):
    detail: str
    errors: list[FieldErrorOut]
