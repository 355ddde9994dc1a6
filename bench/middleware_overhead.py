"""What RequestMetricsMiddleware adds to one request, in microseconds.

Times the middleware around a view that returns a ready answer, against the same view
called directly, on a request already resolved to a URL name (as Django hands it over),
in plain mode and in prometheus_client's multiprocess mode (what `make serve` uses).

Usage: .venv/bin/python bench/middleware_overhead.py [--calls N]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent

MEASURE = """
import os, sys, timeit
sys.path.insert(0, {project!r})
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "site_config.settings")
os.environ.setdefault("DJANGO_SECRET_KEY", "middleware-overhead")
import django
django.setup()
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import resolve
from survival.ops.metrics import RequestMetricsMiddleware

request = RequestFactory().post("/api/v1/predict")
request.resolver_match = resolve("/api/v1/predict")
answer = HttpResponse("{{}}")
view = lambda request: answer
timed = RequestMetricsMiddleware(view)
timed(request)
calls = {calls}
bare = min(timeit.repeat(lambda: view(request), number=calls, repeat=5)) / calls
wrapped = min(timeit.repeat(lambda: timed(request), number=calls, repeat=5)) / calls
print(f"{{(wrapped - bare) * 1e6:.2f}}")
"""


def measure(calls: int, multiproc_dir: str | None) -> float:
    env = {key: value for key, value in os.environ.items() if key != "PROMETHEUS_MULTIPROC_DIR"}
    if multiproc_dir:
        env["PROMETHEUS_MULTIPROC_DIR"] = multiproc_dir
    code = MEASURE.format(project=str(PROJECT_DIR), calls=calls)
    output = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    ).stdout
    return float(output.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=50_000, help="calls per timing")
    calls = parser.parse_args().calls
    print(f"plain registry:    {measure(calls, None):.2f} µs per request")
    with tempfile.TemporaryDirectory(prefix="titanic-metrics-") as folder:
        print(f"multiprocess mode: {measure(calls, folder):.2f} µs per request")


if __name__ == "__main__":
    main()
