"""The benchmark behind `make bench`: the app under `make serve` against three reference apps.

Each server runs alone, on 127.0.0.1, with the same number of gunicorn workers, and is loaded
by wrk with a fixed number of connections for a bounded time after a warm-up:

- ours, htmx: POST /predict/ as the page sends it (HX-Request, a valid CSRF token); every
  answer has the explanation, so it scores 1 + 7 rows and logs one prediction;
- ours, JSON: POST /api/v1/predict with one passenger (logged too);
- classic Django: the tutorial's view that unpickles model and scaler on every request;
- Flask: a minimal endpoint with the model loaded at import;
- floor: a bare WSGI function returning fixed JSON.

It does this once per model family (`--algorithms`, by default the tutorial's logistic
regression and a random forest): ours serves a version of that kind trained by `make serve`,
the two references a model of the same kind made the tutorial's way, so that each ratio
compares apps serving alike models. The first family's round also loads ours with a
challenger shadowing.

It also times the model call alone (one passenger through the prepared pipeline, for each
algorithm), batch scoring of a 100,000-row CSV (parsing included), each worker's memory after
the load, and the first request after start. The results go to bench/RESULTS.md.

Usage: .venv/bin/python bench/run.py [--duration S] [--warmup S] [--connections N] …
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BENCH_DIR.parent
sys.path[:0] = [str(PROJECT_DIR), str(BENCH_DIR)]

from reference_model import ALGORITHMS, write_reference_model  # noqa: E402

PASSENGER = {
    "pclass": 1,
    "sex": "female",
    "age": 29.0,
    "sibsp": 0,
    "parch": 0,
    "fare": 80.0,
    "embarked": "C",
}
# Bounds on every wait, so the benchmark always ends by itself.
START_TIMEOUT_SECONDS = 300
REQUEST_TIMEOUT_SECONDS = 60

# The targets of the performance issue.
TARGET_HTMX_VS_CLASSIC = 1.0
TARGET_JSON_VS_FLASK = 0.8
TARGET_P99_MS = 15.0
TARGET_BATCH_ROWS_PER_SECOND = 100_000
TARGET_WORKER_RSS_MB = 250
TARGET_FIRST_REQUEST_SECONDS = 1.0
# Our own bound for the shadow challenger: scoring every prediction a second time may cost
# at most this share of the htmx endpoint's requests/s.
MAX_CHALLENGER_SLOWDOWN = 0.2
TARGET_MODEL_CALL_MS = {"logreg": 0.2, "random_forest": 1.0, "hist_gradient_boosting": 1.0}

OURS_HTMX = "ours: htmx predict (with explanation)"
OURS_JSON = "ours: JSON predict"
OURS_SHADOWED = "ours: htmx predict, a challenger shadowing"
CLASSIC = "classic Django"
FLASK = "Flask"
FLOOR = "floor (bare WSGI)"
# The references that serve a model: (name, gunicorn app, body kind).
REFERENCE_APPS = (
    (CLASSIC, "classic_django:application", "form"),
    (FLASK, "flask_app:app", "json"),
)


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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=15, help="seconds of load per app")
    parser.add_argument("--warmup", type=float, default=3, help="seconds of warm-up per app")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers per app")
    parser.add_argument(
        "--algorithms",
        default=",".join(ALGORITHMS),
        help="model families, comma-separated; each is served by ours and by the references",
    )
    parser.add_argument("--train-data", help="CSV to train our app's model on (default: bundled)")
    parser.add_argument("--batch-rows", type=int, default=100_000)
    parser.add_argument(
        "--model-calls", type=int, default=2000, help="timed calls per model (fewer for trees)"
    )
    parser.add_argument("--state", type=Path, default=BENCH_DIR / ".state")
    parser.add_argument("--output", type=Path, default=BENCH_DIR / "RESULTS.md")
    options = parser.parse_args()

    if shutil.which("wrk") is None:
        print("wrk is missing: `make bench` installs it (Debian: apt-get install wrk).")
        return 1
    state = options.state.resolve()
    if state.exists():
        shutil.rmtree(state)
    state.mkdir(parents=True)
    started = datetime.now(UTC)
    load_before = os.getloadavg()

    algorithms = [name.strip() for name in options.algorithms.split(",") if name.strip()]
    unknown = sorted(set(algorithms) - set(ALGORITHMS))
    if unknown or not algorithms:
        print(f"--algorithms takes some of: {', '.join(ALGORITHMS)}")
        return 1

    loads: list[LoadResult] = []
    for number, algorithm in enumerate(algorithms):
        round_state = state / algorithm
        round_state.mkdir()
        write_reference_model(round_state / "reference", algorithm)
        loads += bench_our_app(options, round_state, algorithm, with_challenger=number == 0)
        for name, app, body_kind in REFERENCE_APPS:
            loads.append(bench_reference(options, round_state, name, app, body_kind, algorithm))
    loads.append(bench_reference(options, state, FLOOR, "floor:application", "json", ""))
    model_calls = bench_model_calls(options.model_calls)
    batch = bench_batch(options.batch_rows)
    report = render_report(options, algorithms, started, load_before, loads, model_calls, batch)
    options.output.write_text(report, encoding="utf-8")
    print(report)
    print(f"Written to {options.output}")
    return 0


# --- servers ---------------------------------------------------------------------------------


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


def wait_until_up(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited; see {log}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=REQUEST_TIMEOUT_SECONDS):
                return
        except urllib.error.HTTPError:
            return  # it answers; the status is the caller's business
        except OSError:
            time.sleep(0.1)
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


# --- load ------------------------------------------------------------------------------------


def lua_script(path: Path, *, body: str, headers: dict[str, str]) -> Path:
    lines = ['wrk.method = "POST"', f"wrk.body = {json.dumps(body)}"]
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


def load(
    name: str,
    model: str,
    url: str,
    script: Path,
    options,
    first: float,
    workers: list[int],
) -> LoadResult:
    if options.warmup > 0:
        run_wrk(url, script, seconds=options.warmup, connections=options.connections)
    measured = run_wrk(url, script, seconds=options.duration, connections=options.connections)
    return LoadResult(
        name=name,
        model=model,
        first_request_seconds=first,
        worker_rss_mb=[rss_mb(pid) for pid in workers],
        **measured,
    )


def bench_our_app(
    options, state: Path, algorithm: str, *, with_challenger: bool
) -> list[LoadResult]:
    port = free_port()
    log = state / "app.log"
    env = {
        **os.environ,
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(40),
        "DATABASE_URL": os.environ.get("BENCH_DATABASE_URL", f"sqlite:///{state / 'app.sqlite3'}"),
        "ARTIFACTS_DIR": str(state / "artifacts"),
        # The benchmark is one client sending as fast as it can: lift the API's rate limit.
        # Per second: the throttle keeps each request's time within the period, so a short
        # period keeps that list short.
        "API_PREDICT_RATE": "1000000/s",
        "LOG_LEVEL": "WARNING",
    }
    train_args = f"--algorithm {algorithm} --quiet"
    if options.train_data:
        train_args += f" --data {Path(options.train_data).resolve()}"
    command = [
        "make",
        "--no-print-directory",
        "serve",
        "HOST=127.0.0.1",
        f"PORT={port}",
        f"WORKERS={options.workers}",
        f"TRAIN_ARGS={train_args}",
    ]
    base = f"http://127.0.0.1:{port}"
    server = start_server(command, cwd=PROJECT_DIR, env=env, log=log)
    try:
        wait_until_up(f"{base}/healthz", server, log)
        # The page hands out the CSRF cookie; the htmx request sends it back as the header.
        cookies = http.cookiejar.CookieJar()
        browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(cookies))
        form = urllib.parse.urlencode(PASSENGER)
        csrf_request = urllib.request.Request(f"{base}/")
        first_page, _ = timed_request(csrf_request, browser)
        token = next(c.value for c in cookies if c.name == "csrftoken")
        htmx_headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "HX-Request": "true",
            "X-CSRFToken": token,
            "Cookie": f"csrftoken={token}",
        }
        first, answer = timed_request(
            urllib.request.Request(
                f"{base}/predict/", data=form.encode(), headers=htmx_headers, method="POST"
            )
        )
        if b"%" not in answer:
            raise RuntimeError("the htmx answer has no probability in it")
        json_headers = {"Content-Type": "application/json"}
        _, api_answer = timed_request(
            urllib.request.Request(
                f"{base}/api/v1/predict",
                data=json.dumps(PASSENGER).encode(),
                headers=json_headers,
                method="POST",
            )
        )
        if "probability" not in json.loads(api_answer):
            raise RuntimeError("the API's answer has no probability")
        served = served_version(base)
        workers = gunicorn_workers(server.pid)
        htmx_script = lua_script(state / "htmx.lua", body=form, headers=htmx_headers)
        htmx = load(
            OURS_HTMX,
            algorithm,
            f"{base}/predict/",
            htmx_script,
            options,
            first,
            workers,
        )
        api = load(
            OURS_JSON,
            algorithm,
            f"{base}/api/v1/predict",
            lua_script(state / "json.lua", body=json.dumps(PASSENGER), headers=json_headers),
            options,
            first,
            workers,
        )
        # The page itself, cold, is the first request; the predict is the first model call.
        htmx.first_request_seconds = api.first_request_seconds = max(first_page, first)
        results = [htmx, api]
        if with_challenger:
            # Then a second version of the same kind shadows the active one, as `train
            # --challenger` sets it up: every prediction is scored by both, one answer is shown.
            with log.open("a") as log_file:
                challenger = ["--challenger", "--seed", "43"]
                subprocess.run(
                    [sys.executable, "manage.py", "train", *train_args.split(), *challenger],
                    cwd=PROJECT_DIR,
                    env=env,
                    stdout=log_file,
                    stderr=subprocess.STDOUT,
                    check=True,
                    timeout=START_TIMEOUT_SECONDS,
                )
            results.append(
                load(
                    OURS_SHADOWED,
                    algorithm,
                    f"{base}/predict/",
                    htmx_script,
                    options,
                    first,
                    workers,
                )
            )
        for result in results:
            result.served = served
        return results
    finally:
        stop(server)


def served_version(base: str) -> str:
    """The active version as the API lists it: number, algorithm, calibration if any."""
    _, body = timed_request(urllib.request.Request(f"{base}/api/v1/models"))
    active = next(version for version in json.loads(body) if version["is_active"])
    calibration = active["params"].get("calibration")
    described = f"version {active['version']}, {active['algorithm_label']}"
    if calibration:
        # What that costs per prediction: one model per calibration fold, averaged.
        described += f", calibrated: {calibration}, so each answer averages that many fitted copies"
    return described


def bench_reference(
    options, state: Path, name: str, app: str, body_kind: str, algorithm: str
) -> LoadResult:
    port = free_port()
    log = state / f"{app.split(':')[0]}.log"
    env = {**os.environ, "BENCH_MODEL_DIR": str(state / "reference"), "OMP_NUM_THREADS": "1"}
    command = [
        str(Path(sys.executable).parent / "gunicorn"),
        app,
        f"--workers={options.workers}",
        f"--bind=127.0.0.1:{port}",
        "--access-logfile=-",
        "--no-control-socket",
    ]
    path = "/predict/" if body_kind == "form" else "/predict"
    if body_kind == "form":
        body = urllib.parse.urlencode(PASSENGER)
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
    else:
        body = json.dumps(PASSENGER)
        headers = {"Content-Type": "application/json"}
    url = f"http://127.0.0.1:{port}{path}"
    # From bench/, so that gunicorn finds the apps and not the project's gunicorn.conf.py.
    server = start_server(command, cwd=BENCH_DIR, env=env, log=log)
    try:
        first_probe = urllib.request.Request(
            url, data=body.encode(), headers=headers, method="POST"
        )
        wait_until_up_post(first_probe, server, log)
        first, _ = timed_request(first_probe)
        script = lua_script(state / f"{app.split(':')[0]}.lua", body=body, headers=headers)
        return load(name, algorithm, url, script, options, first, gunicorn_workers(server.pid))
    finally:
        stop(server)


def wait_until_up_post(request: urllib.request.Request, process, log: Path) -> None:
    """Polls with the app's own request until a worker answers it (workers may take seconds
    to import scikit-learn on a busy machine), within START_TIMEOUT_SECONDS."""
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited; see {log}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(request, timeout=START_TIMEOUT_SECONDS) as response:
                response.read()
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"no answer from {request.full_url}; see {log}")


# --- in-process measurements -----------------------------------------------------------------


def bench_model_calls(calls: int) -> dict[str, dict[str, float]]:
    """Median time of one passenger through each algorithm's prepared pipeline, and through
    the plain pipeline with a one-row DataFrame for comparison."""
    from threadpoolctl import threadpool_limits

    from ml_pipeline.candidates import build_pipeline
    from ml_pipeline.data import load_dataset
    from ml_pipeline.prepared import PreparedPipeline
    from ml_pipeline.schema import to_frame

    dataset = load_dataset()
    results = {}
    # As in a gunicorn worker under `make serve`: one maths thread.
    with threadpool_limits(1):
        for algorithm in TARGET_MODEL_CALL_MS:
            pipeline = build_pipeline(algorithm).fit(dataset.features, dataset.target)
            prepared = PreparedPipeline(pipeline)
            count = calls if algorithm == "logreg" else max(1, calls // 4)
            quick = median_seconds(lambda p=prepared: p.survival_probabilities([PASSENGER]), count)
            frame = median_seconds(
                lambda p=pipeline: p.predict_proba(to_frame([PASSENGER])), max(1, count // 10)
            )
            results[algorithm] = {"quick_ms": quick * 1000, "frame_ms": frame * 1000}
    return results


def median_seconds(call, count: int) -> float:
    call()
    timings = []
    for _ in range(count):
        started = time.perf_counter()
        call()
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


def bench_batch(rows: int) -> dict[str, float]:
    """A CSV of `rows` passengers (the bundled file repeated) parsed, checked and scored by a
    logistic-regression pipeline, as /batch and the predict command do."""
    from threadpoolctl import threadpool_limits

    from ml_pipeline.candidates import build_pipeline
    from ml_pipeline.data import BUNDLED_DATA, check_rows, load_dataset, read_csv_table

    dataset = load_dataset()
    pipeline = build_pipeline("logreg").fit(dataset.features, dataset.target)
    header, *lines = BUNDLED_DATA.read_text(encoding="utf-8").splitlines()
    body = [lines[i % len(lines)] for i in range(rows)]
    raw = ("\n".join([header, *body]) + "\n").encode()
    with threadpool_limits(1):
        started = time.perf_counter()
        table = read_csv_table(raw, source="bench.csv")
        checked = check_rows(table)
        features = checked.features[checked.valid]
        probabilities = pipeline.predict_proba(features)[:, 1]
        seconds = time.perf_counter() - started
    return {"rows": len(probabilities), "seconds": seconds, "rows_per_second": rows / seconds}


# --- report ----------------------------------------------------------------------------------


def machine_info() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import django
    import numpy
    import pandas
    import sklearn

    return (
        f"{cpu}, {os.cpu_count()} cores, {platform.system()} {platform.release()}; "
        f"Python {platform.python_version()}, Django {django.__version__}, "
        f"scikit-learn {sklearn.__version__}, numpy {numpy.__version__}, "
        f"pandas {pandas.__version__}"
    )


def check(passed: bool) -> str:
    return "yes" if passed else "**no**"


def render_report(options, algorithms, started, load_before, loads, model_calls, batch) -> str:
    def find(name: str, model: str) -> LoadResult | None:
        return next((r for r in loads if r.name == name and r.model == model), None)

    ours = [result for result in loads if result.name.startswith("ours")]
    floor = find(FLOOR, "")
    lines = [
        "# Benchmark results",
        "",
        f"Written by `make bench` (bench/run.py) on {started:%Y-%m-%d %H:%M} UTC.",
        "",
        f"- Machine: {machine_info()}.",
        f"- Load average when it started: {', '.join(f'{x:.2f}' for x in load_before)} "
        "(the machine is shared; other work competes for the same cores).",
        f"- Every app: gunicorn, {options.workers} sync workers, on 127.0.0.1; wrk with "
        f"{options.connections} connections, {options.warmup:g} s warm-up then "
        f"{options.duration:g} s measured; the apps run one after the other.",
        "- Ours: `make serve` settings (DEBUG off, whitenoise, SQLite in WAL mode); every "
        "prediction is logged to the database.",
        "- References (bench/): classic Django = the tutorial view that unpickles model and "
        "scaler on each request; Flask = model loaded at import; floor = bare WSGI, fixed JSON.",
        "- One round per model family: ours serves a version of that kind, trained by "
        "`make serve`; the references serve one of the same kind fitted the tutorial's way "
        "(scaler + model on a numeric list; the forest has as many trees as ours). "
        f"Families: {', '.join(f'`{name}`' for name in algorithms)}.",
        *(f"- Ours in the `{name}` round: {find(OURS_HTMX, name).served}." for name in algorithms),
        "",
        "## Requests",
        "",
        "| app | model | req/s | p50 ms | p99 ms | requests | errors "
        "| first request after ready s | worker RSS MB |",
        "|---|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for result in loads:
        rss = ", ".join(f"{mb:.0f}" for mb in result.worker_rss_mb) or "n/a"
        lines.append(
            f"| {result.name} | {result.model or '—'} | {result.requests_per_second:,.0f} | "
            f"{result.p50_ms:.2f} | {result.p99_ms:.2f} | {result.requests:,} | "
            f"{result.errors} | {result.first_request_seconds:.3f} | {rss} |"
        )
    lines += [
        "",
        "## Ratios (req/s of ours ÷ req/s of the reference serving the same model family)",
        "",
        "| ours | model | ÷ classic Django | ÷ Flask | ÷ floor |",
        "|---|---|---:|---:|---:|",
    ]
    for result in ours:
        lines.append(
            f"| {result.name} | {result.model} | "
            f"{ratio(result, find(CLASSIC, result.model)):.2f}× | "
            f"{ratio(result, find(FLASK, result.model)):.2f}× | {ratio(result, floor):.2f}× |"
        )
    lines += [
        "",
        "## Model call (one passenger, median; in-process, one thread)",
        "",
        "| algorithm | prepared path ms | plain pipeline with a DataFrame ms | target ms | holds |",
        "|---|---:|---:|---:|---|",
    ]
    for algorithm, timing in model_calls.items():
        target = TARGET_MODEL_CALL_MS[algorithm]
        lines.append(
            f"| {algorithm} | {timing['quick_ms']:.3f} | {timing['frame_ms']:.3f} | {target} | "
            f"{check(timing['quick_ms'] <= target)} |"
        )
    targets: list[tuple[str, str, bool]] = []
    for algorithm in algorithms:
        htmx, api = find(OURS_HTMX, algorithm), find(OURS_JSON, algorithm)
        versus_classic = ratio(htmx, find(CLASSIC, algorithm))
        versus_flask = ratio(api, find(FLASK, algorithm))
        targets += [
            (
                f"`{algorithm}`: htmx predict ≥ {TARGET_HTMX_VS_CLASSIC}× classic Django",
                f"{versus_classic:.2f}×",
                versus_classic >= TARGET_HTMX_VS_CLASSIC,
            ),
            (
                f"`{algorithm}`: JSON predict ≥ {TARGET_JSON_VS_FLASK}× Flask",
                f"{versus_flask:.2f}×",
                versus_flask >= TARGET_JSON_VS_FLASK,
            ),
            (
                f"`{algorithm}`: p99 ≤ {TARGET_P99_MS:g} ms (htmx, JSON)",
                f"{htmx.p99_ms:.2f}, {api.p99_ms:.2f}",
                max(htmx.p99_ms, api.p99_ms) <= TARGET_P99_MS,
            ),
        ]
    errors = sum(result.errors for result in ours)
    targets.append(("no errors (ours)", f"{errors}", errors == 0))
    plain, shadowed = find(OURS_HTMX, algorithms[0]), find(OURS_SHADOWED, algorithms[0])
    slowdown = 1 - ratio(shadowed, plain)
    targets.append(
        (
            f"`{algorithms[0]}`: a challenger shadowing costs ≤ {MAX_CHALLENGER_SLOWDOWN:.0%} "
            "of htmx req/s (our own bound)",
            f"{slowdown:.1%} ({plain.requests_per_second:,.0f} → "
            f"{shadowed.requests_per_second:,.0f} req/s)",
            slowdown <= MAX_CHALLENGER_SLOWDOWN,
        )
    )
    workers_rss = [mb for result in ours for mb in result.worker_rss_mb]
    first_request = max(result.first_request_seconds for result in ours)
    targets += [
        (
            f"batch ≥ {TARGET_BATCH_ROWS_PER_SECOND:,} rows/s (CSV parsing + model)",
            f"{batch['rows_per_second']:,.0f} rows/s ({batch['rows']:,} rows in "
            f"{batch['seconds']:.2f} s)",
            batch["rows_per_second"] >= TARGET_BATCH_ROWS_PER_SECOND,
        ),
        (
            f"each worker's RSS ≤ {TARGET_WORKER_RSS_MB} MB after the load",
            ", ".join(f"{mb:.0f}" for mb in workers_rss) or "n/a",
            bool(workers_rss) and max(workers_rss) <= TARGET_WORKER_RSS_MB,
        ),
        (
            f"first request after start ≤ {TARGET_FIRST_REQUEST_SECONDS:g} s (slowest round)",
            f"{first_request:.3f} s",
            first_request <= TARGET_FIRST_REQUEST_SECONDS,
        ),
    ]
    lines += ["", "## Targets", "", "| target | measured | holds |", "|---|---|---|"]
    lines += [f"| {name} | {measured} | {check(held)} |" for name, measured, held in targets]
    return "\n".join(lines) + "\n"


def ratio(ours: LoadResult, reference: LoadResult | None) -> float:
    if reference is None or reference.requests_per_second == 0:
        return float("nan")
    return ours.requests_per_second / reference.requests_per_second


if __name__ == "__main__":
    sys.exit(main())
