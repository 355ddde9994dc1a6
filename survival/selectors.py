"""Reads from the registry."""

from __future__ import annotations

from django.db.models import QuerySet

from survival.inference import MODEL_UNAVAILABLE, ModelUnavailableError
from survival.models import ModelActivation, ModelVersion

VERSION_NOT_FOUND = "There is no model version {number}."


class ModelVersionNotFoundError(LookupError):
    """A version number that was asked for does not exist."""


def model_version_get_active() -> ModelVersion | None:
    """The version answering predictions, or None. One indexed query, asked on every request
    so that an activation reaches every worker on its next request."""
    return ModelVersion.objects.filter(is_active=True).first()


def model_version_list() -> QuerySet[ModelVersion]:
    return ModelVersion.objects.all()


def model_version_get(*, number: int) -> ModelVersion | None:
    """A version by its number (1, 2, …), or None."""
    return ModelVersion.objects.filter(version=number).first()


def model_version_resolve(*, number: int | None = None) -> ModelVersion:
    """The version to answer with: the one asked for by number, else the active one.

    Raises ModelVersionNotFoundError for an unknown number and ModelUnavailableError when
    none is asked for and none is active.
    """
    if number is not None:
        version = model_version_get(number=number)
        if version is None:
            raise ModelVersionNotFoundError(VERSION_NOT_FOUND.format(number=number))
        return version
    version = model_version_get_active()
    if version is None:
        raise ModelUnavailableError(MODEL_UNAVAILABLE)
    return version


def model_version_previous() -> ModelVersion | None:
    """The version that was active before the current one: the latest one any recorded
    change made active, other than the version active now (with none active, the last one
    that was). None when there is no such version.

    Rolling back twice therefore goes back and forth between the same two versions, as the
    record reads: each rollback makes the version it replaced "the one before".
    """
    active = ModelVersion.objects.filter(is_active=True).values_list("pk", flat=True).first()
    records = ModelActivation.objects.filter(to_version__isnull=False)
    if active is not None:
        records = records.exclude(to_version_id=active)
    record = records.select_related("to_version").first()
    return record.to_version if record is not None else None
