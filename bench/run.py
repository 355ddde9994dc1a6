"""The benchmark behind `make bench`: the app under `make serve` against reference apps.

Every server is started once, on 127.0.0.1, with the same number of gunicorn workers, and
left up; then the load part runs `--runs` times, each time wrk loading one app after the
other with a fixed number of connections for a bounded time (a warm-up before the first):

- ours, htmx preview: `GET /?pclass=…` as the page sends it when a select changes (the answer
  card with its explanation: the Shapley coalitions of the passenger scored against the
  version's background, in one call; nothing logged);
- ours, JSON: `POST /api/v1/predict` with one passenger (logged);
- ours, htmx submit (first round only, `--no-submit` leaves it out): `POST /predict/` as the
  form's button sends it (logged);
- classic Django: the tutorial's view that unpickles model and scaler on every request;
- Flask: a minimal endpoint with the model loaded at import;
- empty Django view: one view rendering a tiny template behind our middleware, settings and
  gunicorn configuration (the floor for a Django page);
- bare WSGI: a function returning fixed JSON (the floor under everything).

Ours and the two model-serving references run once per model family (`--algorithms`, by
default `default,logreg`): `default` is what `manage.py train` picks with no --algorithm
(on the bundled data, the soft-voting ensemble of a logistic regression and a forest);
the references serve a model of the family ours serves, fitted the tutorial's way, so each
ratio compares apps serving alike models. A random forest round is one option away
(`--algorithms default,logreg,random_forest`, a few minutes more).

After each run's loads: the browser's timings on our first round's server (Chromium:
a select changed, a value typed → the answer painted; bench/browser_timing.py) and batch
scoring of a 100,000-row CSV in-process. Once, at the end: the model call alone per
algorithm, and one passenger explained against scored only (bench/explanation_cost.py).
Then the extra rounds of EXTRA_ROUNDS: ours beside ours without the work each answer must do
(bench/headroom.py; `--no-headroom` leaves it out), a challenger shadowing (`--challenger`),
two hosts (`--no-two-hosts` leaves it out). The results go to bench/RESULTS.md. With the
defaults the loads take some 6 minutes; the whole about 10 on two cores (training the default
model is most of the rest).

Usage: .venv/bin/python bench/run.py [--runs N] [--duration S] [--warmup S] …
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BENCH_DIR.parent
sys.path[:0] = [str(PROJECT_DIR), str(BENCH_DIR)]

from apps import (  # noqa: E402
    OURS_JSON,
    REFERENCE_APPS,
    OurApp,
    start_bare_floor,
    start_django_floor,
    start_our_app,
    start_reference,
    train_challenger,
)
from browser_timing import bench_browser  # noqa: E402
from explanation_cost import bench_explanations  # noqa: E402
from in_process import bench_batch, bench_model_calls  # noqa: E402
from reference_model import ALGORITHMS, DEFAULT, write_reference_model  # noqa: E402
from report import TARGET_MODEL_CALL_MS, ExtraSection, Measured, render_report  # noqa: E402
from servers import stop  # noqa: E402
from targets import Target, ratio  # noqa: E402
from wrk_load import LoadResult, load  # noqa: E402


@dataclass
class RoundContext:
    """What an extra round gets once the runs are done, the servers still up: the options,
    the state folder, ours by family (address, environment, endpoints), every load so far,
    and the list of servers to stop at the end (a round that starts servers adds them)."""

    options: argparse.Namespace
    state: Path
    ours: dict[str, OurApp]
    loads: list[LoadResult]
    servers: list = field(default_factory=list)


# Our own bound for a challenger shadowing: scoring every logged prediction a second time
# may cost at most this share of the JSON endpoint's requests/s.
MAX_CHALLENGER_SLOWDOWN = 0.2


def challenger_round(context: RoundContext) -> ExtraSection | None:
    """With --challenger: a second version of the first round's kind shadows the active one,
    and ours' JSON endpoint (each answer logged, so scored twice) is loaded once more."""
    if not context.options.challenger:
        return None
    family, app = next(iter(context.ours.items()))
    train_challenger(app, context.state / family / "app.log")
    json_endpoint = next(e for e in app.endpoints if e.name == OURS_JSON)
    last_run = max(r.run for r in context.loads)
    before = next(
        r for r in context.loads if r.name == OURS_JSON and r.model == family and r.run == last_run
    )
    shadowed = load(json_endpoint, context.options, run=last_run, warm_up=False)
    shadowed.name = "ours: JSON predict, a challenger shadowing"
    slowdown = 1 - ratio(shadowed, before)
    bound = Target(
        "share of JSON req/s a challenger costs (our own bound)",
        "%",
        MAX_CHALLENGER_SLOWDOWN,
        MAX_CHALLENGER_SLOWDOWN,
        False,
        (slowdown,),
    )
    return ExtraSection(
        title=f"A challenger shadowing (`{family}` round, after run {last_run})",
        notes=[
            "`manage.py train --challenger` trains a second version of the same kind; every "
            "logged prediction is then scored by both, one answer shown.",
            f"JSON predict: {before.requests_per_second:,.0f} req/s in run {last_run}, "
            f"{shadowed.requests_per_second:,.0f} with the challenger.",
        ],
        loads=[before, shadowed],
        targets=[bound],
    )


# Rounds after the runs, each adding a section to the report or None: a round measured
# elsewhere (e.g. a second host loading ours) adds its function here.
def two_hosts_round(context: RoundContext) -> ExtraSection | None:
    """With --two-hosts (the default): the `make cluster` layout, loaded on one host and on
    both with twice the connections (bench/two_hosts.py)."""
    if not context.options.two_hosts:
        return None
    from two_hosts import bench_two_hosts, two_hosts_section

    say("two hosts: make cluster (trains a first version)")
    rows = bench_two_hosts(
        state=context.state / "two-hosts",
        duration=context.options.duration,
        warmup=context.options.warmup,
        connections=2 * context.options.connections,
    )
    return ExtraSection(
        title="Two hosts",
        body=two_hosts_section(rows, workers=context.options.workers, load_before=os.getloadavg()),
    )


def headroom_round(context: RoundContext) -> ExtraSection | None:
    """With --headroom (the default): ours beside ours without the work each answer must do
    (bench/headroom.py), to show how much of the distance to each bar that work is."""
    if not context.options.headroom:
        return None
    from headroom import bench_headroom, headroom_section

    say("headroom: ours without the explanation, the log write and the rate limit")
    measured, run = bench_headroom(
        context.options, context.state, context.ours, context.loads, context.servers
    )
    return ExtraSection(
        title="Headroom",
        body=headroom_section(measured, context.loads, run, list(context.ours)),
    )


EXTRA_ROUNDS: list[Callable[[RoundContext], ExtraSection | None]] = [
    headroom_round,
    challenger_round,
    two_hosts_round,
]


def parse_options() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="repetitions of the load part")
    parser.add_argument("--duration", type=float, default=10, help="seconds of load per app")
    parser.add_argument(
        "--warmup", type=float, default=2, help="seconds of warm-up per app, first run only"
    )
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers per app")
    parser.add_argument(
        "--algorithms",
        default=f"{DEFAULT},logreg",
        help=f"model families, comma-separated, of: {', '.join(ALGORITHMS)}",
    )
    parser.add_argument(
        "--submit",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also load ours' htmx submit (POST /predict/) in the first round",
    )
    parser.add_argument(
        "--browser-changes", type=int, default=20, help="select changes timed per run (0: none)"
    )
    parser.add_argument("--browser-typings", type=int, default=5, help="values typed per run")
    parser.add_argument(
        "--challenger", action="store_true", help="then load ours with a challenger shadowing"
    )
    parser.add_argument("--train-data", help="CSV to train our app's model on (default: bundled)")
    parser.add_argument("--batch-rows", type=int, default=100_000)
    parser.add_argument(
        "--model-calls", type=int, default=2000, help="timed calls per model (fewer for trees)"
    )
    parser.add_argument("--state", type=Path, default=BENCH_DIR / ".state")
    parser.add_argument("--output", type=Path, default=BENCH_DIR / "RESULTS.md")
    parser.add_argument(
        "--headroom",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="then load ours beside ours without its explanation, log write and rate limit "
        "(bench/headroom.py)",
    )
    parser.add_argument(
        "--two-hosts",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="then load the `make cluster` layout, on one host and on two (bench/two_hosts.py)",
    )
    return parser.parse_args()


def say(message: str) -> None:
    print(f"[bench {datetime.now(UTC):%H:%M:%S}] {message}", file=sys.stderr, flush=True)


def main() -> int:
    options = parse_options()
    if shutil.which("wrk") is None:
        print("wrk is missing: `make bench` installs it (Debian: apt-get install wrk).")
        return 1
    families = [name.strip() for name in options.algorithms.split(",") if name.strip()]
    unknown = sorted(set(families) - set(ALGORITHMS))
    if unknown or not families or options.runs < 1:
        print(f"--algorithms takes some of: {', '.join(ALGORITHMS)}; --runs at least 1")
        return 1
    state = options.state.resolve()
    if state.exists():
        shutil.rmtree(state)
    state.mkdir(parents=True)
    started, clock = datetime.now(UTC), time.monotonic()
    load_before = os.getloadavg()

    measured = Measured(families=families, loads=[], batches=[], browsers=[])
    servers: list = []
    try:
        ours: dict[str, OurApp] = {}
        endpoints = []
        for number, family in enumerate(families):
            round_state = state / family
            round_state.mkdir()
            say(f"`{family}` round: make serve (trains a first version)")
            app = start_our_app(
                options, round_state, family, servers, with_submit=options.submit and number == 0
            )
            ours[family] = app
            measured.served[family] = app.served
            write_reference_model(
                round_state / "reference", app.algorithm, calibrated=app.calibrated
            )
            measured.references[family] = f"a model of the `{app.algorithm}` family" + (
                ", calibrated as ours" if app.calibrated else ""
            )
            endpoints += app.endpoints
            for name, module, body_kind in REFERENCE_APPS:
                endpoints.append(
                    start_reference(options, round_state, servers, name, module, body_kind, family)
                )
        first = ours[families[0]]
        endpoints.append(start_django_floor(options, state, servers, first))
        endpoints.append(start_bare_floor(options, state, servers))
        for run in range(1, options.runs + 1):
            for endpoint in endpoints:
                result = load(endpoint, options, run=run, warm_up=run == 1)
                say(
                    f"run {run}: {endpoint.name} ({endpoint.model or '—'}) "
                    f"{result.requests_per_second:,.0f} req/s"
                )
                measured.loads.append(result)
            if options.browser_changes > 0:
                measured.browsers.append(
                    bench_browser(
                        first.base,
                        changes=options.browser_changes,
                        typings=options.browser_typings,
                    )
                )
            measured.batches.append(bench_batch(options.batch_rows))
        context = RoundContext(options, state, ours, measured.loads, servers)
        for extra_round in EXTRA_ROUNDS:
            try:
                section = extra_round(context)
            except Exception as exc:
                # A round that cannot run (e.g. no PostgreSQL for the two hosts) is said in
                # the report; the main runs, already measured, are not thrown away.
                say(f"{extra_round.__name__} did not run: {exc}")
                section = ExtraSection(
                    title=extra_round.__name__.replace("_", " ").capitalize(),
                    notes=[f"Did not run: {exc}"],
                )
            if section is not None:
                measured.extras.append(section)
    finally:
        for server in reversed(servers):
            stop(server)
    say("in-process: model calls and explanations")
    measured.model_calls = bench_model_calls(options.model_calls, list(TARGET_MODEL_CALL_MS))
    measured.explanations = bench_explanations(options.model_calls)
    measured.took_seconds = time.monotonic() - clock
    report = render_report(options, started, load_before, measured)
    options.output.write_text(report, encoding="utf-8")
    print(report)
    print(f"Written to {options.output} in {measured.took_seconds / 60:.1f} min")
    return 0


if __name__ == "__main__":
    sys.exit(main())
