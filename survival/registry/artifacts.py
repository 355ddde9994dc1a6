"""A version's model file (its artifact): verified first, then unpickled once per process
and reused.

Nothing is loaded at import time. The cache is keyed by version and artifact hash, so a
worker that meets a version it has not seen loads it once, and a stale entry cannot be used
for a different file.

The bytes come from this host's cache when its copy matches the recorded sha256, else from
the database, which holds every version's file (see store.py). Bytes that are in no store,
altered in the database, or made by another scikit-learn are never unpickled: the version is
marked broken with the reason (shown in the admin and at /readyz). An altered local copy
is only refused and fetched again. A broken version is checked again now and then, so it
mends itself once its file is back.
"""

from __future__ import annotations

import copy
import io
import logging
import threading
import time
from importlib.metadata import version as installed_version
from typing import Any

import joblib
from django.db import DatabaseError
from django.utils import timezone

from ml_pipeline.errors import UnavailableError
from survival.models import ModelVersion
from survival.ops import metrics
from survival.registry import store
from survival.registry.store import ARTIFACT_STORAGE as ARTIFACT_STORAGE
from survival.registry.store import artifact_storage as artifact_storage

logger = logging.getLogger(__name__)

# What every interface answers while no version is active (after a deactivation): the page
# and the API say the same thing.
MODEL_UNAVAILABLE = (
    "No model is available right now. Predictions are paused until a version is activated."
)
ARTIFACT_MISSING = (
    "The model file for version {version} is in no store: neither the database nor the cache "
    "of this host holds it, so it cannot be loaded or activated. Retrain it."
)
ARTIFACT_TAMPERED = (
    "The model file for version {version} in the database does not match its recorded sha256; "
    "it was not loaded."
)
ARTIFACT_UNLOADABLE = (
    "The model file for version {version} verifies but cannot be loaded here ({error})."
)
SKLEARN_MISMATCH = (
    "Version {version} was trained with scikit-learn {trained}, but {installed} is installed; "
    "it was not loaded. Retrain it, or install scikit-learn {trained}."
)

# How often (per process) the file of a broken version is checked again. Often enough that
# a restored file is used again within seconds, rarely enough that a broken version does not
# make every request read its file.
BROKEN_RECHECK_SECONDS = 5.0

_loaded: dict[tuple[int, str], Any] = {}
# (version pk, sha256) → (monotonic time of the refusal, the reason).
_refused: dict[tuple[int, str], tuple[float, str]] = {}
_lock = threading.Lock()


# (version pk, sha256) → the version row as first read by this process (scoring fields only).
_versions: dict[tuple[int, str], ModelVersion] = {}
# What scoring with a version needs and never changes after registration. A version row
# also holds large JSON (settings tried, held-out rows, curves) that scoring never reads.
SCORING_FIELDS = (
    "version",
    "algorithm",
    "artifact_name",
    "artifact_sha256",
    "library_versions",
    "reference_passenger",
    "explanation_background",
    "training_context",
    "schema_fingerprint",
)


def registered_version(
    *, pk: int, sha256: str, is_active: bool, is_challenger: bool, broken_reason: str
) -> ModelVersion:
    """A version row for scoring, read from the database once per process: what changes
    after registration (active, challenger, broken) is given by the caller, fresh from this
    request's query, on a copy of its own."""
    key = (pk, sha256)
    version = _versions.get(key)
    if version is None:
        version = ModelVersion.objects.only(*SCORING_FIELDS).get(pk=pk)
        _versions[key] = version
    version = copy.copy(version)
    version.is_active, version.is_challenger = is_active, is_challenger
    version.broken_reason = broken_reason
    return version


class ModelUnavailableError(UnavailableError):
    """No usable model: none is active, or its file is missing or does not verify."""

    rule = "model_unavailable"


class ArtifactMissingError(ModelUnavailableError):
    """The version's model file is in no store (neither the database nor this host's cache)."""

    rule = "artifact_missing"


def load_pipeline(version: ModelVersion, *, recheck: bool = False) -> Any:
    """The fitted pipeline of a version, verified against its sha256 before unpickling.

    It comes prepared for quick answers (see ml_pipeline.prepared.PreparedPipeline):
    `predict_proba(frame)` as any sklearn pipeline, and `survival_probabilities(passengers)`
    without pandas for the few passengers of a request.

    A version marked broken (by this process or another) is not served from the cache: its
    file is checked again, at most every BROKEN_RECHECK_SECONDS, or at once with `recheck`.
    Raises ModelUnavailableError with the reason, and records it on the version.
    """
    key = (version.pk, version.artifact_sha256)
    trust_cache = not (recheck or version.broken_reason)
    if trust_cache:
        pipeline = _loaded.get(key)
        if pipeline is not None:
            return pipeline
    refusal = None
    with _lock:
        pipeline = _loaded.get(key) if trust_cache else None
        if pipeline is None:
            refused = _refused.get(key)
            if (
                refused is not None
                and not recheck
                and time.monotonic() - refused[0] < BROKEN_RECHECK_SECONDS
            ):
                raise ModelUnavailableError(refused[1])
            _loaded.pop(key, None)
            started = time.perf_counter()
            try:
                pipeline = _read_verified(version)
            except ModelUnavailableError as exc:
                _refused[key] = (time.monotonic(), str(exc))
                refusal = exc
            else:
                metrics.MODEL_LOAD_SECONDS.observe(time.perf_counter() - started)
                _refused.pop(key, None)
                _loaded[key] = pipeline
    # The registry is written outside the lock: a slow database must not stall other loads.
    if refusal is not None:
        _record_broken(version, str(refusal))
        raise refusal
    if version.broken_reason:
        _record_mended(version)
    return pipeline


def _record_broken(version: ModelVersion, reason: str) -> None:
    now = timezone.now()
    try:
        ModelVersion.objects.filter(pk=version.pk).exclude(broken_reason=reason).update(
            broken_reason=reason, broken_at=now
        )
    except DatabaseError:
        # The refusal stands whether or not it could be written down.
        logger.exception("could not record v%s as broken", version.version)
        return
    if version.broken_reason != reason:
        version.broken_reason, version.broken_at = reason, now


def _record_mended(version: ModelVersion) -> None:
    logger.warning("artifact of v%s verifies again; it is no longer broken", version.version)
    try:
        ModelVersion.objects.filter(pk=version.pk).update(broken_reason="", broken_at=None)
    except DatabaseError:
        logger.exception("could not record v%s as mended", version.version)
        return
    version.broken_reason, version.broken_at = "", None


def _read_verified(version: ModelVersion) -> Any:
    # The bytes that were hashed are the bytes that are unpickled: no window in which the
    # file could be swapped between the check and the load.
    what = f"the model file of v{version.version}"
    try:
        data = store.verified_bytes(
            name=version.artifact_name, sha256=version.artifact_sha256, what=what
        )
    except store.NotStoredError as exc:
        metrics.ARTIFACT_REFUSALS.labels("missing").inc()
        raise ArtifactMissingError(ARTIFACT_MISSING.format(version=version.version)) from exc
    except store.StoredBytesAlteredError as exc:
        metrics.ARTIFACT_REFUSALS.labels("altered").inc()
        raise ModelUnavailableError(ARTIFACT_TAMPERED.format(version=version.version)) from exc
    # A pickle from another scikit-learn may load and then answer wrongly, or not load at all.
    trained = (version.library_versions or {}).get("scikit-learn", "unknown")
    installed = installed_version("scikit-learn")
    if trained != installed:
        logger.error("v%s needs scikit-learn %s, not %s", version.version, trained, installed)
        metrics.ARTIFACT_REFUSALS.labels("scikit_learn_mismatch").inc()
        raise ModelUnavailableError(
            SKLEARN_MISMATCH.format(version=version.version, trained=trained, installed=installed)
        )
    try:
        pipeline = joblib.load(io.BytesIO(data))
    except Exception as exc:
        # e.g. a numpy that cannot read it: refused like any other unusable file, not a 500.
        logger.exception("artifact of v%s verified but did not load", version.version)
        metrics.ARTIFACT_REFUSALS.labels("unloadable").inc()
        raise ModelUnavailableError(
            ARTIFACT_UNLOADABLE.format(version=version.version, error=type(exc).__name__)
        ) from exc
    # Imported here: scikit-learn is loaded by the first prediction, not at Django start-up.
    from ml_pipeline.prepared import PreparedPipeline

    prepared = PreparedPipeline(pipeline)
    # Said once per version and process (the loaded pipeline is kept): which path answers.
    if prepared.quick:
        logger.info("v%s answers through the quick path", version.version)
    else:
        logger.warning(
            "v%s answers through scikit-learn's own path (slower): the quick path does not know %s",
            version.version,
            prepared.reason,
        )
    return prepared


def clear_loaded_models() -> None:
    """Forgets every loaded pipeline (tests use it to start cold)."""
    with _lock:
        _loaded.clear()
        _refused.clear()
        _versions.clear()
