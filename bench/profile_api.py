"""Where the time of one JSON prediction goes, in-process.

Sets up a throwaway project state (a temporary SQLite database in WAL mode, a file cache, a
trained and activated logistic regression, DEBUG off), calls the WSGI application with the
API's one-passenger request many times under cProfile, and prints the share of the time
spent in each concern of the request: middleware, the API framework's parsing and
validation, the throttle, reading the serving version, scoring, the explanation (with
--explain), the log write and building the response.

    .venv/bin/python bench/profile_api.py [--calls 2000] [--explain] [--algorithm logreg]
        [--top 25]

Any setting can be overridden from the environment as for `make serve`, e.g.
DATABASE_URL=postgres://… or DJANGO_CACHE_BACKEND=….
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_DIR))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from passenger import PASSENGER  # noqa: E402

# The concerns, each as the functions whose inclusive time is its (a function is matched by
# "file:name"; nested concerns are subtracted from the ones around them, see `breakdown`).
ENTRY = "django/core/handlers/wsgi.py:__call__"
GUARDED = "survival/api/guards.py:guarded"
OPERATION = "ninja/operation.py:run"
ENDPOINT = "survival/api/endpoints.py:predict"
INNER: list[tuple[str, tuple[str, ...]]] = [
    ("throttle", ("survival/api/rate_window.py:allow_request",)),
    ("serving read", ("survival/registry/selectors.py:model_versions_serving",)),
    ("explanation", ("ml_pipeline/explain.py:explain_many",)),
    (
        "scoring",
        (
            "survival/predictions/services.py:survival_probabilities",
            "ml_pipeline/explain.py:survival_probabilities",
        ),
    ),
    ("log write", ("survival/predictions/log_write.py:predictions_log",)),
    ("metrics (count)", ("survival/ops/metrics.py:count_predictions",)),
]


def breakdown(stats: pstats.Stats) -> dict[str, float]:
    """Seconds per concern over all the profiled calls."""
    inclusive: dict[str, float] = {}
    for (filename, _line, name), (_cc, _nc, _own, cumulative, _callers) in stats.stats.items():
        key = f"{filename}:{name}"
        inclusive[key] = max(inclusive.get(key, 0.0), cumulative)

    def seconds(mark: str) -> float:
        return sum(value for key, value in inclusive.items() if key.endswith(mark))

    total, guarded = seconds(ENTRY), seconds(GUARDED)
    operation, endpoint = seconds(OPERATION), seconds(ENDPOINT)
    parts = {label: sum(seconds(mark) for mark in marks) for label, marks in INNER}
    if parts["explanation"]:
        parts["scoring"] = 0.0  # the explanation's one model call includes the scoring
    parts["middleware, routing, request/response"] = total - guarded
    parts["body guards"] = guarded - operation
    parts["ninja parsing, validation, serialising"] = operation - endpoint - parts["throttle"]
    inside = sum(parts[label] for label, _ in INNER if label != "throttle")
    parts["endpoint and service glue"] = endpoint - inside
    return parts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--algorithm", default="logreg")
    parser.add_argument("--explain", action="store_true")
    parser.add_argument("--top", type=int, default=25, help="also print the top N functions")
    options = parser.parse_args()

    state = Path(tempfile.mkdtemp(prefix="titanic-profile-"))
    os.environ.setdefault("DJANGO_SECRET_KEY", secrets.token_urlsafe(40))
    # One maths thread, as `make serve` runs the workers.
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{state / 'db.sqlite3'}")
    os.environ.setdefault("ARTIFACTS_DIR", str(state / "artifacts"))
    os.environ.setdefault("DJANGO_CACHE_LOCATION", str(state / "cache"))
    os.environ.setdefault("API_PREDICT_RATE", "1000000/s")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", str(state / "metrics"))
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    Path(os.environ["PROMETHEUS_MULTIPROC_DIR"]).mkdir(exist_ok=True)
    manage = [sys.executable, str(PROJECT_DIR / "manage.py")]
    subprocess.run([*manage, "migrate", "--noinput", "-v0"], check=True, cwd=PROJECT_DIR)
    subprocess.run(
        [*manage, "train", "--algorithm", options.algorithm, "--activate", "--quiet"],
        check=True,
        cwd=PROJECT_DIR,
    )

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "site_config.settings")
    from django.core.wsgi import get_wsgi_application

    application = get_wsgi_application()
    body = json.dumps({**PASSENGER, **({"explain": True} if options.explain else {})}).encode()

    def call() -> None:
        environ = {
            "REQUEST_METHOD": "POST",
            "PATH_INFO": "/api/v1/predict",
            "SCRIPT_NAME": "",
            "QUERY_STRING": "",
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "8000",
            "REMOTE_ADDR": "127.0.0.1",
            "HTTP_HOST": "127.0.0.1:8000",
            "CONTENT_TYPE": "application/json",
            "CONTENT_LENGTH": str(len(body)),
            "wsgi.input": io.BytesIO(body),
            "wsgi.url_scheme": "http",
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": False,
            "wsgi.multiprocess": True,
            "wsgi.run_once": False,
            "wsgi.version": (1, 0),
        }
        statuses = []
        chunks = application(environ, lambda status, headers, *_: statuses.append(status))
        answer = b"".join(chunks)
        if not statuses[0].startswith("200"):
            raise RuntimeError(f"{statuses[0]}: {answer[:300]!r}")

    for _ in range(50):  # warm: the model loaded, the connection open
        call()
    started = time.perf_counter()
    for _ in range(options.calls):
        call()
    plain = (time.perf_counter() - started) / options.calls
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(options.calls):
        call()
    profiler.disable()

    stats = pstats.Stats(profiler)
    parts = breakdown(stats)
    total = sum(parts.values())
    print(
        f"{options.algorithm}, explain={options.explain}: {plain * 1000:.3f} ms per request "
        f"without the profiler ({options.calls} calls); inclusive time by concern under "
        f"cProfile ({total / options.calls * 1e3:.3f} ms per request):"
    )
    for concern, seconds in sorted(parts.items(), key=lambda item: -item[1]):
        print(f"  {concern:40s} {seconds / total:6.1%}  {seconds / options.calls * 1e3:.3f} ms")
    if options.top:
        text = io.StringIO()
        pstats.Stats(profiler, stream=text).sort_stats("cumulative").print_stats(options.top)
        print(text.getvalue())


if __name__ == "__main__":
    main()
