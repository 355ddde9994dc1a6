"""Loading a server with wrk: the request as a Lua script, wrk's numbers parsed, one
LoadResult per app and run."""

from __future__ import annotations

import json
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from servers import rss_mb


@dataclass
class LoadResult:
    name: str
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int
    first_request_seconds: float
    # The model family served ("" for the floor, which serves none).
    model: str = ""
    # For ours: the version that answered, as the API lists it.
    served: str = ""
    worker_rss_mb: list[float] = field(default_factory=list)
    # Which repetition of the load part this is, from 1.
    run: int = 1


@dataclass
class Endpoint:
    """One app's endpoint, its server up and answering: what a run loads."""

    name: str
    model: str
    url: str
    script: Path
    workers: list[int]
    first_request_seconds: float
    served: str = ""


def lua_script(
    path: Path, *, body: str | None, headers: dict[str, str], method: str = "POST"
) -> Path:
    lines = [f"wrk.method = {json.dumps(method)}"]
    if body is not None:
        lines.append(f"wrk.body = {json.dumps(body)}")
    lines += [f"wrk.headers[{json.dumps(k)}] = {json.dumps(v)}" for k, v in headers.items()]
    path.write_text("\n".join(lines) + "\n")
    return path


def run_wrk(url: str, script: Path, *, seconds: float, connections: int) -> dict[str, float]:
    command = [
        "wrk",
        f"--threads={min(2, connections)}",
        f"--connections={connections}",
        f"--duration={max(1, round(seconds))}s",
        "--timeout=5s",
        "--latency",
        f"--script={script}",
        url,
    ]
    output = subprocess.run(
        command, capture_output=True, text=True, check=True, timeout=seconds + 60
    ).stdout
    return parse_wrk(output)


UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def parse_wrk(output: str) -> dict[str, float]:
    def latency(percent: str) -> float:
        match = re.search(rf"^\s+{percent}%\s+([\d.]+)(us|ms|s|m)\s*$", output, re.MULTILINE)
        return float(match.group(1)) * UNITS_MS[match.group(2)] if match else float("nan")

    requests = int(re.search(r"(\d+) requests in", output).group(1))
    errors = 0
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    if socket_errors:
        errors += sum(int(n) for n in socket_errors.groups())
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if non_2xx:
        errors += int(non_2xx.group(1))
    return {
        "requests_per_second": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        "p50_ms": latency("50"),
        "p99_ms": latency("99"),
        "requests": requests,
        "errors": errors,
    }


def load(endpoint: Endpoint, options, *, run: int, warm_up: bool) -> LoadResult:
    """One measured load of `endpoint` (after a warm-up when asked: the servers stay up
    between runs, so only the first run needs one)."""
    if warm_up and options.warmup > 0:
        run_wrk(
            endpoint.url, endpoint.script, seconds=options.warmup, connections=options.connections
        )
    measured = run_wrk(
        endpoint.url, endpoint.script, seconds=options.duration, connections=options.connections
    )
    return LoadResult(
        name=endpoint.name,
        model=endpoint.model,
        first_request_seconds=endpoint.first_request_seconds,
        served=endpoint.served,
        worker_rss_mb=[rss_mb(pid) for pid in endpoint.workers],
        run=run,
        **measured,
    )
