"""The benchmark's report (bench/RESULTS.md): the machine, every load, the in-process
timings and whether each target holds."""

from __future__ import annotations

import os
import platform
from pathlib import Path

from apps import CLASSIC, FLASK, FLOOR, OURS_HTMX, OURS_JSON, OURS_SHADOWED
from wrk_load import LoadResult

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


def render_report(
    options, algorithms, started, load_before, loads, model_calls, batch, explanations=None
) -> str:
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
    lines += explanation_table(explanations or {})
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


def explanation_table(explanations: dict[str, dict[str, float]]) -> list[str]:
    """The additive explanation's cost per explained passenger (bench/explanation_cost.py)."""
    if not explanations:
        return []
    lines = [
        "",
        "## Explanation (one passenger, median over the example passengers; in-process, one "
        "thread)",
        "",
        "Exact Shapley values over the 7 inputs: 128 coalitions × the background passengers, "
        "the rows that coincide scored once, in one model call.",
        "",
        "| algorithm | background | rows scored | scored only ms | explained ms "
        "| explanation's cost ms |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for algorithm, timing in explanations.items():
        lines.append(
            f"| {algorithm} | {timing['background']:.0f} | {timing['rows']:.0f} | "
            f"{timing['score_ms']:.3f} | {timing['explain_ms']:.3f} | "
            f"{timing['explain_ms'] - timing['score_ms']:.3f} |"
        )
    return lines


def ratio(ours: LoadResult, reference: LoadResult | None) -> float:
    if reference is None or reference.requests_per_second == 0:
        return float("nan")
    return ours.requests_per_second / reference.requests_per_second
