"""Reads from the registry."""

from __future__ import annotations

from django.db.models import QuerySet

from survival.models import ModelVersion


def model_version_get_active() -> ModelVersion | None:
    """The version answering predictions, or None. One indexed query, asked on every request
    so that an activation reaches every worker on its next request."""
    return ModelVersion.objects.filter(is_active=True).first()


def model_version_list() -> QuerySet[ModelVersion]:
    return ModelVersion.objects.all()
