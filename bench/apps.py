"""The apps the benchmark loads, one at a time: ours under `make serve` (its htmx and JSON
endpoints, and with a challenger shadowing) and each reference app under gunicorn."""

from __future__ import annotations

import http.cookiejar
import json
import os
import secrets
import subprocess
import sys
import urllib.parse
import urllib.request
from pathlib import Path

from passenger import PASSENGER
from servers import (
    START_TIMEOUT_SECONDS,
    free_port,
    gunicorn_workers,
    start_server,
    stop,
    timed_request,
    wait_until_up,
)
from wrk_load import LoadResult, load, lua_script

BENCH_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BENCH_DIR.parent

OURS_HTMX = "ours: htmx predict (with explanation)"


OURS_JSON = "ours: JSON predict"


OURS_SHADOWED = "ours: htmx predict, a challenger shadowing"


CLASSIC = "classic Django"


FLASK = "Flask"


FLOOR = "floor (bare WSGI)"


# The references that serve a model: (name, gunicorn app, body kind).
REFERENCE_APPS = (
    (CLASSIC, "classic_django:application", "form"),
    (FLASK, "flask_app:app", "json"),
)


def bench_our_app(
    options, state: Path, algorithm: str, *, with_challenger: bool
) -> list[LoadResult]:
    port = free_port()
    log = state / "app.log"
    env = {
        **os.environ,
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(40),
        "DATABASE_URL": os.environ.get("BENCH_DATABASE_URL", f"sqlite:///{state / 'app.sqlite3'}"),
        "ARTIFACTS_DIR": str(state / "artifacts"),
        # The benchmark is one client sending as fast as it can: lift the API's rate limit.
        # Per second: the throttle keeps each request's time within the period, so a short
        # period keeps that list short.
        "API_PREDICT_RATE": "1000000/s",
        "LOG_LEVEL": "WARNING",
    }
    train_args = f"--algorithm {algorithm} --quiet"
    if options.train_data:
        train_args += f" --data {Path(options.train_data).resolve()}"
    command = [
        "make",
        "--no-print-directory",
        "serve",
        "HOST=127.0.0.1",
        f"PORT={port}",
        f"WORKERS={options.workers}",
        f"TRAIN_ARGS={train_args}",
    ]
    base = f"http://127.0.0.1:{port}"
    server = start_server(command, cwd=PROJECT_DIR, env=env, log=log)
    try:
        wait_until_up(f"{base}/healthz", server, log)
        # The page hands out the CSRF cookie; the htmx request sends it back as the header.
        cookies = http.cookiejar.CookieJar()
        browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(cookies))
        form = urllib.parse.urlencode(PASSENGER)
        csrf_request = urllib.request.Request(f"{base}/")
        first_page, _ = timed_request(csrf_request, browser)
        token = next(c.value for c in cookies if c.name == "csrftoken")
        htmx_headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "HX-Request": "true",
            "X-CSRFToken": token,
            "Cookie": f"csrftoken={token}",
        }
        first, answer = timed_request(
            urllib.request.Request(
                f"{base}/predict/", data=form.encode(), headers=htmx_headers, method="POST"
            )
        )
        if b"%" not in answer:
            raise RuntimeError("the htmx answer has no probability in it")
        json_headers = {"Content-Type": "application/json"}
        _, api_answer = timed_request(
            urllib.request.Request(
                f"{base}/api/v1/predict",
                data=json.dumps(PASSENGER).encode(),
                headers=json_headers,
                method="POST",
            )
        )
        if "probability" not in json.loads(api_answer):
            raise RuntimeError("the API's answer has no probability")
        served = served_version(base)
        workers = gunicorn_workers(server.pid)
        htmx_script = lua_script(state / "htmx.lua", body=form, headers=htmx_headers)
        htmx = load(
            OURS_HTMX,
            algorithm,
            f"{base}/predict/",
            htmx_script,
            options,
            first,
            workers,
        )
        api = load(
            OURS_JSON,
            algorithm,
            f"{base}/api/v1/predict",
            lua_script(state / "json.lua", body=json.dumps(PASSENGER), headers=json_headers),
            options,
            first,
            workers,
        )
        # The page itself, cold, is the first request; the predict is the first model call.
        htmx.first_request_seconds = api.first_request_seconds = max(first_page, first)
        results = [htmx, api]
        if with_challenger:
            # Then a second version of the same kind shadows the active one, as `train
            # --challenger` sets it up: every prediction is scored by both, one answer is shown.
            with log.open("a") as log_file:
                challenger = ["--challenger", "--seed", "43"]
                subprocess.run(
                    [sys.executable, "manage.py", "train", *train_args.split(), *challenger],
                    cwd=PROJECT_DIR,
                    env=env,
                    stdout=log_file,
                    stderr=subprocess.STDOUT,
                    check=True,
                    timeout=START_TIMEOUT_SECONDS,
                )
            results.append(
                load(
                    OURS_SHADOWED,
                    algorithm,
                    f"{base}/predict/",
                    htmx_script,
                    options,
                    first,
                    workers,
                )
            )
        for result in results:
            result.served = served
        return results
    finally:
        stop(server)


def served_version(base: str) -> str:
    """The active version as the API lists it: number, algorithm, calibration if any."""
    _, body = timed_request(urllib.request.Request(f"{base}/api/v1/models"))
    active = next(version for version in json.loads(body) if version["is_active"])
    calibration = active["params"].get("calibration")
    described = f"version {active['version']}, {active['algorithm_label']}"
    if calibration:
        # What that costs per prediction: one model per calibration fold, averaged.
        described += f", calibrated: {calibration}, so each answer averages that many fitted copies"
    return described


def bench_reference(
    options, state: Path, name: str, app: str, body_kind: str, algorithm: str
) -> LoadResult:
    port = free_port()
    log = state / f"{app.split(':')[0]}.log"
    env = {**os.environ, "BENCH_MODEL_DIR": str(state / "reference"), "OMP_NUM_THREADS": "1"}
    command = [
        str(Path(sys.executable).parent / "gunicorn"),
        app,
        f"--workers={options.workers}",
        f"--bind=127.0.0.1:{port}",
        "--access-logfile=-",
        "--no-control-socket",
    ]
    path = "/predict/" if body_kind == "form" else "/predict"
    if body_kind == "form":
        body = urllib.parse.urlencode(PASSENGER)
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
    else:
        body = json.dumps(PASSENGER)
        headers = {"Content-Type": "application/json"}
    url = f"http://127.0.0.1:{port}{path}"
    # From bench/, so that gunicorn finds the apps and not the project's gunicorn.conf.py.
    server = start_server(command, cwd=BENCH_DIR, env=env, log=log)
    try:
        first_probe = urllib.request.Request(
            url, data=body.encode(), headers=headers, method="POST"
        )
        wait_until_up(first_probe, server, log)
        first, _ = timed_request(first_probe)
        script = lua_script(state / f"{app.split(':')[0]}.lua", body=body, headers=headers)
        return load(name, algorithm, url, script, options, first, gunicorn_workers(server.pid))
    finally:
        stop(server)
