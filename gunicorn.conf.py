"""gunicorn settings for `make serve`; the command line gives the address and workers."""

import os
import shutil
import tempfile
from pathlib import Path

from gunicorn.http import wsgi

# Threaded workers, one thread each by default (WEB_THREADS). The threaded worker keeps
# connections alive (`keepalive` seconds between requests), where a sync worker answers one
# request per connection and closes it, so every request would pay a new TCP connection:
# that cut the workers' CPU time per request by about 30% (sync 4.7–5.0 ms, threaded
# 2.9–3.6 ms, on a shared 2-core machine). One thread, not four: side by side under wrk (8
# connections, 2 workers, three alternating rounds), 1, 2 and 4 threads answered about as
# many requests, but with more threads the p99 grew from about 1.5 to 3–12 times the
# median. A preview is CPU work in Python, so threads of one worker only queue on the
# interpreter, and a thread that holds SQLite's write lock (the prediction log, the rate
# counts) while it waits for the interpreter makes every other writer back off and sleep.
# With PostgreSQL, where a request waits on the network, WEB_THREADS=4 may serve more.
# `--preload` (one import of the app in the master) was left out: it would import the app
# before `on_starting` below sets the metrics folder.
worker_class = "gthread"
threads = int(os.environ.get("WEB_THREADS", "1"))
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
