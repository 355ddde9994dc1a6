"""gunicorn settings for `make serve`; the command line gives the address and workers."""

import os
import shutil
import tempfile
from pathlib import Path

from gunicorn.http import wsgi

# Threaded workers (measured against sync workers under wrk with 8 connections, 2 workers,
# the JSON predict): a sync worker answers one request per connection and closes it, so
# every request pays a new TCP connection, while a threaded worker keeps connections alive
# (`keepalive` seconds between requests). That cut the workers' CPU time per request by about
# 30% (sync 4.7–5.0 ms, 4 threads 2.9–3.6 ms, on a shared 2-core machine). 4 threads per
# worker: with 2 threads the workers held too few connections to gain (4.8 ms); 8 gained no
# more than 4. The model's maths runs in numpy and the log write waits on the database, so
# threads of one worker seldom queue on the interpreter for long. `--preload` (one import
# of the app in the master) was left out: it would import the app before `on_starting`
# below sets the metrics folder.
worker_class = "gthread"
threads = 4
keepalive = 5

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
