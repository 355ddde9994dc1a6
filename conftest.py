"""Fixtures shared by the unit tests (tests/) and the browser tests (e2e/)."""

from __future__ import annotations

import fcntl
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

import joblib
import pytest

from ml_pipeline.data import Dataset, load_dataset
from ml_pipeline.training import TrainingResult, train


@pytest.fixture(scope="session")
def django_db_modify_db_settings(
    django_db_modify_db_settings_parallel_suffix, tmp_path_factory
) -> None:
    """On SQLite the test database is a file rather than memory: the concurrency tests run
    transactions in several threads at once, each with its own connection, which SQLite's
    shared-cache memory databases answer with "table is locked" instead of waiting."""
    from django.conf import settings

    database = settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.sqlite3":
        folder = tmp_path_factory.mktemp("database")
        database.setdefault("TEST", {})["NAME"] = str(folder / "test.sqlite3")


@pytest.fixture(autouse=True, scope="session")
def fast_password_hasher(django_test_environment) -> None:
    """Test users' passwords are hashed with MD5: the real hasher is slow on purpose, and
    tests that sign in would spend most of their time in it. Production keeps Django's."""
    from django.test import override_settings

    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


@pytest.fixture(autouse=True)
def artifact_storage_in_tmp(settings, tmp_path: Path) -> Path:
    """Every test writes model files to its own folder, never to the project's artifacts/."""
    from survival.registry.artifacts import clear_loaded_models

    location = tmp_path / "artifacts"
    settings.STORAGES = {
        **settings.STORAGES,
        "artifacts": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": location, "base_url": None},
        },
    }
    clear_loaded_models()
    yield location
    clear_loaded_models()


@pytest.fixture(scope="session")
def titanic() -> Dataset:
    return load_dataset()


@pytest.fixture(scope="session")
def small_titanic(titanic: Dataset) -> Dataset:
    """Every fourth passenger: enough to fit every shape of pipeline quickly."""
    return Dataset(
        features=titanic.features.iloc[::4],
        target=titanic.target.iloc[::4],
        sha256="",
        rows=len(titanic.features.iloc[::4]),
        source="every fourth bundled passenger",
    )


def trained_once(
    tmp_path_factory: pytest.TempPathFactory, worker_id: str, name: str, build: Callable
) -> Any:
    """`build()` run once for the whole test run: with pytest-xdist, the first worker that
    needs it builds it while the others wait, then they all read the same result from the
    run's shared temporary folder (training is the slowest thing the tests do)."""
    if worker_id == "master":
        return build()
    shared = tmp_path_factory.getbasetemp().parent
    stored = shared / f"{name}.joblib"
    with open(shared / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if stored.exists():
            return joblib.load(stored)
        value = build()
        joblib.dump(value, stored)
        return value


@pytest.fixture(scope="session")
def trained_logreg(tmp_path_factory, worker_id, titanic: Dataset) -> TrainingResult:
    """One logistic regression trained on the bundled data, shared by the whole run."""
    build = partial(train, titanic, algorithm="logreg", seed=7)
    return trained_once(tmp_path_factory, worker_id, "logreg", build)


@pytest.fixture(scope="session")
def trained_forest(tmp_path_factory, worker_id, titanic: Dataset) -> TrainingResult:
    build = partial(train, titanic, algorithm="random_forest", seed=7)
    return trained_once(tmp_path_factory, worker_id, "random_forest", build)


@pytest.fixture(scope="session")
def trained_auto(tmp_path_factory, worker_id, titanic: Dataset) -> TrainingResult:
    """The full `auto` run on the bundled data (every candidate, search, calibration, plots),
    done once and shared by every test that needs the real selected model."""
    return trained_once(tmp_path_factory, worker_id, "auto", partial(train, titanic, seed=7))


@pytest.fixture
def small_titanic_csv(tmp_path: Path) -> Path:
    """Every fourth row of the bundled data (328 passengers of every class): enough to train
    on, quick to cross-validate."""
    from ml_pipeline.data import BUNDLED_DATA

    lines = BUNDLED_DATA.read_text(encoding="utf-8").splitlines(keepends=True)
    small = tmp_path / "small.csv"
    small.write_text("".join([lines[0], *lines[1::4]]), encoding="utf-8")
    return small


@pytest.fixture
def active_version(db, trained_logreg: TrainingResult):
    from survival.registry.services import model_version_register

    return model_version_register(result=trained_logreg, activate=True)


@pytest.fixture
def version_with(db, trained_logreg: TrainingResult):
    """Registers the logistic regression again as a new version, with the held-out ROC AUC
    and Brier score (and, if given, the schema fingerprint) it should be judged by: the
    promotion gate reads only those recorded numbers, and the file stays a real model."""
    from dataclasses import replace

    from survival.registry.services import model_version_register

    def register(*, roc_auc: float, brier: float, schema_fingerprint: str | None = None):
        result = replace(
            trained_logreg,
            holdout_metrics={**trained_logreg.holdout_metrics, "roc_auc": roc_auc, "brier": brier},
            schema_fingerprint=schema_fingerprint or trained_logreg.schema_fingerprint,
        )
        return model_version_register(result=result)

    return register


# A running job's worker beats every sixth of this: short enough that a killed worker's job
# is marked failed within seconds in the tests.
TEST_JOB_STALE_SECONDS = 3


@pytest.fixture
def start_job_worker(transactional_db, settings, artifact_storage_in_tmp, tmp_path) -> Iterator:
    """Starts real job workers (`manage.py db_worker`, as `make run` starts one), each in a
    process of its own, on this test's database (committed rows: the test must be
    transactional) and model files; `start()` returns the new one. Output is in
    tmp_path/worker-N.log. Every one still running is stopped (SIGTERM) at the end."""
    from django.db import connection

    database = connection.settings_dict
    if database["ENGINE"] != "django.db.backends.sqlite3":
        user = f"{database['USER']}:{database['PASSWORD']}@" if database["USER"] else ""
        url = f"postgres://{user}{database['HOST'] or 'localhost'}:{database['PORT'] or 5432}"
        url += f"/{database['NAME']}"
    else:
        url = f"sqlite:///{database['NAME']}"
    settings.JOB_STALE_SECONDS = TEST_JOB_STALE_SECONDS
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "ARTIFACTS_DIR": str(artifact_storage_in_tmp),
        "JOB_STALE_SECONDS": str(TEST_JOB_STALE_SECONDS),
        "OMP_NUM_THREADS": "1",
    }
    started: list[tuple[subprocess.Popen, Any]] = []

    def start() -> subprocess.Popen:
        log = (tmp_path / f"worker-{len(started) + 1}.log").open("w")
        worker = subprocess.Popen(
            [
                sys.executable,
                "manage.py",
                "db_worker",
                "--no-reload",
                "--interval",
                "0.1",
                "--no-startup-delay",
            ],
            cwd=Path(__file__).resolve().parent,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        started.append((worker, log))
        return worker

    yield start
    for worker, log in started:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGTERM)
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(worker.pid, signal.SIGKILL)
                worker.wait()
        log.close()


@pytest.fixture
def job_worker(start_job_worker) -> subprocess.Popen:
    """One real job worker for this test (see `start_job_worker`)."""
    return start_job_worker()


# The slowest tests (servers started in subprocesses, whole training runs) are handed out
# first, so that pytest-xdist's workers do not end up waiting on one of them at the end.
SLOW_FIRST = ("tests/test_bench.py", "tests/test_serving.py", "tests/test_training.py")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: not item.nodeid.startswith(SLOW_FIRST))


def free_port() -> int:
    """A TCP port nothing listens on right now, on 127.0.0.1."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory) -> Iterator[str]:
    """A real Redis (Debian's redis-server; `make test` installs it when missing) of this
    test process alone, on a free port, nothing saved to disk. Its URL; stopped at the end."""
    import time

    import redis

    folder = tmp_path_factory.mktemp("redis")
    port = free_port()
    server = subprocess.Popen(
        [
            "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(folder),
        ],
        stdout=subprocess.DEVNULL,
        start_new_session=True,
    )
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url)
    # A bounded wait for the server to take connections; nothing is timed.
    deadline = time.monotonic() + 30
    while True:
        assert server.poll() is None, "redis-server exited"
        try:
            client.ping()
            break
        except redis.ConnectionError:
            assert time.monotonic() < deadline, "redis-server did not answer in time"
            time.sleep(0.05)
    yield url
    server.terminate()
    server.wait(timeout=30)
