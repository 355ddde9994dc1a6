"""Writes to the model registry: register a trained version, activate it (through the
promotion gate), roll back, deactivate, and choose the challenger that shadows it.

Every change of the answering version runs in one transaction and is recorded as a
ModelActivation; each worker and host sees it on its next request.
"""

from __future__ import annotations

import hashlib
import logging
from typing import TYPE_CHECKING

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from ml_pipeline.errors import ConflictError
from survival.models import GateRefusal, ModelActivation, ModelVersion, StoredArtifact
from survival.ops import metrics
from survival.registry import selectors, store
from survival.registry.artifacts import ARTIFACT_MISSING, ArtifactMissingError, load_pipeline
from survival.registry.gate import (
    PromotionRefusedError,
    override_problem,
    promotion_gate_check,
)

if TYPE_CHECKING:
    from ml_pipeline.training import TrainingResult

logger = logging.getLogger(__name__)

CHALLENGER_IS_ACTIVE = (
    "Version {version} is the active version; the challenger must be another version."
)
NOTHING_TO_ROLL_BACK = "There is nothing to roll back to: no other version has been active before."


class ChallengerRefusedError(ConflictError):
    """A version that cannot be the challenger (it is the active one)."""

    rule = "challenger_is_active"


class NothingToRollBackError(ConflictError):
    """No version other than the current one was ever active."""

    rule = "nothing_to_roll_back"


def model_version_register(*, result: TrainingResult, activate: bool = False) -> ModelVersion:
    """Records a training result as the next version, its model file and plots stored in the
    database in the same transaction (and copied into this host's cache); with
    `activate`, then activates it through `model_version_activate` (the promotion gate
    included: a refusal raises PromotionRefusedError and leaves the version registered,
    inactive, for an admin to judge)."""
    version = _model_version_create(result=result)
    if activate:
        model_version_activate(version=version)
    return version


@transaction.atomic
def _model_version_create(*, result: TrainingResult) -> ModelVersion:
    # scikit-learn is imported only by the code paths that need it, not at Django start-up.
    from ml_pipeline.training import serialize_pipeline

    data = serialize_pipeline(result.pipeline)
    sha256 = hashlib.sha256(data).hexdigest()
    number = (ModelVersion.objects.aggregate(last=Max("version"))["last"] or 0) + 1
    stem = f"model-v{number:04d}-{sha256[:12]}"
    name = f"{stem}.joblib"
    # The model card's plots are kept beside the model file, under names of the same stem.
    plots = {plot: f"{stem}-{plot}.svg" for plot in result.plots}
    version = ModelVersion.objects.create(
        version=number,
        algorithm=result.algorithm,
        params=result.params,
        cv_metrics=result.cv_metrics,
        holdout_metrics=result.holdout_metrics,
        candidates=result.candidates,
        seed=result.seed,
        data_sha256=result.data_sha256,
        data_rows=result.data_rows,
        train_rows=result.train_rows,
        holdout_rows=result.holdout_rows,
        library_versions=result.library_versions,
        schema_fingerprint=result.schema_fingerprint,
        reference_passenger=result.reference_passenger,
        explanation_background=result.explanation_background,
        training_context=result.training_context,
        artifact_name=name,
        artifact_sha256=sha256,
        training_seconds=result.duration_seconds,
        selection_metric=result.selection_metric,
        search=result.search,
        evaluation=result.evaluation,
        holdout_index=result.holdout_index,
        data_summary=result.data_summary,
        git_commit=result.git_commit,
        plots=plots,
    )
    # In this transaction: the version's row and its bytes are committed together, so no host
    # ever sees a version whose files it cannot fetch.
    files = {name: (StoredArtifact.Kind.MODEL, data)}
    files |= {plots[plot]: (StoredArtifact.Kind.PLOT, svg) for plot, svg in result.plots.items()}
    store.files_store(version=version, files=files)
    return version


def model_version_activate(
    *,
    version: ModelVersion,
    by: AbstractBaseUser | None = None,
    reason: str = "",
    override_gate: bool = False,
    rollback: bool = False,
) -> ModelVersion:
    """Makes `version` the only active one, in one transaction, and records the change
    (who, when, from which version, why) as a ModelActivation.

    The artifact is verified and loaded first, so a version whose file is in no store, altered
    or made by another scikit-learn is refused (ModelUnavailableError with the reason, also
    recorded on the version) and the active version stays as it was. Then the promotion gate
    compares it with the version active at that moment (`promotion_gate_check`): a refusal
    raises PromotionRefusedError with the failing numbers and is recorded as a GateRefusal.
    With `override_gate`, a user holding OVERRIDE_PERMISSION (or the system, by=None) who
    gives a reason activates it anyway, and the record says the gate was overridden; a
    schema mismatch is never overridden. Activating the active version is allowed; it is
    recorded too and changes nothing but `activated_at`.
    """
    _model_file_check(version)
    refusal: PromotionRefusedError | None = None
    with transaction.atomic():
        previous = _lock_registry()
        failures = promotion_gate_check(candidate=version, active=previous)
        problem = ""
        if failures:
            problem = (
                override_problem(failures=failures, by=by, reason=reason) if override_gate else ""
            )
            if not override_gate or problem:
                refusal = PromotionRefusedError(version=version, failures=failures, problem=problem)
        if refusal is None:
            now = timezone.now()
            if previous is not None and previous.pk != version.pk:
                ModelVersion.objects.filter(pk=previous.pk).update(is_active=False)
            # A promoted challenger stops shadowing: it now answers.
            ModelVersion.objects.filter(pk=version.pk).update(
                is_active=True, activated_at=now, is_challenger=False
            )
            ModelActivation.objects.create(
                from_version=previous,
                to_version=version,
                by=by,
                at=now,
                reason=reason,
                rollback=rollback,
                gate_overridden=bool(failures),
                gate_failures=[failure.as_record() for failure in failures],
            )
    if refusal is not None:
        # Written after the registry's transaction, which changed nothing.
        GateRefusal.objects.create(
            candidate=version,
            active=previous,
            by=by,
            at=timezone.now(),
            reason=reason,
            override_requested=override_gate,
            failures=[failure.as_record() for failure in refusal.failures],
        )
        metrics.GATE_REFUSALS.inc()
        logger.warning("activation of v%s refused: %s", version.version, refusal)
        raise refusal
    version.refresh_from_db()
    if failures:
        logger.warning(
            "model version %s activated by %s over the promotion gate: %s",
            version.version,
            by or "the system",
            "; ".join(failure.message for failure in failures),
        )
    else:
        logger.info("model version %s activated by %s", version.version, by or "the system")
    return version


def model_version_rollback(
    *, by: AbstractBaseUser | None = None, reason: str = "", override_gate: bool = False
) -> ModelVersion:
    """Re-activates the version that was active before the current one
    (`selectors.model_version_previous`), as one activation recorded like any other.

    A rollback goes through the promotion gate like any activation: the earlier version
    was good enough once, but the gate's margins may have changed since, and an override
    stays a deliberate, recorded choice. Raises NothingToRollBackError when no other version
    has ever been active, and whatever `model_version_activate` raises.
    """
    target = selectors.model_version_previous()
    if target is None:
        raise NothingToRollBackError(NOTHING_TO_ROLL_BACK)
    return model_version_activate(
        version=target, by=by, reason=reason, override_gate=override_gate, rollback=True
    )


def model_version_deactivate(
    *, version: ModelVersion, by: AbstractBaseUser | None = None, reason: str = ""
) -> ModelVersion:
    """Takes a version out of service (recorded as a change to no version); with none
    active, visitors are told so. A version that is not active is left as it is."""
    with transaction.atomic():
        previous = _lock_registry()
        if previous is not None and previous.pk == version.pk:
            ModelVersion.objects.filter(pk=version.pk).update(is_active=False)
            ModelActivation.objects.create(
                from_version=previous, to_version=None, by=by, at=timezone.now(), reason=reason
            )
    version.refresh_from_db()
    return version


def model_version_make_challenger(
    *, version: ModelVersion, by: AbstractBaseUser | None = None
) -> ModelVersion:
    """Makes `version` the only challenger: from the next request on, it scores every
    prediction beside the active version, and its answers are logged but never shown.

    Its artifact is verified and loaded first, so a broken version is refused
    (ModelUnavailableError with the reason). The active version is refused too
    (ChallengerRefusedError). A previous challenger stops being one, in the same transaction.
    """
    _model_file_check(version)
    with transaction.atomic():
        _lock_registry()
        version.refresh_from_db()
        if version.is_active:
            raise ChallengerRefusedError(CHALLENGER_IS_ACTIVE.format(version=version.version))
        if not version.is_challenger:
            # Cleared first: the database allows one challenger at any moment.
            ModelVersion.objects.filter(is_challenger=True).update(is_challenger=False)
            ModelVersion.objects.filter(pk=version.pk).update(
                is_challenger=True, challenger_since=timezone.now()
            )
    version.refresh_from_db()
    logger.info("model version %s made the challenger by %s", version.version, by or "the system")
    return version


def model_version_clear_challenger(*, by: AbstractBaseUser | None = None) -> ModelVersion | None:
    """Stops any challenger from shadowing; returns the version that was the challenger."""
    with transaction.atomic():
        _lock_registry()
        challenger = selectors.model_version_get_challenger()
        if challenger is not None:
            ModelVersion.objects.filter(pk=challenger.pk).update(is_challenger=False)
            challenger.refresh_from_db()
            logger.info(
                "model version %s is no longer the challenger (%s)",
                challenger.version,
                by or "the system",
            )
    return challenger


def _model_file_check(version: ModelVersion) -> None:
    """Before a version may answer: its model file verifies and loads on this host (else
    ModelUnavailableError with the reason, recorded on the version), and the database holds
    it, so every other host can load it too (a file only this host's cache holds is stored)."""
    load_pipeline(version, recheck=True)
    if not store.model_file_share(version):
        raise ArtifactMissingError(ARTIFACT_MISSING.format(version=version.version))


def _lock_registry() -> ModelVersion | None:
    """Serialises changes of the active version and returns the active one at that moment.

    On PostgreSQL every version row is locked (in one order, so two changes cannot
    deadlock); a second change waits, then sees the first one's result, so each record's
    "from" is the version that was really active. SQLite runs write transactions one at a
    time already (settings: BEGIN IMMEDIATE). Must be called inside transaction.atomic().
    """
    list(ModelVersion.objects.select_for_update().order_by("pk").values_list("pk", flat=True))
    return ModelVersion.objects.filter(is_active=True).first()
