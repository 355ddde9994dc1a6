"""Answers predictions: score validated passengers with the answering version, explain
the answer, log it (with the challenger's shadow score), and record the true outcome later
reported for a logged prediction."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

from django.db import transaction
from django.utils import timezone

from ml_pipeline.constants import THRESHOLD
from ml_pipeline.errors import ConflictError, NotFoundError
from ml_pipeline.explain import Contribution, Explanation, explain_many, survival_probabilities
from ml_pipeline.schema import FEATURE_NAMES
from survival.models import ModelVersion, Prediction
from survival.ops import metrics
from survival.pages import TemplateFields
from survival.predictions.explanation import (
    ShownExplanation,
    shown_explanation,
    tenths_of,
    tenths_text,
)
from survival.predictions.log_write import predictions_log
from survival.registry import selectors
from survival.registry.artifacts import ModelUnavailableError, load_pipeline

logger = logging.getLogger(__name__)

PREDICTION_NOT_FOUND = "There is no prediction {prediction_id}."
FEEDBACK_CONFLICT = (
    "Prediction {prediction_id} already has feedback: the passenger {recorded} "
    "(recorded {at:%Y-%m-%d %H:%M:%S} UTC). An outcome is recorded once and not changed."
)


class PredictionNotFoundError(NotFoundError):
    """Feedback for a prediction id that does not exist."""

    rule = "prediction_not_found"


class FeedbackConflictError(ConflictError):
    """Feedback that contradicts the outcome already recorded for a prediction."""

    rule = "outcome_already_recorded"


@dataclass(frozen=True)
class PredictionOutcome(TemplateFields):
    """What a visitor or client is told about one passenger.

    Attributes:
        survived, probability: the verdict (at THRESHOLD) and P(survived), 0–1.
        model_version: the version that answered.
        prediction_id: the logged prediction's id; None for a preview, which is not logged.
        baseline: with an explanation, the model's mean probability over its background
            passengers, 0–1 (None without one).
        contributions: with an explanation, all seven inputs' Shapley values, largest push
            first; baseline × 100 plus their points is probability × 100.
    """

    survived: bool
    probability: float
    model_version: ModelVersion
    prediction_id: int | None
    baseline: float | None = None
    contributions: list[Contribution] = field(default_factory=list)

    @property
    def percentage(self) -> float:
        return self.probability * 100

    @property
    def percentage_text(self) -> str:
        """The percentage as the page prints it: one decimal, rounded half up (as the
        explanation's lines are, so that they add up to it)."""
        return tenths_text(tenths_of(self.probability))

    @cached_property
    def explanation(self) -> ShownExplanation | None:
        """What the page shows of the explanation (None without one)."""
        if self.baseline is None:
            return None
        return shown_explanation(
            probability=self.probability,
            baseline=self.baseline,
            contributions=self.contributions,
            background_size=len(explanation_background_of(self.model_version)),
        )


def predict_survival(
    *,
    passenger: Mapping[str, Any],
    channel: str = Prediction.Channel.WEB,
    log: bool = True,
    serving: selectors.ServingVersions | None = None,
) -> PredictionOutcome:
    """Scores one validated passenger with the active version, explains the answer and logs
    the prediction. With `log=False` it writes nothing: reading a page (a preset link, a
    shared address) is not a prediction.

    Raises ModelUnavailableError when no version is active or its artifact does not verify;
    nothing is logged then.
    """
    (outcome,) = passengers_predict(
        passengers=[passenger], channel=channel, with_explanations=True, log=log, serving=serving
    )
    return outcome


def passengers_predict(
    *,
    passengers: Sequence[Mapping[str, Any]],
    channel: str,
    version_number: int | None = None,
    with_explanations: bool = False,
    log: bool = True,
    serving: selectors.ServingVersions | None = None,
    api_key_name: str = "",
) -> list[PredictionOutcome]:
    """Scores validated passengers in one model call and logs each prediction (one insert);
    with `log=False` nothing is written (the outcomes have no prediction id).

    `version_number` pins a registered version; without it the active version answers.
    `serving` is the answering version and challenger as this request already read them
    (`selectors.model_versions_serving`), so that the request reads them once.
    With explanations every outcome carries the baseline and all inputs' Shapley values,
    largest push first (the coalition rows are stacked into the same model call).
    `api_key_name` is logged with each prediction: the name of the API key the request
    carried ("" for none).
    Raises ModelVersionNotFoundError / ModelUnavailableError like `model_version_resolve`
    (or when the artifact does not verify); nothing is logged then.
    """
    if serving is None:
        serving = selectors.model_versions_serving(number=version_number)
    version = serving.answering
    pipeline = load_pipeline(version)
    inputs = [{name: passenger[name] for name in FEATURE_NAMES} for passenger in passengers]
    if not inputs:
        return []
    if with_explanations:
        explained = explain_many(pipeline, inputs, explanation_background_of(version))
        outcomes = [_outcome(version, explanation) for explanation in explained]
    else:
        probabilities = survival_probabilities(pipeline, inputs)
        outcomes = [_outcome(version, float(probability)) for probability in probabilities]
    if not log:
        # A preview: shown, counted apart, never written (live numbers read only the log).
        metrics.count_previews(version=version.version, count=len(outcomes))
        return outcomes
    challenger = _challenger_probabilities(
        champion=version, challenger=serving.challenger, inputs=inputs
    )
    now = timezone.now()
    logged = [
        Prediction(
            model_version=version,
            inputs=passenger_inputs,
            probability=outcome.probability,
            survived=outcome.survived,
            channel=channel,
            created_at=now,
            challenger=challenger.version,
            challenger_probability=challenger_probability,
            api_key_name=api_key_name,
        )
        for passenger_inputs, outcome, challenger_probability in zip(
            inputs, outcomes, challenger.probabilities, strict=True
        )
    ]
    # Every answered prediction is logged before its answer leaves, so none is lost; one
    # INSERT for the whole request, which also sets each row's id.
    predictions_log(logged)
    metrics.count_predictions(version=version.version, channel=channel, count=len(logged))
    return [
        replace(outcome, prediction_id=row.pk)
        for outcome, row in zip(outcomes, logged, strict=True)
    ]


def _outcome(version: ModelVersion, answer: Explanation | float) -> PredictionOutcome:
    """An unlogged outcome from a probability, or from an explanation and its numbers."""
    explanation = answer if isinstance(answer, Explanation) else None
    probability = explanation.probability if explanation else answer
    return PredictionOutcome(
        survived=probability >= THRESHOLD,
        probability=probability,
        model_version=version,
        prediction_id=None,
        baseline=explanation.baseline if explanation else None,
        contributions=explanation.contributions if explanation else [],
    )


def explanation_background_of(version: ModelVersion) -> list[dict[str, Any]]:
    """The passengers a version's explanations average over. Versions registered before
    backgrounds were kept have none: their reference passenger (the training split's
    typical one) is their background, and the sum still holds, from that one passenger's
    probability as the baseline."""
    return version.explanation_background or [version.reference_passenger]


@dataclass(frozen=True)
class ChallengerScores:
    """The challenger's answers for a request's passengers, to be logged and never shown.

    Attributes:
        version: the challenger that scored them; None when there is none, it is the version
            answering, or it could not score.
        probabilities: one per passenger, in order (all None when `version` is None).
    """

    version: ModelVersion | None
    probabilities: list[float | None]


def _challenger_probabilities(
    *,
    champion: ModelVersion,
    challenger: ModelVersion | None,
    inputs: Sequence[Mapping[str, Any]],
) -> ChallengerScores:
    """The challenger's probabilities for the passengers' own rows (no explanation rows), in
    one model call. A challenger that cannot load or score costs the visitor nothing: a
    warning is logged and its columns stay empty."""
    nothing = ChallengerScores(version=None, probabilities=[None] * len(inputs))
    if challenger is None or challenger.pk == champion.pk:
        return nothing
    try:
        probabilities = survival_probabilities(load_pipeline(challenger), inputs)
    except ModelUnavailableError as exc:
        logger.warning("challenger v%s did not score: %s", challenger.version, exc)
        return nothing
    except Exception:
        # The shadow must never turn a good answer into an error; the failure is still
        # logged in full for whoever runs the challenger.
        logger.exception("challenger v%s failed while scoring", challenger.version)
        return nothing
    return ChallengerScores(
        version=challenger, probabilities=[float(probability) for probability in probabilities]
    )


def prediction_record_feedback(*, prediction_id: int, survived: bool) -> Prediction:
    """Records whether the passenger of a logged prediction really survived.

    An outcome is a fact about a passenger: it is recorded once. The same answer again is
    accepted and changes nothing (a client may retry safely); a different one raises
    FeedbackConflictError, so the live accuracy cannot be rewritten after the fact.
    Raises PredictionNotFoundError for an unknown id.
    """
    outcome = int(survived)
    with transaction.atomic():
        # Conditional update: of two concurrent reports, exactly one writes.
        Prediction.objects.filter(pk=prediction_id, outcome__isnull=True).update(
            outcome=outcome, outcome_at=timezone.now()
        )
        prediction = Prediction.objects.filter(pk=prediction_id).first()
    if prediction is None:
        raise PredictionNotFoundError(
            PREDICTION_NOT_FOUND.format(prediction_id=prediction_id), field="prediction_id"
        )
    if prediction.outcome != outcome:
        raise FeedbackConflictError(
            FEEDBACK_CONFLICT.format(
                prediction_id=prediction_id,
                recorded="survived" if prediction.outcome else "died",
                at=prediction.outcome_at,
            )
        )
    return prediction
