"""gunicorn settings for `make serve`; the command line gives the address and workers."""

import os
import shutil
import tempfile
from pathlib import Path

from gunicorn.http import wsgi

# Sync workers: each answers one request at a time and closes the connection. Measured side
# by side under wrk (8 connections, 2 workers, the htmx preview and the JSON predict, three
# alternating rounds each, logistic regression, SQLite): sync workers used 1.59–1.75 ms of
# CPU per request against 1.72–1.99 for threaded workers with keep-alive and one thread,
# answered 1,030–1,170 requests/s against 530–1,100, and kept the p99 within 1.3–1.6 times
# the median, where threaded workers reached 2–7 times. (The threaded worker's own
# bookkeeping costs more than a new loopback connection per request; with 2 and 4 threads
# the p99 grew further: a preview is CPU work in Python, so threads of one worker queue on
# the interpreter, and one that holds SQLite's write lock while it waits makes every other
# writer back off and sleep.) WEB_THREADS above 1 turns the workers into gunicorn's threaded
# ones, with keep-alive: with PostgreSQL, where a request waits on the network, that may
# serve more. `--preload` (one import of the app in the master) was left out: it would
# import the app before `on_starting` below sets the metrics folder.
worker_class = "sync"
threads = int(os.environ.get("WEB_THREADS", "1"))
keepalive = 5

# No access log unless WEB_ACCESS_LOG names a file ("-": standard output). Under `make
# serve` the log went through honcho, which prints every line again: measured side by side
# (wrk, 8 connections, the htmx preview), that cost a fifth of the requests answered per
# second (about 930 against 1,170), and writing it to a pipe about 5%. Whatever runs in
# front of the site (a proxy, a balancer) logs the requests, and /metrics counts them by
# route and status.
accesslog = os.environ.get("WEB_ACCESS_LOG") or None

# The folder this master made for the workers' metrics, removed when it exits.
_made_metrics_dir: str | None = None


def on_starting(server):
    # Every worker writes its Prometheus numbers to files in one folder, which a scrape adds
    # up (see survival/metrics.py). It must be set before any worker imports the app, and
    # start empty: files left by an earlier run would be counted again.
    global _made_metrics_dir
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        for leftover in Path(folder).glob("*.db"):
            leftover.unlink()
    else:
        folder = _made_metrics_dir = tempfile.mkdtemp(prefix="titanic-metrics-")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = folder


def post_worker_init(worker):
    # Each worker loads the active model and renders the page before its first request.
    from survival.ops.warmup import warm_up

    warm_up()


def child_exit(server, worker):
    # A dead worker's counters still count; its live-only values are dropped.
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    if _made_metrics_dir:
        shutil.rmtree(_made_metrics_dir, ignore_errors=True)


class _AnonymousResponse(wsgi.Response):
    """gunicorn's response without the `Server` header that names the software and its
    version: nothing a client needs, and a hint for whoever probes for known weaknesses.
    gunicorn has no setting for it."""

    def default_headers(self):
        return [header for header in super().default_headers() if not header.startswith("Server:")]


wsgi.Response = _AnonymousResponse
