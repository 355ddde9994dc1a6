"""Keeps `make bench` working and its report right: the report's arithmetic (ratios run by
run, a target holding only when its bar holds in every run, the tables), on made-up loads;
and the whole benchmark on its smallest configuration (one model family, one worker per
app, about a second of load per app, two runs).

Nothing here is timed; the numbers only count when `make bench` runs at full length.
"""

from __future__ import annotations

import argparse
import math
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
# The benchmark's modules import one another by name, as bench/run.py runs them.
sys.path.insert(0, str(PROJECT_DIR / "bench"))

from apps import CLASSIC, DJANGO_FLOOR, FLASK, FLOOR, OURS_JSON, OURS_PREVIEW  # noqa: E402
from report import ExtraSection, Measured, render_report, requests_table, targets_table  # noqa: E402
from targets import Target, percentile, ratios_per_run, targets  # noqa: E402
from wrk_load import LoadResult  # noqa: E402


def result(name, model, run, rps, *, p50=10.0, p99=20.0, rss=(200.0,), errors=0):
    return LoadResult(
        name=name,
        requests_per_second=rps,
        p50_ms=p50,
        p99_ms=p99,
        requests=int(rps * 10),
        errors=errors,
        first_request_seconds=0.05,
        model=model,
        worker_rss_mb=list(rss),
        run=run,
    )


def two_runs():
    """Run 1: ours as fast as the references; run 2: the preview at 0.7× classic Django."""
    loads = []
    for run, preview in ((1, 1000.0), (2, 700.0)):
        loads += [
            result(OURS_PREVIEW, "default", run, preview, p99=25.0 if run == 1 else 35.0),
            result(OURS_JSON, "default", run, 900.0, rss=(240.0, 260.0) if run == 2 else (240.0,)),
            result(CLASSIC, "default", run, 1000.0),
            result(FLASK, "default", run, 1000.0),
            result(DJANGO_FLOOR, "", run, 1600.0),
            result(FLOOR, "", run, 5000.0),
        ]
    return loads


BATCHES = [{"rows": 100_000, "seconds": 0.5, "rows_per_second": 200_000}] * 2
BROWSERS = [
    {
        "changes": 20,
        "typings": 5,
        "select_median_ms": ms,
        "select_p90_ms": ms + 5,
        "select_swap_median_ms": ms - 20,
        "typing_median_ms": 320.0,
        "typing_p90_ms": 330.0,
        "typing_swap_median_ms": 300.0,
    }
    for ms in (25.0, 28.0)
]


def by_name(found: list[Target]) -> dict[str, Target]:
    return {target.name: target for target in found}


def test_ratios_are_taken_run_by_run_against_the_reference_of_the_same_family():
    loads = two_runs()
    assert ratios_per_run(loads, (OURS_PREVIEW, "default"), (CLASSIC, "default")) == (1.0, 0.7)
    assert ratios_per_run(loads, (OURS_JSON, "default"), (FLASK, "default")) == (0.9, 0.9)
    # A reference missing from a run gives no ratio for that run, not a made-up one.
    missing = [r for r in loads if not (r.name == CLASSIC and r.run == 2)]
    one, two = ratios_per_run(missing, (OURS_PREVIEW, "default"), (CLASSIC, "default"))
    assert one == 1.0
    assert math.isnan(two)


def test_a_target_holds_only_when_its_bar_holds_in_every_run():
    found = by_name(targets(two_runs(), ["default"], BATCHES, BROWSERS, connections=8))

    versus_classic = found["`default`: htmx preview ÷ classic Django"]
    assert versus_classic.values == (1.0, 0.7)
    # 0.7× in run 2 is under the 0.8× bar: one good run is not enough.
    assert not versus_classic.holds
    assert not versus_classic.goal_met

    versus_flask = found["`default`: JSON predict ÷ Flask"]
    # 0.9× in both runs: above the bar, below the goal.
    assert versus_flask.holds
    assert not versus_flask.goal_met

    versus_floor = found["`default`: htmx preview ÷ empty Django view"]
    assert versus_floor.values == (1000 / 1600, 700 / 1600)
    assert not versus_floor.holds

    tail = found["p99 ÷ p50 at 8 connections (ours, worst endpoint)"]
    assert tail.values == (2.5, 3.5)
    assert not tail.holds

    # The largest of all our workers in each run.
    assert found["largest worker RSS after the load (ours)"].values == (240.0, 260.0)
    assert not found["largest worker RSS after the load (ours)"].holds
    assert found["batch scoring, in-process (CSV parsing + model)"].holds
    assert found["browser: select changed → answer painted (median)"].goal_met
    assert not found["browser: last key typed → answer painted (median)"].holds


def test_an_unmeasured_run_never_holds():
    empty = Target("x", "×", 1.0, 0.8, True, ())
    nan = Target("x", "×", 1.0, 0.8, True, (1.2, math.nan))
    assert not empty.holds
    assert not nan.holds
    lower = Target("x", " ms", 30.0, 30.0, False, (30.0, 29.0))
    assert lower.holds
    assert lower.goal_met


def test_the_targets_table_shows_every_run_and_whether_each_bar_held():
    found = targets(two_runs(), ["default"], BATCHES, BROWSERS, connections=8)
    table = "\n".join(targets_table(found, [1, 2]))
    assert (
        "| `default`: htmx preview ÷ classic Django | ≥ 1.00× | ≥ 0.80× | 1.00× | 0.70× "
        "| **no** | **no** |"
    ) in table
    assert (
        "| `default`: JSON predict ÷ Flask | ≥ 1.00× | ≥ 0.80× | 0.90× | 0.90× | yes | **no** |"
        in (table)
    )
    # Measured once: the value in the first run's column, a dash in the others.
    assert (
        "| first request after start (ours, slowest round) | ≤ 1.000 s | ≤ 1.000 s | 0.050 s | — |"
        in (table)
    )


def test_the_requests_table_puts_the_runs_side_by_side():
    loads = [r for r in two_runs() if not (r.name == FLOOR and r.run == 2)]
    table = "\n".join(requests_table(loads))
    assert (
        "| app | model | run 1 req/s | p50 ms | p99 ms | run 2 req/s | p50 ms | p99 ms |" in table
    )
    assert (
        "| ours: htmx preview | default | 1,000 | 10.00 | 25.00 | 700 | 10.00 | 35.00 | 0 |"
        in table
    )
    assert "| bare WSGI | — | 5,000 | 10.00 | 20.00 | — | — | — | 0 | 200 |" in table


def test_the_report_has_every_section_and_each_extra_round():
    loads = two_runs()
    measured = Measured(families=["default"], loads=loads, batches=BATCHES, browsers=BROWSERS)
    measured.served["default"] = "version 1, Soft-voting ensemble"
    measured.extras.append(
        ExtraSection(
            title="A second host loading ours",
            notes=["wrk on another host."],
            loads=[result(OURS_JSON, "default", 1, 800.0)],
        )
    )
    options = argparse.Namespace(workers=2, connections=8, duration=10, warmup=2)
    report = render_report(options, datetime.now(UTC), (1.0, 1.0, 1.0), measured)
    for heading in ("## Targets", "## Requests", "## Ratios", "## Browser", "## Batch"):
        assert heading in report
    assert "| htmx preview ÷ empty Django view | default | 0.62× | 0.44× |" in report
    assert "- `default` round: ours version 1, Soft-voting ensemble." in report
    assert "## A second host loading ours\n\n- wrk on another host." in report


def test_the_headroom_round_divides_ours_with_and_without_the_work_by_the_same_reference():
    from apps import HEADROOM_JSON, HEADROOM_PREVIEW
    from headroom import headroom_section

    references = two_runs()
    measured = [
        result(OURS_PREVIEW, "default", 2, 700.0),
        result(HEADROOM_PREVIEW, "default", 2, 900.0),
        result(OURS_JSON, "default", 2, 500.0),
        result(HEADROOM_JSON, "default", 2, 850.0),
    ]
    section = headroom_section(measured, references, 2, ["default"])
    # Run 2's references: classic Django and Flask 1,000 req/s, the empty view 1,600.
    for row in (
        "| default | htmx preview | its explanation | 700 | 900 | classic Django | 0.70× "
        "| 0.90× | 0.80× |",
        "| default | htmx preview | its explanation | 700 | 900 | empty Django view | 0.44× "
        "| 0.56× | 0.50× |",
        "| default | JSON predict | its log write and rate limit | 500 | 850 | Flask | 0.50× "
        "| 0.85× | 0.80× |",
    ):
        assert row in section


def test_percentiles_fall_between_the_values():
    assert percentile([10.0, 20.0, 30.0, 40.0], 0.5) == 25.0
    assert percentile([7.0], 0.9) == 7.0


def test_the_benchmark_runs_every_app_and_writes_its_table(tmp_path, small_titanic_csv):
    output = tmp_path / "RESULTS.md"
    command = [
        sys.executable,
        "bench/run.py",
        "--runs=2",
        "--duration=1",
        "--warmup=0",
        "--algorithms=logreg",
        "--workers=1",
        "--browser-changes=2",
        "--browser-typings=1",
        f"--train-data={small_titanic_csv}",
        "--batch-rows=2000",
        "--model-calls=8",
        # The two-host round has a test of its own (it needs PostgreSQL and Redis).
        "--no-two-hosts",
        f"--state={tmp_path / 'state'}",
        f"--output={output}",
    ]
    run = subprocess.run(command, cwd=PROJECT_DIR, timeout=900, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]

    report = output.read_text(encoding="utf-8")
    for app in ("ours: htmx preview", "ours: JSON predict", "ours: htmx submit"):
        assert f"| {app} | logreg |" in report
    for reference in ("classic Django", "Flask"):
        assert f"| {reference} | logreg |" in report
    for row in (
        "| empty Django view | — |",
        "| bare WSGI | — |",
        "| `logreg`: htmx preview ÷ classic Django | ≥ 1.00× | ≥ 0.80× |",
        "| `logreg`: htmx preview ÷ empty Django view | ≥ 0.50× |",
        "| errors (ours) | ≤ 0 | ≤ 0 | 0 | 0 | yes | yes |",
        "- `logreg` round: ours version 1, ",
        "| run | select changes |",
        # The model calls are timed for every family, whatever rounds ran.
        "| random_forest |",
        "| hist_gradient_boosting |",
        # The explanation's cost, for every family, the default ensemble and it calibrated.
        "| logreg | 24 |",
        "| ensemble | 24 |",
        "| calibrated ensemble | 24 |",
        # The headroom round: ours beside ours without the work each answer must do (the
        # round checks that the experiment explains and logs nothing before loading it).
        "| logreg | htmx preview | its explanation |",
        "| logreg | JSON predict | its log write and rate limit |",
    ):
        assert row in report


def test_the_readme_gets_the_report_s_targets_table_between_its_markers():
    from readme_table import END, START, with_table

    readme = (
        "# App\n\nthe run it comes from:\n2026-01-01, on two shared cores.\n\n"
        f"{START}\n| old |\n{END}\n\n## Next\n"
    )
    report = (
        "# Benchmark results\n\nWritten by `make bench` (bench/run.py) on 2026-12-06 04:00 UTC.\n"
        "\n## Targets\n\nA target holds when its bar holds in every run.\n\n"
        "| target | run 1 |\n|---|---:|\n| x | 1.00× |\n\n## Requests\n\n| app |\n"
    )
    assert with_table(readme, report) == (
        "# App\n\nthe run it comes from:\n2026-12-06, on two shared cores.\n\n"
        f"{START}\n| target | run 1 |\n|---|---:|\n| x | 1.00× |\n{END}\n\n## Next\n"
    )
