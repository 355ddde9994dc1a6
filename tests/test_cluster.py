"""Two hosts behind one name, for real: two gunicorn servers (host A, host B) and one job
worker, each with its own ARTIFACTS_DIR, sharing only a PostgreSQL database and a Redis,
driven over HTTP. Marked `cluster` (not in the default run: `pytest -m cluster`, which
.ci/run does on PostgreSQL); it needs DATABASE_URL to name a PostgreSQL server whose role may
create databases, and redis-server.
"""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from http import HTTPStatus
from http.cookiejar import CookieJar
from pathlib import Path

import pytest
import redis

from ml_pipeline.schema import default_passenger
from tests.test_serving import start_server, stop_server

pytestmark = pytest.mark.cluster

PROJECT_DIR = Path(__file__).resolve().parent.parent
RATE_PER_MINUTE = 10
BACKGROUND_ROWS = 50
# Bounded waits for the worker; nothing is timed.
JOB_TIMEOUT_SECONDS = 240


def server_database_url() -> str:
    url = os.environ.get("DATABASE_URL", "")
    assert url.startswith(("postgres://", "postgresql://")), (
        "The cluster test needs DATABASE_URL to name a PostgreSQL server (.ci/run sets it)."
    )
    return url


@pytest.fixture(scope="module")
def cluster_database() -> str:
    """A database of this test alone on the server DATABASE_URL names, dropped at the end."""
    import psycopg

    server = server_database_url()
    name = f"titanic_cluster_test_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(server, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    yield f"{server.rsplit('/', 1)[0]}/{name}"
    with psycopg.connect(server, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def cluster(tmp_path_factory, cluster_database, redis_url):
    """Host A, host B and the worker; `env[host]` is each one's environment, for commands
    run "on" that host."""
    folder = tmp_path_factory.mktemp("cluster")
    from ml_pipeline.data import BUNDLED_DATA

    lines = BUNDLED_DATA.read_text(encoding="utf-8").splitlines(keepends=True)
    small = folder / "small.csv"
    small.write_text("".join([lines[0], *lines[1::4]]), encoding="utf-8")
    common = {
        **os.environ,
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "cluster-test-key",
        "DATABASE_URL": cluster_database,
        "REDIS_URL": redis_url,
        "API_PREDICT_RATE": f"{RATE_PER_MINUTE}/min",
        # Every call needs a key (made on any host, valid on all); each test has its own.
        "API_REQUIRE_KEY": "1",
        # As behind the proxy: the client is the address it adds to X-Forwarded-For, so
        # each test speaks as a client of its own.
        "API_TRUSTED_PROXIES": "1",
        "BATCH_BACKGROUND_ROWS": str(BACKGROUND_ROWS),
        "JOB_STALE_SECONDS": "30",
        "LOG_LEVEL": "WARNING",
        "OMP_NUM_THREADS": "1",
        # Versions trained on a quarter of the data vary by several points: this test is
        # about hosts, so the promotion gate lets any version through.
        "PROMOTION_GATE_MAX_AUC_DROP": "1",
        "PROMOTION_GATE_MAX_BRIER_RISE": "1",
    }
    common.pop("DJANGO_CACHE_BACKEND", None)
    env = {host: {**common, "ARTIFACTS_DIR": str(folder / host)} for host in ("a", "b", "worker")}
    manage(env["a"], "migrate", "--noinput")
    manage(env["a"], "train", "--data", str(small), "--algorithm", "logreg", "--seed", "1")
    manage(env["a"], "shell", "-c", ACTIVATE.format(number=1))
    log = (folder / "worker.log").open("w")
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "db_worker", "--no-reload", "--interval", "0.2"],
        cwd=PROJECT_DIR,
        env=env["worker"],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    servers = {host: start_server(env[host], workers=1) for host in ("a", "b")}
    yield {
        "env": env,
        "folder": folder,
        "small": small,
        "base": {host: base for host, (_, base) in servers.items()},
        "redis": redis_url,
    }
    for server, _ in servers.values():
        stop_server(server)
    worker.terminate()
    worker.wait(timeout=60)
    log.close()


ACTIVATE = (
    "from survival.models import ModelVersion; "
    "from survival.registry.services import model_version_activate; "
    "model_version_activate(version=ModelVersion.objects.get(version={number}))"
)


def manage(env: dict[str, str], *arguments: str) -> str:
    return subprocess.run(
        [sys.executable, "manage.py", *arguments],
        cwd=PROJECT_DIR,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def call(
    base: str,
    path: str,
    *,
    body: dict | None = None,
    client: str = "192.0.2.1",
    headers: dict[str, str] | None = None,
) -> tuple[int, dict]:
    request = urllib.request.Request(
        base + path,
        data=json.dumps(body).encode() if body is not None else None,
        headers={
            "Content-Type": "application/json",
            "X-Forwarded-For": client,
            **(headers or {}),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def predict(base: str, *, client: str, key: str) -> tuple[int, dict]:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return call(base, "/api/v1/predict", body=default_passenger(), client=client, headers=headers)


def new_key(cluster, name: str, rate: str = "100000/min") -> str:
    """A key made on host A (`manage.py api_key create`, which prints it once)."""
    return manage(cluster["env"]["a"], "api_key", "create", name, "--rate", rate).strip()


def test_a_version_trained_and_activated_on_a_is_answered_by_b(cluster):
    a, b = cluster["base"]["a"], cluster["base"]["b"]
    key = new_key(cluster, "trainer")
    status, answer = predict(b, client="192.0.2.10", key=key)
    assert (status, answer["model_version"]) == (HTTPStatus.OK, 1)
    small = str(cluster["small"])
    trained = manage(
        cluster["env"]["a"],
        *("train", "--data", small, "--algorithm", "logreg", "--seed", "2", "--activate"),
    )
    assert "activated" in trained.lower()
    # B has never seen version 2's file: it fetches it from the database, checks it, and
    # answers with it on its next request.
    assert not list((cluster["folder"] / "b").glob("*-v0002-*.joblib"))
    status, answer = predict(b, client="192.0.2.10", key=key)
    assert (status, answer["model_version"]) == (HTTPStatus.OK, 2)
    assert predict(a, client="192.0.2.10", key=key)[1]["model_version"] == 2


def test_activating_on_a_changes_what_b_serves_on_its_next_request(cluster):
    b = cluster["base"]["b"]
    key = new_key(cluster, "activation-watcher")
    # A version B has already loaded, and one it has not: each reaches it at once.
    for number in (1, 2, 1):
        manage(cluster["env"]["a"], "shell", "-c", ACTIVATE.format(number=number))
        status, answer = predict(b, client="192.0.2.11", key=key)
        assert (status, answer["model_version"]) == (HTTPStatus.OK, number)


def test_a_rate_is_shared_by_both_hosts(cluster):
    a, b = cluster["base"]["a"], cluster["base"]["b"]
    key = new_key(cluster, "ten-a-minute", rate=f"{RATE_PER_MINUTE}/min")
    statuses = [predict((a, b)[n % 2], client="192.0.2.20", key=key)[0] for n in range(12)]
    assert statuses.count(HTTPStatus.OK) == RATE_PER_MINUTE
    assert statuses.count(HTTPStatus.TOO_MANY_REQUESTS) == 2
    # The counts are in the shared Redis, under this one key.
    assert redis.Redis.from_url(cluster["redis"]).keys("*throttle_predict-key_*")


def test_a_key_made_on_a_works_on_b_and_once_revoked_on_neither(cluster):
    a, b = cluster["base"]["a"], cluster["base"]["b"]
    key = new_key(cluster, "partner")
    assert predict(b, client="192.0.2.30", key=key)[0] == HTTPStatus.OK
    assert predict(a, client="192.0.2.30", key=key)[0] == HTTPStatus.OK
    # API_REQUIRE_KEY: no key, no answer, on either host.
    assert predict(a, client="192.0.2.30", key="")[0] == HTTPStatus.UNAUTHORIZED
    assert predict(b, client="192.0.2.30", key="")[0] == HTTPStatus.UNAUTHORIZED
    manage(cluster["env"]["a"], "api_key", "revoke", "partner")
    assert predict(a, client="192.0.2.30", key=key)[0] == HTTPStatus.UNAUTHORIZED
    assert predict(b, client="192.0.2.30", key=key)[0] == HTTPStatus.UNAUTHORIZED


class Trap:
    """Unpickled, it creates the file `marker`: proof that a file was unpickled."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


def test_a_tampered_copy_in_bs_cache_is_refused_refetched_and_never_unpickled(cluster):
    a, b = cluster["base"]["a"], cluster["base"]["b"]
    key = new_key(cluster, "tamper-watcher")
    small = str(cluster["small"])
    train = ("train", "--data", small, "--algorithm", "logreg", "--seed", "3", "--quiet")
    manage(cluster["env"]["a"], *train)
    number, name = (
        manage(cluster["env"]["a"], "shell", "-c", LATEST).strip().splitlines()[-1].split()
    )
    good = (cluster["folder"] / "a" / name).read_bytes()
    # Before B ever loads the new version, its cache holds a hostile file by that name.
    marker = cluster["folder"] / "unpickled"
    cached = cluster["folder"] / "b" / name
    cached.parent.mkdir(parents=True, exist_ok=True)
    cached.write_bytes(pickle.dumps(Trap(marker)))
    manage(cluster["env"]["a"], "shell", "-c", ACTIVATE.format(number=number))

    status, answer = predict(b, client="192.0.2.40", key=key)
    assert (status, answer["model_version"]) == (HTTPStatus.OK, int(number))
    assert not marker.exists()
    # The copy was replaced by the database's, byte for byte.
    assert cached.read_bytes() == good
    assert predict(a, client="192.0.2.40", key=key)[1]["model_version"] == int(number)


LATEST = (
    "from survival.models import ModelVersion; "
    "v = ModelVersion.objects.latest('version'); print(v.version, v.artifact_name)"
)


class Browser:
    """A visitor's cookies and forms, over plain HTTP (the CSRF cookie and token)."""

    def __init__(self) -> None:
        self.cookies = CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.cookies), NoRedirect
        )

    def get(self, url: str) -> tuple[int, str, dict]:
        try:
            with self.opener.open(url, timeout=30) as response:
                return response.status, response.read().decode(), dict(response.headers)
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(), dict(error.headers)

    def post_file(self, url: str, *, field: str, name: str, content: bytes) -> tuple[int, dict]:
        token = next(c.value for c in self.cookies if c.name == "csrftoken")
        boundary = uuid.uuid4().hex
        body = (
            (
                f"--{boundary}\r\n"
                f'Content-Disposition: form-data; name="csrfmiddlewaretoken"\r\n\r\n{token}\r\n'
                f"--{boundary}\r\n"
                f'Content-Disposition: form-data; name="{field}"; filename="{name}"\r\n'
                "Content-Type: text/csv\r\n\r\n"
            ).encode()
            + content
            + f"\r\n--{boundary}--\r\n".encode()
        )
        request = urllib.request.Request(
            url,
            data=body,
            headers={
                "Content-Type": f"multipart/form-data; boundary={boundary}",
                "Referer": url,
            },
        )
        try:
            with self.opener.open(request, timeout=60) as response:
                return response.status, dict(response.headers)
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def test_a_batch_job_uploaded_on_a_is_run_by_the_worker_and_shown_by_b(cluster):
    a, b = cluster["base"]["a"], cluster["base"]["b"]
    header = "pclass,sex,age,sibsp,parch,fare,embarked\n"
    rows = "".join(
        f"{1 + n % 3},{('male', 'female')[n % 2]},{20 + n},0,0,15,S\n" for n in range(80)
    )
    browser = Browser()
    assert browser.get(f"{a}/batch/")[0] == HTTPStatus.OK
    status, headers = browser.post_file(
        f"{a}/batch/", field="file", name="people.csv", content=(header + rows).encode()
    )
    assert status == HTTPStatus.SEE_OTHER
    job_path = headers["Location"]
    assert job_path.startswith("/jobs/")

    deadline = time.monotonic() + JOB_TIMEOUT_SECONDS
    while True:
        status, page, _ = browser.get(b + job_path)
        assert status == HTTPStatus.OK
        if 'data-state="succeeded"' in page:
            break
        assert 'data-state="failed"' not in page, page
        assert time.monotonic() < deadline, "the worker did not finish the job in time"
        time.sleep(0.2)
    assert "80 rows scored" in page
    status, download, headers = browser.get(f"{b}{job_path.rstrip('/')}/download")
    assert status == HTTPStatus.OK
    assert headers["Content-Disposition"] == 'attachment; filename="people-scored.csv"'
    assert len(download.strip().splitlines()) == 1 + 80
