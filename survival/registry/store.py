"""Where a version's files are kept: their bytes in the database, a copy on each host.

The database (StoredArtifact) holds every model file and plot, written in the transaction
that records the version, so every host behind the load balancer reads the same bytes
whichever host trained it. Each host keeps a copy of what it has read in its cache, the
"artifacts" storage (ARTIFACTS_DIR), and never trusts it: on every read the copy is checked
against the recorded sha256 first. A copy that is missing is fetched from the database; a
copy that does not match is refused (never unpickled, never served) and fetched again. The
bytes fetched are checked the same way before they are written to the cache (a temporary
file moved into place, so no reader sees half a file) and handed back: the bytes returned
are exactly the bytes that were checked.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from pathlib import Path

from django.core.files.storage import storages
from django.db import IntegrityError, transaction

from ml_pipeline.errors import UnavailableError
from survival.models import ModelVersion, StoredArtifact
from survival.ops import metrics

logger = logging.getLogger(__name__)

ARTIFACT_STORAGE = "artifacts"


class NotStoredError(UnavailableError):
    """Neither this host's cache nor the database holds the file."""

    rule = "artifact_missing"


class StoredBytesAlteredError(UnavailableError):
    """The database's bytes do not match the recorded sha256."""

    rule = "artifact_altered"


def artifact_storage():
    """This host's cache of version files (ARTIFACTS_DIR unless the settings say otherwise)."""
    return storages[ARTIFACT_STORAGE]


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def files_store(*, version: ModelVersion, files: dict[str, tuple[str, bytes]]) -> None:
    """Stores a version's files ({name: (kind, bytes)}) in the database, in the caller's
    transaction (the version's row and its bytes commit together), then copies them into
    this host's cache so that the host that trained a version need not fetch it back."""
    StoredArtifact.objects.bulk_create(
        StoredArtifact(
            version=version,
            kind=kind,
            name=name,
            sha256=sha256_of(data),
            size=len(data),
            content=data,
        )
        for name, (kind, data) in files.items()
    )
    for name, (_kind, data) in files.items():
        cache_write(name, data)


def verified_bytes(*, name: str, sha256: str, what: str) -> bytes:
    """The bytes of file `name`, which must have `sha256`: this host's copy when it matches,
    else the database's (then copied into the cache). `what` names the file in the log.

    Raises NotStoredError when no store holds it (or only an altered local copy), and
    StoredBytesAlteredError when the database's bytes do not match.
    """
    local = cache_read(name)
    if local is not None:
        if sha256_of(local) == sha256:
            return local
        # Someone or something changed this host's copy: it is code, so it is not loaded.
        logger.error(
            "the local copy of %s (%s) does not match its sha256; refused, fetched again "
            "from the database",
            what,
            name,
        )
        metrics.ARTIFACT_REFUSALS.labels("local_copy_altered").inc()
    stored = StoredArtifact.objects.filter(name=name).values_list("content", flat=True).first()
    if stored is None:
        logger.error("%s (%s) is neither in this host's cache nor in the database", what, name)
        raise NotStoredError(f"{what} is in no store.")
    data = bytes(stored)
    if sha256_of(data) != sha256:
        logger.error("the database's bytes of %s (%s) do not match its sha256", what, name)
        raise StoredBytesAlteredError(f"{what} is altered in the database.")
    cache_write(name, data)
    return data


def stored_sha256(name: str) -> str | None:
    """The sha256 recorded with a file's bytes in the database (the bytes are not read)."""
    return StoredArtifact.objects.filter(name=name).values_list("sha256", flat=True).first()


def stored_names(version: ModelVersion) -> set[str]:
    """The names of the files the database holds for a version (the bytes are not read)."""
    return set(StoredArtifact.objects.filter(version=version).values_list("name", flat=True))


def model_file_share(version: ModelVersion) -> bool:
    """Makes sure the database holds the version's model file, intact, so that every host can
    load it: a file this host's cache holds (verified) but the database lacks, as a version
    registered before the database held files may, or holds altered, is stored from the
    cache. False when neither holds it intact (then no host can serve the version)."""
    name, sha256 = version.artifact_name, version.artifact_sha256
    stored = StoredArtifact.objects.filter(name=name).values_list("content", flat=True).first()
    if stored is not None and sha256_of(bytes(stored)) == sha256:
        return True
    local = cache_read(name)
    if local is None or sha256_of(local) != sha256:
        return False
    if stored is not None:
        StoredArtifact.objects.filter(name=name).update(
            content=local, sha256=sha256, size=len(local)
        )
    else:
        try:
            with transaction.atomic():
                files_store(version=version, files={name: (StoredArtifact.Kind.MODEL, local)})
        except IntegrityError:
            # Another host stored it at the same moment: it is there.
            pass
    logger.warning("v%s's model file was stored from this host's verified copy", version.version)
    return True


def cache_read(name: str) -> bytes | None:
    """This host's copy of a file, or None when it has none (or cannot read it)."""
    try:
        with artifact_storage().open(name, "rb") as cached:
            return cached.read()
    except OSError:
        return None


def cache_write(name: str, data: bytes) -> None:
    """Puts a file into this host's cache whole: written to a temporary file beside it,
    then moved into place. A cache that cannot be written is only slower, so a failure is
    logged, not raised."""
    try:
        target = Path(artifact_storage().path(name))
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    except OSError:
        logger.warning("could not copy %s into this host's cache", name, exc_info=True)
