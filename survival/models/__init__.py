"""The app's tables, one module per concern; every room imports them from here."""

from survival.models.apikeys import ApiKey
from survival.models.jobs import Job
from survival.models.predictions import Prediction
from survival.models.registry import (
    ALGORITHM_CHOICES,
    GateRefusal,
    ModelActivation,
    ModelVersion,
    StoredArtifact,
)

__all__ = [
    "ALGORITHM_CHOICES",
    "ApiKey",
    "GateRefusal",
    "Job",
    "ModelActivation",
    "ModelVersion",
    "Prediction",
    "StoredArtifact",
]
