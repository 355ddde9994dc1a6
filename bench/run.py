"""The benchmark behind `make bench`: the app under `make serve` against three reference apps.

Each server runs alone, on 127.0.0.1, with the same number of gunicorn workers, and is loaded
by wrk with a fixed number of connections for a bounded time after a warm-up:

- ours, htmx: POST /predict/ as the page sends it (HX-Request, a valid CSRF token); every
  answer has the explanation, so it scores the Shapley coalitions of the passenger against
  the version's background (some 700 distinct rows, one call) and logs one prediction;
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
algorithm), one passenger explained against scored only (bench/explanation_cost.py), batch
scoring of a 100,000-row CSV (parsing included), each worker's memory after
the load, and the first request after start. The results go to bench/RESULTS.md.

Usage: .venv/bin/python bench/run.py [--duration S] [--warmup S] [--connections N] …
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from datetime import UTC, datetime
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BENCH_DIR.parent
sys.path[:0] = [str(PROJECT_DIR), str(BENCH_DIR)]

from apps import FLOOR, REFERENCE_APPS, bench_our_app, bench_reference  # noqa: E402
from explanation_cost import bench_explanations  # noqa: E402
from in_process import bench_batch, bench_model_calls  # noqa: E402
from reference_model import ALGORITHMS, write_reference_model  # noqa: E402
from report import TARGET_MODEL_CALL_MS, render_report  # noqa: E402
from wrk_load import LoadResult  # noqa: E402


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
    parser.add_argument(
        "--two-hosts", action="store_true", help="also load `make cluster` (bench/two_hosts.py)"
    )
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
    model_calls = bench_model_calls(options.model_calls, list(TARGET_MODEL_CALL_MS))
    batch = bench_batch(options.batch_rows)
    explanations = bench_explanations(options.model_calls)
    report = render_report(
        options, algorithms, started, load_before, loads, model_calls, batch, explanations
    )
    if options.two_hosts:
        from two_hosts import bench_two_hosts, two_hosts_section

        rows = bench_two_hosts(
            state=state / "two-hosts",
            duration=options.duration,
            warmup=options.warmup,
            connections=2 * options.connections,
        )
        section = two_hosts_section(rows, workers=options.workers, load_before=load_before)
        report += "\n" + section
    options.output.write_text(report, encoding="utf-8")
    print(report)
    print(f"Written to {options.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
