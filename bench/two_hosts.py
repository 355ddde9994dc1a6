"""What a second host buys: the `make cluster` layout (two gunicorn hosts sharing PostgreSQL
and a Redis, each with its own ARTIFACTS_DIR, and a job worker) loaded on both ports at
once, beside one of its hosts alone with the same number of connections.

Two wrk processes, one per host, each with half the connections, run at the same time; the
pair's requests per second are their sum and its p99 the larger of the two p99s (wrk cannot
merge two latency distributions, so that is an upper bound). One host alone gets one wrk
with all the connections. Endpoints: the JSON API's predict (one passenger, logged) and the
page's htmx preview (GET /?… with HX-Request: scored and explained, not logged).

Both hosts run on this one machine, so they share its cores with each other, the database,
Redis, the worker and wrk: the ratio says what a second host's processes buy on the same
cores, not what a second machine would.

Usage: .venv/bin/python bench/two_hosts.py [--duration S] [--connections N] (it starts
scripts/cluster.sh itself, on free ports, and stops it; the report goes to standard output
and bench/TWO_HOSTS.md). `bench/run.py --two-hosts` adds the same section to RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

BENCH_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BENCH_DIR.parent
sys.path[:0] = [str(PROJECT_DIR), str(BENCH_DIR)]

from passenger import PASSENGER  # noqa: E402
from servers import free_port  # noqa: E402
from wrk_load import lua_script, run_wrk  # noqa: E402

START_TIMEOUT_SECONDS = 900
ENDPOINTS = ("JSON predict", "htmx preview")


@dataclass
class TwoHostRow:
    endpoint: str
    layout: str
    connections: int
    requests_per_second: float
    p99_ms: float
    errors: int


def start_cluster(state: Path) -> tuple[subprocess.Popen, list[str]]:
    """scripts/cluster.sh on free ports, a rate limit no load reaches; waits until both hosts
    are ready (a first model is trained when the cluster's database has none)."""
    ports = [free_port(), free_port()]
    env = {
        **os.environ,
        "CLUSTER_PORTS": ",".join(map(str, ports)),
        "CLUSTER_REDIS_PORT": str(free_port()),
        "API_PREDICT_RATE": "100000000/min",
        "LOG_LEVEL": "WARNING",
    }
    log = (state / "cluster.log").open("w")
    process = subprocess.Popen(
        [str(PROJECT_DIR / "scripts" / "cluster.sh")],
        cwd=PROJECT_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    bases = [f"http://127.0.0.1:{port}" for port in ports]
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    for base in bases:
        while not ready(base):
            if process.poll() is not None or time.monotonic() > deadline:
                stop_cluster(process)
                raise RuntimeError(f"the cluster did not become ready; see {state}/cluster.log")
            time.sleep(0.5)
    return process, bases


def ready(base: str) -> bool:
    try:
        with urllib.request.urlopen(f"{base}/readyz", timeout=10) as response:
            return json.loads(response.read())["status"] == "ready"
    except (OSError, ValueError):
        return False


def stop_cluster(process: subprocess.Popen) -> None:
    """SIGTERM to honcho's session: every host, the worker and Redis stop."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=120)


def scripts(state: Path) -> dict[str, tuple[str, Path]]:
    """Each endpoint's path and wrk script."""
    api = lua_script(
        state / "api.lua",
        body=json.dumps(PASSENGER),
        headers={"Content-Type": "application/json"},
    )
    preview = state / "preview.lua"
    preview.write_text('wrk.method = "GET"\nwrk.headers["HX-Request"] = "true"\n')
    query = urlencode({key: value for key, value in PASSENGER.items()})
    return {"JSON predict": ("/api/v1/predict", api), "htmx preview": (f"/?{query}", preview)}


def load_hosts(
    bases: list[str], path: str, script: Path, *, connections: int, seconds: float
) -> dict[str, float]:
    """wrk on each of `bases` at once, `connections` split between them; summed."""
    share = connections // len(bases)
    with ThreadPoolExecutor(max_workers=len(bases)) as pool:
        runs = list(
            pool.map(
                lambda base: run_wrk(base + path, script, seconds=seconds, connections=share),
                bases,
            )
        )
    return {
        "requests_per_second": sum(run["requests_per_second"] for run in runs),
        "p99_ms": max(run["p99_ms"] for run in runs),
        "errors": sum(run["errors"] for run in runs),
    }


def bench_two_hosts(
    *, state: Path, duration: float, warmup: float, connections: int
) -> list[TwoHostRow]:
    state.mkdir(parents=True, exist_ok=True)
    process, bases = start_cluster(state)
    rows = []
    try:
        for endpoint, (path, script) in scripts(state).items():
            for layout, targets in (("one host", bases[:1]), ("two hosts", bases)):
                if warmup > 0:
                    load_hosts(targets, path, script, connections=connections, seconds=warmup)
                measured = load_hosts(
                    targets, path, script, connections=connections, seconds=duration
                )
                rows.append(TwoHostRow(endpoint, layout, connections, **measured))
    finally:
        stop_cluster(process)
    return rows


def two_hosts_section(
    rows: list[TwoHostRow], *, workers: int, load_before: tuple[float, ...] = ()
) -> str:
    lines = [
        "## Two hosts",
        "",
        f"The `make cluster` layout: two gunicorn hosts ({workers} workers each) sharing "
        "PostgreSQL and a Redis (the API's rate counts), each with its own ARTIFACTS_DIR, and "
        "a job worker. *Two hosts*: two wrk processes at once, one per host, each with half "
        "the connections (requests per second summed; p99 the larger of the two). *One host*: "
        "one wrk with all the connections on host A alone, the other host idle. All of it "
        "shares this machine's two cores, so the ratio is what a second host's processes buy "
        "on the same cores, not what a second machine would.",
        "",
    ]
    if load_before:
        lines += [
            "Load average when it started: "
            + ", ".join(f"{x:.2f}" for x in load_before)
            + " (other work on the machine competes for the same cores).",
            "",
        ]
    lines += [
        "| endpoint | layout | connections | req/s | p99 ms | errors |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for row in rows:
        lines.append(
            f"| {row.endpoint} | {row.layout} | {row.connections} | "
            f"{row.requests_per_second:.0f} | {row.p99_ms:.1f} | {row.errors} |"
        )
    lines.append("")
    for endpoint in ENDPOINTS:
        one = next((r for r in rows if r.endpoint == endpoint and r.layout == "one host"), None)
        two = next((r for r in rows if r.endpoint == endpoint and r.layout == "two hosts"), None)
        if one and two and one.requests_per_second:
            ratio = two.requests_per_second / one.requests_per_second
            lines.append(f"- {endpoint}: two hosts answer {ratio:.2f}× one host's requests.")
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=10, help="seconds of load per run")
    parser.add_argument("--warmup", type=float, default=2, help="seconds of warm-up per run")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--state", type=Path, default=BENCH_DIR / ".state" / "two-hosts")
    parser.add_argument("--output", type=Path, default=BENCH_DIR / "TWO_HOSTS.md")
    options = parser.parse_args()
    load_before = os.getloadavg()
    rows = bench_two_hosts(
        state=options.state.resolve(),
        duration=options.duration,
        warmup=options.warmup,
        connections=options.connections,
    )
    workers = int(os.environ.get("WORKERS", "2"))
    section = two_hosts_section(rows, workers=workers, load_before=load_before)
    options.output.write_text("# " + section.removeprefix("## "), encoding="utf-8")
    print(section)
    return 0


if __name__ == "__main__":
    sys.exit(main())
