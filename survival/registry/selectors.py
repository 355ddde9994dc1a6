"""Reads from the model registry: which version answers, which shadows it, and any
version by its number."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from django.db import connections, router
from django.db.models import QuerySet

from ml_pipeline.errors import NotFoundError
from survival.models import ModelActivation, ModelVersion
from survival.registry.artifacts import (
    MODEL_UNAVAILABLE,
    ModelUnavailableError,
    registered_version,
)

VERSION_NOT_FOUND = "There is no model version {number}."


class ModelVersionNotFoundError(NotFoundError):
    """A version number that was asked for does not exist."""

    rule = "version_not_found"


def model_version_get_active() -> ModelVersion | None:
    """The version answering predictions, or None. One indexed query, asked on every request
    so that an activation reaches every worker on its next request."""
    return ModelVersion.objects.filter(is_active=True).first()


@dataclass(frozen=True)
class ServingVersions:
    """The versions a prediction involves.

    Attributes:
        answering: the version that answers (the active one, or the one asked for).
        challenger: the version shadowing the active one, or None.
    """

    answering: ModelVersion
    challenger: ModelVersion | None


def model_versions_serving(*, number: int | None = None) -> ServingVersions:
    """The answering version (as `model_version_resolve`) and the challenger.

    This runs on every prediction and every preview, so that an activation, a new
    challenger or a version marked broken, by any process on any host, reaches every worker
    on its next request: the database is asked every time, never a cache. It is asked in one
    small query of five columns, written out once rather than built by the ORM on each call
    (building it cost more than running it). The rest of a version's row never changes after
    registration and is read once per process (`artifacts.registered_version`).

    Raises ModelVersionNotFoundError / ModelUnavailableError like `model_version_resolve`.
    """
    alias = router.db_for_read(ModelVersion)
    with connections[alias].cursor() as cursor:
        if number is None:
            cursor.execute(_serving_sql(alias, "is_active"), [True, True])
        else:
            cursor.execute(_serving_sql(alias, "version"), [number, True])
        rows = cursor.fetchall()
    versions = [
        registered_version(
            pk=pk,
            sha256=sha256,
            is_active=bool(is_active),
            is_challenger=bool(is_challenger),
            broken_reason=broken_reason,
        )
        for pk, sha256, is_active, is_challenger, broken_reason in rows
    ]
    challenger = next((version for version in versions if version.is_challenger), None)
    if number is not None:
        answering = next((v for v in versions if v.version == number), None)
        if answering is None:
            raise ModelVersionNotFoundError(
                VERSION_NOT_FOUND.format(number=number), field="model_version"
            )
    else:
        answering = next((version for version in versions if version.is_active), None)
        if answering is None:
            raise ModelUnavailableError(MODEL_UNAVAILABLE)
    return ServingVersions(answering=answering, challenger=challenger)


# The serving query's columns, in the order `model_versions_serving` unpacks them.
_SERVING_COLUMNS = ("id", "artifact_sha256", "is_active", "is_challenger", "broken_reason")


@cache
def _serving_sql(alias: str, answering_column: str) -> str:
    """`SELECT … FROM <versions> WHERE <answering_column> = %s OR is_challenger = %s`, with
    the table and column names quoted for the database behind `alias`."""
    quote = connections[alias].ops.quote_name

    def column(name: str) -> str:
        return quote(ModelVersion._meta.get_field(name).column)

    columns = ", ".join(column(name) for name in _SERVING_COLUMNS)
    table = quote(ModelVersion._meta.db_table)
    return (
        f"SELECT {columns} FROM {table} "
        f"WHERE {column(answering_column)} = %s OR {column('is_challenger')} = %s"
    )


def model_version_get_challenger() -> ModelVersion | None:
    """The version shadowing the active one, or None. (Predictions read it together with
    the answering version: `model_versions_serving`.)"""
    return ModelVersion.objects.filter(is_challenger=True).first()


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
            raise ModelVersionNotFoundError(
                VERSION_NOT_FOUND.format(number=number), field="model_version"
            )
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
