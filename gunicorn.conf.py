"""gunicorn settings for `make serve`; the command line gives the address and workers."""

import os
import shutil
import tempfile
from pathlib import Path

from gunicorn.http import wsgi

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
