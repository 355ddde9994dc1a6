"""What tests do to a version's stored files: the database's bytes and this host's cache."""

from __future__ import annotations

from survival.models import ModelVersion, StoredArtifact
from survival.registry.store import artifact_storage


def local_copy_write(name: str, data: bytes) -> None:
    storage = artifact_storage()
    storage.delete(name)
    with storage.open(name, "wb") as cached:
        cached.write(data)


def model_file_alter_everywhere(version: ModelVersion, data: bytes) -> None:
    """The database's bytes and this host's copy both replaced by `data`."""
    StoredArtifact.objects.filter(name=version.artifact_name).update(content=data)
    local_copy_write(version.artifact_name, data)


def model_file_remove_everywhere(version: ModelVersion) -> None:
    """Neither the database nor this host's cache holds the model file any more."""
    StoredArtifact.objects.filter(name=version.artifact_name).delete()
    artifact_storage().delete(version.artifact_name)


def model_file_in_database(version: ModelVersion) -> bytes:
    return bytes(StoredArtifact.objects.get(name=version.artifact_name).content)
