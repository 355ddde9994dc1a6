"""The apps the benchmark loads, each started once and left up for every run: ours under
`make serve` (its htmx live preview, its JSON endpoint and, optionally, the htmx submit), the
references that serve a model (classic Django, Flask) and the two floors (a bare WSGI
function; an empty Django view behind our middleware, served as ours is).

Each `start_…` function starts one server, checks that it answers as it should, and returns
what a run loads (wrk_load.Endpoint); the caller stops the servers it was handed back."""

from __future__ import annotations

import http.cookiejar
import json
import os
import secrets
import subprocess
import sys
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from passenger import PASSENGER
from servers import free_port, gunicorn_workers, start_server, timed_request, wait_until_up
from wrk_load import Endpoint, lua_script

BENCH_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BENCH_DIR.parent
GUNICORN = str(Path(sys.executable).parent / "gunicorn")
# What `make serve` hands gunicorn for static files (see the Makefile's SERVE_STATIC).
SERVE_STATIC = "whitenoise.storage.CompressedManifestStaticFilesStorage"

OURS_PREVIEW = "ours: htmx preview"


OURS_JSON = "ours: JSON predict"


OURS_SUBMIT = "ours: htmx submit"


CLASSIC = "classic Django"


FLASK = "Flask"


DJANGO_FLOOR = "empty Django view"


FLOOR = "bare WSGI"


# Ours with the work each answer must do taken out (bench/headroom_app.py).
HEADROOM_PREVIEW = "ours without the explanation: htmx preview"


HEADROOM_JSON = "ours without the log write and rate limit: JSON predict"


# The references that serve a model: (name, gunicorn app, body kind).
REFERENCE_APPS = (
    (CLASSIC, "classic_django:application", "form"),
    (FLASK, "flask_app:app", "json"),
)


# The headers htmx sends when a select of the form changes (templates/survival/home.html:
# the fields' element asks GET / for a preview, with the passenger in the query).
PREVIEW_HEADERS = {
    "HX-Request": "true",
    "HX-Trigger": "passenger-fields",
    "HX-Target": "result-card",
}


@dataclass
class OurApp:
    """Ours, serving one round's model: its address, environment and what runs load."""

    family: str
    base: str
    env: dict[str, str]
    train_args: list[str]
    # The active version as the API lists it: its algorithm and whether it is calibrated.
    algorithm: str
    calibrated: bool
    served: str
    endpoints: list[Endpoint] = field(default_factory=list)


def our_env(state: Path) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(40),
        "DATABASE_URL": os.environ.get("BENCH_DATABASE_URL", f"sqlite:///{state / 'app.sqlite3'}"),
        "ARTIFACTS_DIR": str(state / "artifacts"),
        # The benchmark is one client sending as fast as it can: lift the API's rate limit
        # (still counted on every request, at the same cost whatever the rate).
        "API_PREDICT_RATE": "1000000/s",
        "LOG_LEVEL": "WARNING",
    }


def start_our_app(options, state: Path, family: str, servers: list, *, with_submit: bool) -> OurApp:
    """`make serve` on a free port, training a first version of `family` (`default`: what
    `train` picks by itself); each endpoint checked once, then what runs load."""
    port = free_port()
    log = state / "app.log"
    env = our_env(state)
    train_args = ["--quiet"] if family == "default" else ["--algorithm", family, "--quiet"]
    if options.train_data:
        train_args += ["--data", str(Path(options.train_data).resolve())]
    command = [
        "make",
        "--no-print-directory",
        "serve",
        "HOST=127.0.0.1",
        f"PORT={port}",
        f"WORKERS={options.workers}",
        f"TRAIN_ARGS={' '.join(train_args)}",
    ]
    base = f"http://127.0.0.1:{port}"
    server = start_server(command, cwd=PROJECT_DIR, env=env, log=log)
    servers.append(server)
    wait_until_up(f"{base}/healthz", server, log)
    # The page hands out the CSRF cookie; the browser sends it back with every request, and
    # the submit sends the token as the header too.
    cookies = http.cookiejar.CookieJar()
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(cookies))
    first_page, _ = timed_request(urllib.request.Request(f"{base}/"), browser)
    token = next(c.value for c in cookies if c.name == "csrftoken")
    query = urllib.parse.urlencode(PASSENGER)
    preview_url = f"{base}/?{query}"
    preview_headers = {
        **PREVIEW_HEADERS,
        "HX-Current-URL": f"{base}/",
        "Cookie": f"csrftoken={token}",
    }
    first, answer = timed_request(urllib.request.Request(preview_url, headers=preview_headers))
    if b"%" not in answer:
        raise RuntimeError("the htmx preview has no probability in it")
    json_headers = {"Content-Type": "application/json"}
    json_body = json.dumps(PASSENGER)
    _, api_answer = timed_request(
        urllib.request.Request(
            f"{base}/api/v1/predict", data=json_body.encode(), headers=json_headers, method="POST"
        )
    )
    if "probability" not in json.loads(api_answer):
        raise RuntimeError("the API's answer has no probability")
    algorithm, calibrated, served = served_version(base)
    workers = gunicorn_workers(server.pid)
    # The page itself, cold, is the first request; the preview is the first model call.
    first_request = max(first_page, first)
    app = OurApp(family, base, env, train_args, algorithm, calibrated, served)
    preview_script = lua_script(
        state / "preview.lua", body=None, headers=preview_headers, method="GET"
    )
    json_script = lua_script(state / "json.lua", body=json_body, headers=json_headers)
    app.endpoints = [
        Endpoint(OURS_PREVIEW, family, preview_url, preview_script, workers, first_request, served),
        Endpoint(
            OURS_JSON, family, f"{base}/api/v1/predict", json_script, workers, first_request, served
        ),
    ]
    if with_submit:
        submit_headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "HX-Request": "true",
            "HX-Trigger": "passenger-form",
            "HX-Target": "result-card",
            "X-CSRFToken": token,
            "Cookie": f"csrftoken={token}",
        }
        timed_request(
            urllib.request.Request(
                f"{base}/predict/", data=query.encode(), headers=submit_headers, method="POST"
            )
        )
        submit_script = lua_script(state / "submit.lua", body=query, headers=submit_headers)
        app.endpoints.append(
            Endpoint(
                OURS_SUBMIT,
                family,
                f"{base}/predict/",
                submit_script,
                workers,
                first_request,
                served,
            )
        )
    return app


def served_version(base: str) -> tuple[str, bool, str]:
    """The active version as the API lists it: its algorithm, whether it is calibrated, and
    in words (number, algorithm, calibration if any)."""
    _, body = timed_request(urllib.request.Request(f"{base}/api/v1/models"))
    active = next(version for version in json.loads(body) if version["is_active"])
    calibration = active["params"].get("calibration")
    described = f"version {active['version']}, {active['algorithm_label']}"
    if calibration:
        # What that costs per prediction: one model per calibration fold, averaged.
        described += f", calibrated: {calibration}, so each answer averages that many fitted copies"
    return active["algorithm"], bool(calibration), described


def train_challenger(app: OurApp, log: Path) -> None:
    """A second version of the same kind, shadowing the active one as `train --challenger`
    sets it up: every logged prediction is then scored by both, one answer is shown."""
    with log.open("a") as log_file:
        subprocess.run(
            [sys.executable, "manage.py", "train", *app.train_args, "--challenger", "--seed", "43"],
            cwd=PROJECT_DIR,
            env=app.env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            check=True,
            timeout=600,
        )


def start_reference(
    options, state: Path, servers: list, name: str, app: str, body_kind: str, family: str
) -> Endpoint:
    """A reference app under gunicorn, serving the model pickled in state/reference."""
    port = free_port()
    log = state / f"{app.split(':')[0]}.log"
    env = {**os.environ, "BENCH_MODEL_DIR": str(state / "reference"), "OMP_NUM_THREADS": "1"}
    path = "/predict/" if body_kind == "form" else "/predict"
    if body_kind == "form":
        body = urllib.parse.urlencode(PASSENGER)
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
    else:
        body = json.dumps(PASSENGER)
        headers = {"Content-Type": "application/json"}
    url = f"http://127.0.0.1:{port}{path}"
    probe = urllib.request.Request(url, data=body.encode(), headers=headers, method="POST")
    server = _start_gunicorn(options, app, port, BENCH_DIR, env, log, servers, probe)
    first, _ = timed_request(probe)
    script = lua_script(state / f"{app.split(':')[0]}.lua", body=body, headers=headers)
    return Endpoint(name, family, url, script, gunicorn_workers(server.pid), first)


def start_bare_floor(options, state: Path, servers: list) -> Endpoint:
    """The bare WSGI function: what gunicorn and wrk cost by themselves."""
    port = free_port()
    url = f"http://127.0.0.1:{port}/predict"
    body, headers = json.dumps(PASSENGER), {"Content-Type": "application/json"}
    probe = urllib.request.Request(url, data=body.encode(), headers=headers, method="POST")
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    server = _start_gunicorn(
        options, "floor:application", port, BENCH_DIR, env, state / "floor.log", servers, probe
    )
    first, _ = timed_request(probe)
    script = lua_script(state / "floor.lua", body=body, headers=headers)
    return Endpoint(FLOOR, "", url, script, gunicorn_workers(server.pid), first)


def start_django_floor(options, state: Path, servers: list, ours: OurApp) -> Endpoint:
    """The empty Django view, served as `make serve` serves ours: the same WSGI entry point,
    gunicorn.conf.py, workers, settings (bench/django_floor_settings.py changes only the
    URLs), environment and database; loaded with the preview's headers."""
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    headers = {**PREVIEW_HEADERS, "HX-Current-URL": url}
    probe = urllib.request.Request(url, headers=headers)
    settings = {"DJANGO_SETTINGS_MODULE": "django_floor_settings"}
    log = state / "django_floor.log"
    app = "site_config.wsgi:application"
    server = _serve_as_ours(options, app, port, ours, settings, log, servers, probe)
    first, answer = timed_request(probe)
    if b"Likely to survive" not in answer:
        raise RuntimeError("the empty Django view did not render its template")
    script = lua_script(state / "django_floor.lua", body=None, headers=headers, method="GET")
    return Endpoint(DJANGO_FLOOR, "", url, script, gunicorn_workers(server.pid), first)


def start_headroom_app(options, state: Path, servers: list, ours: OurApp) -> list[Endpoint]:
    """Ours without the explanation, the log write and the rate limit (bench/headroom_app.py),
    served as the empty Django view is (gunicorn.conf.py, ours' environment and database),
    each endpoint checked once: the preview answers with no explanation, the JSON predict
    with no prediction id (nothing logged)."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    preview_url = f"{base}/?{urllib.parse.urlencode(PASSENGER)}"
    preview_headers = {**PREVIEW_HEADERS, "HX-Current-URL": f"{base}/"}
    probe = urllib.request.Request(preview_url, headers=preview_headers)
    log = state / "headroom.log"
    server = _serve_as_ours(
        options, "headroom_app:application", port, ours, {}, log, servers, probe
    )
    first, answer = timed_request(probe)
    if b"%" not in answer or b'class="explanation' in answer:
        raise RuntimeError("the preview without its explanation did not answer as it should")
    json_url = f"{base}/api/v1/predict"
    json_body = json.dumps(PASSENGER)
    json_headers = {"Content-Type": "application/json"}
    _, api_answer = timed_request(
        urllib.request.Request(
            json_url, data=json_body.encode(), headers=json_headers, method="POST"
        )
    )
    if json.loads(api_answer).get("prediction_id", 0) is not None:
        raise RuntimeError("the JSON predict without its log write still logged")
    workers = gunicorn_workers(server.pid)
    preview_script = lua_script(
        state / "headroom_preview.lua", body=None, headers=preview_headers, method="GET"
    )
    json_script = lua_script(state / "headroom_json.lua", body=json_body, headers=json_headers)
    return [
        Endpoint(HEADROOM_PREVIEW, ours.family, preview_url, preview_script, workers, first),
        Endpoint(HEADROOM_JSON, ours.family, json_url, json_script, workers, first),
    ]


def _serve_as_ours(
    options, app: str, port: int, ours: OurApp, settings: dict, log: Path, servers: list, probe
):
    """gunicorn serving `app` from the project folder as `make serve` serves ours: its
    gunicorn.conf.py, workers, environment and database, and static files; bench/ on the
    path (where the floor's settings and the experiment live), `settings` on top."""
    env = {
        **ours.env,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(BENCH_DIR), os.environ.get("PYTHONPATH")])),
        "DJANGO_STATICFILES_BACKEND": SERVE_STATIC,
        "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1"),
        **settings,
    }
    extra = ["--config=gunicorn.conf.py", "--error-logfile=-"]
    return _start_gunicorn(options, app, port, PROJECT_DIR, env, log, servers, probe, extra=extra)


def _start_gunicorn(
    options,
    app: str,
    port: int,
    cwd: Path,
    env: dict,
    log: Path,
    servers: list,
    probe: urllib.request.Request,
    *,
    extra: tuple[str, ...] | list[str] = (),
):
    # The references run from bench/, so that gunicorn finds them and not the project's
    # gunicorn.conf.py; the empty Django view and the experiment from the project, with it.
    command = [
        GUNICORN,
        app,
        f"--workers={options.workers}",
        f"--bind=127.0.0.1:{port}",
        "--no-control-socket",
        *extra,
    ]
    server = start_server(command, cwd=cwd, env=env, log=log)
    servers.append(server)
    wait_until_up(probe, server, log)
    return server
