"""Where the time of one visitor's answer goes, inside one process: the live form's htmx
preview (`GET /?…` with `HX-Request` and `HX-Trigger: passenger-fields`) and a submitted
form (`POST /predict/` from htmx, logged).

The WSGI application is called directly, as gunicorn would call it under `make serve`
(DEBUG off, Prometheus in multiprocess mode, a logistic regression active unless
`--algorithm` says otherwise, SQLite), many
times in a row. Each request's time is split by concern: the functions that do each job
are wrapped with a timer that charges the time spent in them, and not in a nested concern,
to that concern (the rest of the WSGI call is "handler"). A short cProfile run then lists
the functions that cost the most, for the details.

Usage: .venv/bin/python bench/profile_preview.py [--requests N] [--state DIR] [--top N]
                                                [--algorithm auto]

The state folder keeps the database and the trained model between runs (training takes a
while); a new folder trains one.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import sys
import tempfile
import time
import urllib.parse
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_DIR))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from passenger import PASSENGER  # noqa: E402


def configure(state: Path, algorithm: str) -> None:
    state.mkdir(parents=True, exist_ok=True)
    metrics_dir = Path(tempfile.mkdtemp(prefix="titanic-profile-metrics-"))
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "site_config.settings",
            "DJANGO_SECRET_KEY": "profile-preview-only-" + "x" * 40,
            "DJANGO_DEBUG": "0",
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
            "DATABASE_URL": f"sqlite:///{state / 'profile.sqlite3'}",
            "ARTIFACTS_DIR": str(state / "artifacts"),
            "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
            "LOG_LEVEL": "WARNING",
            # One maths thread, as `make serve` runs the workers.
            "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1"),
        }
    )
    import django

    django.setup()
    from django.core.management import call_command

    from survival.models import ModelVersion

    call_command("migrate", verbosity=0)
    if not ModelVersion.objects.filter(is_active=True).exists():
        print(f"training {algorithm} (once per state folder)…", file=sys.stderr)
        call_command("train", algorithm=algorithm, activate=True, quiet=True)


# ---- the requests ---------------------------------------------------------------------


def passenger_query() -> str:
    return urllib.parse.urlencode({name: value for name, value in PASSENGER.items()})


def base_environ(method: str, path: str, query: str = "") -> dict:
    return {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "127.0.0.1:8000",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }


def call(application, make_environ: Callable[[], dict]) -> tuple[str, list, bytes]:
    answer: dict = {}

    def start_response(status, headers, exc_info=None):
        answer["status"], answer["headers"] = status, headers

    result = application(make_environ(), start_response)
    try:
        body = b"".join(result)
    finally:
        if hasattr(result, "close"):
            result.close()
    return answer["status"], answer["headers"], body


def preview_request() -> Callable[[], dict]:
    query = passenger_query()

    def make() -> dict:
        environ = base_environ("GET", "/", query)
        environ["HTTP_HX_REQUEST"] = "true"
        environ["HTTP_HX_TRIGGER"] = "passenger-fields"
        environ["HTTP_HX_CURRENT_URL"] = "http://127.0.0.1:8000/"
        return environ

    return make


def submit_request(application) -> Callable[[], dict]:
    """POST /predict/ as htmx sends it: the CSRF cookie from a first page, its token in the
    X-CSRFToken header (base.html's hx-headers)."""
    _, headers, _ = call(application, lambda: base_environ("GET", "/"))
    cookie = next(
        value.split(";", 1)[0] for name, value in _cookies(headers) if name == "csrftoken"
    )
    token = cookie.split("=", 1)[1]
    body = passenger_query().encode()

    def make() -> dict:
        environ = base_environ("POST", "/predict/")
        environ.update(
            {
                "CONTENT_TYPE": "application/x-www-form-urlencoded",
                "CONTENT_LENGTH": str(len(body)),
                "wsgi.input": io.BytesIO(body),
                "HTTP_COOKIE": cookie,
                "HTTP_X_CSRFTOKEN": token,
                "HTTP_HX_REQUEST": "true",
                "HTTP_HX_TRIGGER": "passenger-form",
            }
        )
        return environ

    return make


def _cookies(headers: list):
    for name, value in headers:
        if name.lower() == "set-cookie":
            value = value.strip()
            yield value.split("=", 1)[0], value


# ---- the concerns ---------------------------------------------------------------------


# The process's CPU time, not the wall clock: on a shared machine the wall clock also
# counts the time other programs had the CPU, which says nothing of this code.
clock = time.process_time


class Ledger:
    """Exclusive CPU time per concern: a stack of the concerns being run; a clock read at
    each entry and exit charges the time since the last read to the concern on top."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.stack: list[str] = ["handler"]
        self.last = clock()

    def enter(self, concern: str) -> None:
        now = clock()
        self.seconds[self.stack[-1]] += now - self.last
        self.stack.append(concern)
        self.last = now

    def leave(self) -> None:
        now = clock()
        self.seconds[self.stack.pop()] += now - self.last
        self.last = now

    def reset(self) -> None:
        self.seconds.clear()
        self.last = clock()


LEDGER = Ledger()


def charged(concern: str, function: Callable) -> Callable:
    def wrapper(*args, **kwargs):
        LEDGER.enter(concern)
        try:
            return function(*args, **kwargs)
        finally:
            LEDGER.leave()

    wrapper.__wrapped__ = function
    return wrapper


def wrap_attribute(owner, name: str, concern: str) -> None:
    setattr(owner, name, charged(concern, getattr(owner, name)))


def instrument() -> None:
    """Wraps the functions that do each job. Functions are wrapped where the view looks
    them up (module attributes and methods), so the code itself is unchanged."""
    from django.conf import settings
    from django.utils.module_loading import import_string

    # Each middleware's own work (its __call__ minus the layers inside it).
    for dotted in settings.MIDDLEWARE:
        cls = import_string(dotted)
        label = dotted.rsplit(".", 1)[1]
        cls.__call__ = charged(f"middleware: {label}", cls.__call__)

    from django.core.handlers import base

    wrap_attribute(base.BaseHandler, "_get_response", "view (its own code), URL resolving")

    from survival.predictions import answers, forms, services, views
    from survival.registry import artifacts, selectors

    wrap_attribute(selectors, "model_versions_serving", "serving versions read (database)")
    wrap_attribute(forms.PassengerForm, "__init__", "form: build")
    wrap_attribute(forms.PassengerForm, "full_clean", "form: validate")
    wrap_attribute(artifacts, "load_pipeline", "model lookup (cached pipeline)")
    wrap_attribute(services, "load_pipeline", "model lookup (cached pipeline)")
    wrap_attribute(services, "explain_many", "scoring + Shapley explanation")
    wrap_attribute(services, "survival_probabilities", "scoring (challenger)")
    wrap_attribute(services, "shown_explanation", "explanation: page lines")
    for name in ("training_facts", "version_typical_fares", "passengers_like_this_one"):
        wrap_attribute(answers, name, "page facts (fares, base rate, likeness)")
    if hasattr(views, "version_page"):
        wrap_attribute(views, "version_page", "page facts (fares, base rate, likeness)")
    wrap_attribute(views, "render", "template render")
    from survival.predictions import card

    for builder in ("result_card", "answer_summary", "live_answer"):
        wrap_attribute(card, builder, "answer HTML (card.py)")
    wrap_attribute(forms.PassengerBoundField, "as_field_group", "template render: form fields")
    wrap_attribute(views, "replace_url", "response headers (htmx)")
    wrap_attribute(views, "reswap", "response headers (htmx)")
    from survival.ops import metrics

    wrap_attribute(metrics, "count_previews", "metrics: count")
    wrap_attribute(metrics, "count_predictions", "metrics: count")
    from survival.predictions import services

    wrap_attribute(services, "predictions_log", "prediction log write (database)")


def breakdown(application, make_environ, requests: int) -> tuple[float, dict[str, float]]:
    for _ in range(50):
        call(application, make_environ)
    LEDGER.reset()
    started = clock()
    for _ in range(requests):
        call(application, make_environ)
    total = clock() - started
    return total, dict(LEDGER.seconds)


def print_breakdown(title: str, total: float, seconds: dict[str, float], requests: int) -> None:
    per_request_ms = total / requests * 1000
    print(f"\n## {title}: {per_request_ms:.3f} ms of CPU per request ({requests} requests)\n")
    print("where each 10% goes (one # per 2% of the request's time):\n")
    print(f"{'concern':<48} {'ms/req':>7} {'share':>6}")
    measured = sum(seconds.values())
    for concern, spent in sorted(seconds.items(), key=lambda item: -item[1]):
        share = spent / measured
        bar = "#" * round(share * 50)
        print(f"{concern:<48} {spent / requests * 1000:7.3f} {share:6.1%}  {bar}")


def print_profile(application, make_environ, requests: int, top: int) -> None:
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(requests):
        call(application, make_environ)
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).strip_dirs()
    stats.sort_stats("tottime").print_stats(top)
    print("\n".join(out.getvalue().splitlines()[4:]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--state", default=str(Path(tempfile.gettempdir()) / "titanic-profile"))
    parser.add_argument("--top", type=int, default=0, help="also list the N costliest functions")
    parser.add_argument(
        "--algorithm",
        default="logreg",
        help="what `train` fits in a new state folder (`auto`: train's own choice)",
    )
    options = parser.parse_args()
    configure(Path(options.state), options.algorithm)

    from django.core.wsgi import get_wsgi_application

    from survival.ops.warmup import warm_up

    warm_up()
    instrument()
    application = get_wsgi_application()
    preview = preview_request()
    status, _, body = call(application, preview)
    assert status.startswith("200"), (status, body[:500])
    assert b"probability" in body, body[:500]
    submit = submit_request(application)
    status, _, body = call(application, submit)
    assert status.startswith("200"), (status, body[:500])

    for title, make in (("htmx preview GET /", preview), ("htmx submit POST /predict/", submit)):
        total, seconds = breakdown(application, make, options.requests)
        print_breakdown(title, total, seconds, options.requests)
        if options.top:
            print(f"\n### {title}: the {options.top} costliest functions (own time, cProfile)\n")
            print_profile(application, make, max(200, options.requests // 5), options.top)


if __name__ == "__main__":
    main()
