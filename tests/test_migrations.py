"""The migrations describe the models exactly (nothing is left for makemigrations to write),
and the data they move arrives."""

from __future__ import annotations

import hashlib

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor


@pytest.mark.django_db
def test_the_models_need_no_new_migration():
    # --check exits with an error when a model differs from what the migrations build.
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


def _old_version(apps, number: int, *, artifact: bytes, plots: dict[str, str]):
    return apps.get_model("survival", "ModelVersion").objects.create(
        version=number,
        algorithm="logreg",
        seed=7,
        data_sha256="0" * 64,
        data_rows=10,
        train_rows=8,
        holdout_rows=2,
        schema_fingerprint="f" * 64,
        artifact_name=f"model-v{number:04d}.joblib",
        artifact_sha256=hashlib.sha256(artifact).hexdigest(),
        plots=plots,
    )


@pytest.mark.django_db(transaction=True)
def test_the_stored_artifacts_migration_copies_the_files_this_host_holds(
    artifact_storage_in_tmp,
):
    before, after = [("survival", "0003_jobs")], [("survival", "0004_stored_artifacts")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    apps = executor.loader.project_state(before).apps
    folder = artifact_storage_in_tmp
    folder.mkdir(parents=True, exist_ok=True)
    # v1: its model file and one of its two plots are here.
    whole = _old_version(
        apps, 1, artifact=b"model one", plots={"roc": "v1-roc.svg", "gone": "v1-gone.svg"}
    )
    (folder / whole.artifact_name).write_bytes(b"model one")
    (folder / "v1-roc.svg").write_bytes(b"<svg>roc</svg>")
    # v2: its model file is on no disk here. v3: its file does not match its sha256.
    missing = _old_version(apps, 2, artifact=b"model two", plots={})
    altered = _old_version(apps, 3, artifact=b"model three", plots={})
    (folder / altered.artifact_name).write_bytes(b"model three, altered")

    executor = MigrationExecutor(connection)
    executor.migrate(after)
    stored = executor.loader.project_state(after).apps.get_model("survival", "StoredArtifact")
    rows = {
        row.name: (row.version_id, row.kind, bytes(row.content), row.sha256, row.size)
        for row in stored.objects.all()
    }
    assert rows == {
        "model-v0001.joblib": (
            whole.pk,
            "model",
            b"model one",
            hashlib.sha256(b"model one").hexdigest(),
            9,
        ),
        "v1-roc.svg": (
            whole.pk,
            "plot",
            b"<svg>roc</svg>",
            hashlib.sha256(b"<svg>roc</svg>").hexdigest(),
            14,
        ),
    }
    assert missing.artifact_name not in rows
    assert altered.artifact_name not in rows

    # Back to the latest schema for the tests that follow.
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
