"""The prediction log: every submitted or API prediction, with its true outcome once known."""

from __future__ import annotations

from django.db import models
from django.db.models import Q


class Prediction(models.Model):
    """One answered prediction.

    Attributes:
        model_version: the version that answered.
        inputs: the passenger's features as validated.
        probability: predicted probability of survival (0–1).
        survived: the verdict (probability ≥ 0.5).
        channel: where the request came from.
        created_at: when it was answered.
        challenger: the challenger that also scored the passenger (None: there was none,
            or it could not be loaded); its answer is never shown to anyone but the admin.
        challenger_probability: the challenger's probability of survival (0–1), or None.
        outcome: whether the passenger really survived (1) or not (0), as reported through
            the feedback endpoint; None until then.
        outcome_at: when that feedback was recorded.
        api_key_name: the name (never the key) of the API key the call carried; "" for none.
    """

    class Channel(models.TextChoices):
        WEB = "web", "Web page"
        API = "api", "API"

    model_version = models.ForeignKey(
        "survival.ModelVersion", on_delete=models.PROTECT, related_name="predictions"
    )
    inputs = models.JSONField()
    probability = models.FloatField()
    survived = models.BooleanField()
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.WEB)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    challenger = models.ForeignKey(
        "survival.ModelVersion",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="challenged_predictions",
    )
    challenger_probability = models.FloatField(null=True, blank=True)
    # 0/1 rather than a boolean: Brier scores are computed in SQL as (probability − outcome)²,
    # and PostgreSQL cannot subtract a boolean from a float.
    outcome = models.PositiveSmallIntegerField(
        null=True, blank=True, choices=[(0, "Died"), (1, "Survived")]
    )
    outcome_at = models.DateTimeField(null=True, blank=True)
    api_key_name = models.CharField("API key", max_length=100, blank=True, default="")

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(outcome__isnull=True) | Q(outcome__in=[0, 1]),
                name="prediction_outcome_is_0_or_1",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.probability:.1%} by v{self.model_version.version}"
