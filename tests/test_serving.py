"""Production serving: several gunicorn servers sharing one database, as on several machines.

Each test starts real `gunicorn` processes on 127.0.0.1 against a SQLite file of its own
(the test database of the other tests lives inside this process and cannot be shared), and
drives them over HTTP.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from http import HTTPStatus
from pathlib import Path

import pytest

PROJECT_DIR = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
GUNICORN = str(Path(sys.executable).parent / "gunicorn")
START_TIMEOUT_SECONDS = 120
PASSENGER = {
    "pclass": 2,
    "sex": "male",
    "age": 8.0,
    "sibsp": 1,
    "parch": 1,
    "fare": 26.0,
    "embarked": "S",
}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def deployment(tmp_path_factory, request) -> dict[str, str]:
    """Environment of one deployment: a SQLite file and an artifacts folder, with two
    registered logistic regressions (v1 active, v2 not)."""
    folder = tmp_path_factory.mktemp("deployment")
    from ml_pipeline.data import BUNDLED_DATA

    lines = BUNDLED_DATA.read_text(encoding="utf-8").splitlines(keepends=True)
    small = folder / "small.csv"
    small.write_text("".join([lines[0], *lines[1::4]]), encoding="utf-8")
    env = {
        **os.environ,
        "DJANGO_SECRET_KEY": "serving-test-key",
        "DATABASE_URL": f"sqlite:///{folder / 'db.sqlite3'}",
        "ARTIFACTS_DIR": str(folder / "artifacts"),
        "API_PREDICT_RATE": "100000/min",
        "LOG_LEVEL": "WARNING",
        "OMP_NUM_THREADS": "1",
        # The two versions are trained on a quarter of the data and judged on 66 held-out
        # rows, whose ROC AUC varies by several points between seeds: these tests are about
        # serving, so the promotion gate lets any version through.
        "PROMOTION_GATE_MAX_AUC_DROP": "1",
        "PROMOTION_GATE_MAX_BRIER_RISE": "1",
        # As `make serve`: the default cache (files, shared by a host's workers) and hashed
        # static files served by whitenoise.
        "DJANGO_CACHE_LOCATION": str(folder / "cache"),
        "DJANGO_STATIC_ROOT": str(folder / "static"),
        "DJANGO_STATICFILES_BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage",
    }
    env.pop("DJANGO_CACHE_BACKEND", None)
    manage = [PYTHON, "manage.py"]
    subprocess.run([*manage, "migrate", "--noinput"], cwd=PROJECT_DIR, env=env, check=True)
    collect = [*manage, "collectstatic", "--noinput", "--verbosity=0"]
    subprocess.run(collect, cwd=PROJECT_DIR, env=env, check=True)
    train = [*manage, "train", "--data", str(small), "--algorithm", "logreg", "--quiet"]
    for seed, activate in ((1, ["--activate"]), (2, [])):
        subprocess.run(
            [*train, "--seed", str(seed), *activate], cwd=PROJECT_DIR, env=env, check=True
        )
    return env


def start_server(
    env: dict[str, str], *, workers: int, options: tuple[str, ...] = ()
) -> tuple[subprocess.Popen, str]:
    port = free_port()
    server = subprocess.Popen(
        [
            GUNICORN,
            "site_config.wsgi:application",
            f"--workers={workers}",
            f"--bind=127.0.0.1:{port}",
            "--no-control-socket",
            *options,
        ],
        cwd=PROJECT_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    # A bounded poll for the port to answer; nothing is timed.
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while True:
        assert server.poll() is None, "gunicorn exited"
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=10):
                return server, base
        except OSError:
            assert time.monotonic() < deadline, "gunicorn did not answer in time"
            time.sleep(0.1)


def stop_server(server: subprocess.Popen) -> None:
    os.killpg(server.pid, signal.SIGTERM)
    server.wait(timeout=30)


@pytest.fixture(scope="module")
def two_servers(deployment):
    """Two gunicorn servers (two workers each) sharing the deployment's database."""
    servers = [start_server(deployment, workers=2) for _ in range(2)]
    yield [base for _, base in servers]
    for server, _ in servers:
        stop_server(server)


def predict(base: str) -> dict:
    request = urllib.request.Request(
        f"{base}/api/v1/predict",
        data=json.dumps(PASSENGER).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == HTTPStatus.OK
        return json.loads(response.read())


def activate(env: dict[str, str], number: int) -> None:
    code = (
        "from survival.models import ModelVersion; "
        "from survival.registry.services import model_version_activate; "
        f"model_version_activate(version=ModelVersion.objects.get(version={number}))"
    )
    subprocess.run([PYTHON, "manage.py", "shell", "-c", code], cwd=PROJECT_DIR, env=env, check=True)


def logged_predictions(env: dict[str, str]) -> int:
    path = env["DATABASE_URL"].removeprefix("sqlite:///")
    with sqlite3.connect(path) as database:
        return database.execute("SELECT COUNT(*) FROM survival_prediction").fetchone()[0]


def test_an_activation_reaches_every_worker_of_every_server_on_its_next_request(
    deployment, two_servers
):
    # Enough requests that every worker of both servers has loaded v1.
    answers = [predict(base) for base in two_servers for _ in range(6)]
    assert {answer["model_version"] for answer in answers} == {1}

    activate(deployment, 2)

    answers = [predict(base) for base in two_servers for _ in range(6)]
    assert {answer["model_version"] for answer in answers} == {2}

    activate(deployment, 1)
    assert {predict(base)["model_version"] for base in two_servers} == {1}


def test_every_prediction_under_concurrent_load_is_logged(deployment, two_servers):
    requests_per_client, clients = 25, 8
    before = logged_predictions(deployment)

    def client(number: int) -> int:
        base = two_servers[number % len(two_servers)]
        return sum(1 for _ in range(requests_per_client) if "probability" in predict(base))

    with ThreadPoolExecutor(max_workers=clients) as pool:
        answered = sum(pool.map(client, range(clients)))

    assert answered == requests_per_client * clients
    assert logged_predictions(deployment) - before == answered


def scrape_predictions(base: str, token: str) -> float:
    """The total of titanic_predictions_total over every version and channel."""
    from prometheus_client.parser import text_string_to_metric_families

    request = urllib.request.Request(
        f"{base}/metrics", headers={"Authorization": f"Bearer {token}"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        text = response.read().decode()
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "titanic_predictions_total"
    )


def test_metrics_add_up_every_worker(deployment, tmp_path):
    """With `make serve`'s gunicorn.conf.py, /metrics reports what all workers did, whichever
    worker answers the scrape, starting from an emptied folder."""
    folder = tmp_path / "metrics"
    folder.mkdir()
    (folder / "counter_99999.db").write_bytes(b"left over from an earlier run")
    token = "serving-test-metrics-token"
    env = {**deployment, "PROMETHEUS_MULTIPROC_DIR": str(folder), "METRICS_TOKEN": token}
    server, base = start_server(env, workers=2, options=("--config=gunicorn.conf.py",))
    try:
        assert not (folder / "counter_99999.db").exists()
        requests, clients = 40, 4
        with ThreadPoolExecutor(max_workers=clients) as pool:
            answered = list(pool.map(lambda _: predict(base), range(requests)))
        assert all("probability" in answer for answer in answered)
        # Every scrape, answered by any worker, counts every prediction of both workers.
        assert {scrape_predictions(base, token) for _ in range(8)} == {float(requests)}
        writers = {path.stem.rsplit("_", 1)[1] for path in folder.glob("counter_*.db")}
        assert len(writers) == 2
    finally:
        stop_server(server)


def test_headers_are_what_tools_expect(two_servers):
    base = two_servers[0]
    with urllib.request.urlopen(f"{base}/") as page:
        html = page.read().decode()
        # No header names the server software.
        assert page.headers["Server"] is None
        assert "no-cache" in page.headers["Cache-Control"]
    head = urllib.request.Request(f"{base}/models/", method="HEAD")
    with urllib.request.urlopen(head) as answer:
        assert answer.status == HTTPStatus.OK
        assert answer.read() == b""
    # Hashed static files are cached for good.
    stylesheet = re.search(r'href="(/static/css/app\.[0-9a-f]+\.css)"', html).group(1)
    with urllib.request.urlopen(f"{base}{stylesheet}") as static:
        control = static.headers["Cache-Control"]
    assert "immutable" in control
    assert "max-age=315360000" in control


def test_a_batch_uploaded_through_one_worker_downloads_through_any(two_servers):
    """Scored files are kept in the database: every one uploaded through one worker can be
    downloaded through the other (connections go to either)."""
    import http.cookiejar

    base = two_servers[0]
    jar = http.cookiejar.CookieJar()
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = browser.open(f"{base}/batch/").read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    csv = "pclass,sex,age,sibsp,parch,fare,embarked\n1,female,30,0,0,80,S\n3,male,22,1,0,7.25,S\n"
    boundary = "passenger-file-boundary"
    body = (
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="csrfmiddlewaretoken"\r\n\r\n'
        f"{token}\r\n--{boundary}\r\n"
        'Content-Disposition: form-data; name="file"; filename="passengers.csv"\r\n'
        "Content-Type: text/csv\r\n\r\n"
        f"{csv}\r\n--{boundary}--\r\n"
    ).encode()
    downloaded = []
    for _ in range(20):
        upload = urllib.request.Request(
            f"{base}/batch/",
            data=body,
            headers={
                "Content-Type": f"multipart/form-data; boundary={boundary}",
                "Referer": f"{base}/batch/",
                "Connection": "close",
            },
        )
        result = browser.open(upload).read().decode()
        link = re.search(r'href="(/jobs/[^"]+/download)"', result).group(1)
        with browser.open(f"{base}{link}") as download:
            downloaded.append(download.read().decode().splitlines()[0])
    assert downloaded == ["line,survived,probability,model_version,error"] * 20
