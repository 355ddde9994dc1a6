"""Starting, probing and stopping the servers the benchmark loads, and what it reads of their
processes (gunicorn workers, their memory)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

# Bounds on every wait, so the benchmark always ends by itself.
START_TIMEOUT_SECONDS = 300


REQUEST_TIMEOUT_SECONDS = 60


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(command: list[str], *, cwd: Path, env: dict, log: Path) -> subprocess.Popen:
    """Starts a server in its own session (so `stop` ends all its processes), output to log."""
    with log.open("w") as log_file:
        return subprocess.Popen(
            command,
            cwd=cwd,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def wait_until_up(
    request: str | urllib.request.Request, process: subprocess.Popen, log: Path
) -> None:
    """Polls with `request` (an address, or the app's own request) until the server answers
    it (workers may take seconds to import scikit-learn on a busy machine), within
    START_TIMEOUT_SECONDS."""
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited; see {log}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(request, timeout=REQUEST_TIMEOUT_SECONDS) as response:
                response.read()
                return
        except urllib.error.HTTPError:
            return  # it answers; the status is the caller's business
        except OSError:
            time.sleep(0.1)
    url = request if isinstance(request, str) else request.full_url
    raise RuntimeError(f"no answer from {url} within {START_TIMEOUT_SECONDS} s; see {log}")


def stop(process: subprocess.Popen) -> None:
    # Started in its own session: this ends the server we started and its workers, only.
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
    except ProcessLookupError:
        pass
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def gunicorn_workers(root_pid: int) -> list[int]:
    """The gunicorn worker processes under `root_pid` (a worker's parent is gunicorn too)."""
    parents: dict[int, int] = {}
    names: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            names[int(entry.name)] = (entry / "cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])

    def under_root(pid: int) -> bool:
        while pid > 1:
            if pid == root_pid:
                return True
            pid = parents.get(pid, 0)
        return False

    return [
        pid
        for pid, parent in parents.items()
        if under_root(pid) and "gunicorn" in names[pid] and "gunicorn" in names.get(parent, "")
    ]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def timed_request(request: urllib.request.Request, opener=None) -> tuple[float, bytes]:
    started = time.perf_counter()
    with (opener or urllib.request.build_opener()).open(
        request, timeout=REQUEST_TIMEOUT_SECONDS
    ) as response:
        body = response.read()
        if response.status != 200:
            raise RuntimeError(f"{request.full_url} answered {response.status}")
    return time.perf_counter() - started, body
