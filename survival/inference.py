"""Loading model artifacts: verified first, then unpickled once per process and reused.

Nothing is loaded at import time. The cache is keyed by version and artifact hash, so a
worker that meets a version it has not seen loads it once, and a stale entry cannot be used
for a different file.
"""

from __future__ import annotations

import hashlib
import io
import logging
import threading
from typing import Any

import joblib
from django.core.files.storage import storages

from survival.models import ModelVersion

logger = logging.getLogger(__name__)

ARTIFACT_STORAGE = "artifacts"

MODEL_UNAVAILABLE = "No model is available right now."
ARTIFACT_MISSING = "The model file for version {version} cannot be read."
ARTIFACT_TAMPERED = (
    "The model file for version {version} does not match its recorded sha256; it was not loaded."
)

_loaded: dict[tuple[int, str], Any] = {}
_lock = threading.Lock()


class ModelUnavailableError(Exception):
    """No usable model: none is active, or its file is missing or does not verify."""


def artifact_storage():
    return storages[ARTIFACT_STORAGE]


def load_pipeline(version: ModelVersion) -> Any:
    """The fitted pipeline of a version, verified against its sha256 before unpickling.

    It comes prepared for quick answers (see ml_pipeline.prepared.PreparedPipeline):
    `predict_proba(frame)` as any sklearn pipeline, and `survival_probabilities(passengers)`
    without pandas for the few passengers of a request.
    """
    key = (version.pk, version.artifact_sha256)
    pipeline = _loaded.get(key)
    if pipeline is not None:
        return pipeline
    with _lock:
        pipeline = _loaded.get(key)
        if pipeline is None:
            pipeline = _read_verified(version)
            _loaded[key] = pipeline
    return pipeline


def _read_verified(version: ModelVersion) -> Any:
    # The bytes that were hashed are the bytes that are unpickled: no window in which the
    # file could be swapped between the check and the load.
    try:
        with artifact_storage().open(version.artifact_name, "rb") as artifact:
            data = artifact.read()
    except OSError as exc:
        logger.error("artifact of v%s unreadable: %s", version.version, exc)
        raise ModelUnavailableError(ARTIFACT_MISSING.format(version=version.version)) from exc
    if hashlib.sha256(data).hexdigest() != version.artifact_sha256:
        logger.error("artifact of v%s fails its sha256 check", version.version)
        raise ModelUnavailableError(ARTIFACT_TAMPERED.format(version=version.version))
    # Imported here: scikit-learn is loaded by the first prediction, not at Django start-up.
    from ml_pipeline.prepared import PreparedPipeline

    return PreparedPipeline(joblib.load(io.BytesIO(data)))


def clear_loaded_models() -> None:
    """Forgets every loaded pipeline (tests use it to start cold)."""
    with _lock:
        _loaded.clear()
