"""The benchmark's report (bench/RESULTS.md): the machine, the targets run by run, every load
run by run, the ratios, the browser's timings, the in-process timings, and any extra
section a further round adds (see ExtraSection)."""

from __future__ import annotations

import math
import os
import platform
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from targets import Target, ratio_rows, runs_of, targets
from wrk_load import LoadResult

# In-process, one passenger through the prepared pipeline (bench/in_process.py).
TARGET_MODEL_CALL_MS = {"logreg": 0.2, "random_forest": 1.0, "hist_gradient_boosting": 1.0}


@dataclass
class ExtraSection:
    """A further round's part of the report (e.g. a challenger shadowing, or the load from a
    second host): a title, notes in sentences, its loads and targets, rendered as the main
    ones are."""

    title: str
    notes: list[str] = field(default_factory=list)
    loads: list[LoadResult] = field(default_factory=list)
    targets: list[Target] = field(default_factory=list)
    # Markdown written by the round itself, heading included, in place of the above.
    body: str = ""


@dataclass
class Measured:
    """All a benchmark run measured; `render_report` writes it out."""

    families: list[str]
    loads: list[LoadResult]
    batches: list[dict[str, float]]
    browsers: list[dict[str, float]]
    model_calls: dict[str, dict[str, float]] = field(default_factory=dict)
    explanations: dict[str, dict[str, float]] = field(default_factory=dict)
    extras: list[ExtraSection] = field(default_factory=list)
    # The active version of ours in each round, in words, by family.
    served: dict[str, str] = field(default_factory=dict)
    # What the references served in each round, in words, by family.
    references: dict[str, str] = field(default_factory=dict)
    # The whole benchmark, start to end.
    took_seconds: float = math.nan


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


def number(value: float, unit: str = "") -> str:
    """A measured value as the tables show it: ratios to 2 decimals, big counts grouped."""
    if math.isnan(value):
        return "—"
    if unit == "×":
        return f"{value:.2f}×"
    if unit == "%":
        return f"{value:.0%}"
    if abs(value) >= 1000:
        return f"{value:,.0f}{unit}"
    if unit == " s":
        return f"{value:.3f}{unit}"
    if value == int(value) and unit in ("", " MB"):
        return f"{value:.0f}{unit}"
    return f"{value:.1f}{unit}"


def limit(target: Target, value: float) -> str:
    sign = "≥" if target.higher_is_better else "≤"
    return f"{sign} {number(value, target.unit)}"


def targets_table(found: Sequence[Target], runs: Sequence[int]) -> list[str]:
    """One row per target: goal, bar, each run's value, whether the bar held in every run
    (a value measured once stands in the first run's column)."""
    header = "| target | goal | bar | " + " | ".join(f"run {run}" for run in runs)
    lines = [
        header + " | holds (bar, every run) | goal met (every run) |",
        "|---|---|---|" + "---:|" * len(runs) + "---|---|",
    ]
    for target in found:
        cells = [number(value, target.unit) for value in target.values]
        cells += ["—"] * (len(runs) - len(cells))
        lines.append(
            f"| {target.name} | {limit(target, target.goal)} | {limit(target, target.bar)} | "
            + " | ".join(cells)
            + f" | {check(target.holds)} | {check(target.goal_met)} |"
        )
    return lines


def requests_table(loads: Sequence[LoadResult]) -> list[str]:
    """One row per app and model family, req/s, p50 and p99 of each run side by side."""
    runs = runs_of(loads)
    apps: list[tuple[str, str]] = []
    for result in loads:
        if (result.name, result.model) not in apps:
            apps.append((result.name, result.model))
    header = "| app | model | " + " | ".join(f"run {run} req/s | p50 ms | p99 ms" for run in runs)
    lines = [
        header + " | errors | worker RSS MB (last run) |",
        "|---|---|" + "---:|---:|---:|" * len(runs) + "---:|---|",
    ]
    for name, model in apps:
        mine = {r.run: r for r in loads if r.name == name and r.model == model}
        cells = []
        for run in runs:
            result = mine.get(run)
            if result is None:
                cells.append("— | — | —")
            else:
                cells.append(
                    f"{result.requests_per_second:,.0f} | {result.p50_ms:.2f} | {result.p99_ms:.2f}"
                )
        last = mine[max(mine)]
        rss = ", ".join(f"{mb:.0f}" for mb in last.worker_rss_mb) or "n/a"
        errors = sum(r.errors for r in mine.values())
        lines.append(f"| {name} | {model or '—'} | " + " | ".join(cells) + f" | {errors} | {rss} |")
    return lines


def ratios_table(loads: Sequence[LoadResult], families: Sequence[str]) -> list[str]:
    runs = runs_of(loads)
    lines = [
        "| ratio of req/s | model | " + " | ".join(f"run {run}" for run in runs) + " |",
        "|---|---|" + "---:|" * len(runs),
    ]
    for label, family, values in ratio_rows(loads, families):
        cells = " | ".join(number(value, "×") for value in values)
        lines.append(f"| {label} | {family} | {cells} |")
    return lines


def browser_table(browsers: Sequence[dict[str, float]], family: str) -> list[str]:
    if not browsers:
        return []
    lines = [
        "",
        f"## Browser (Chromium on loopback, ours in the `{family}` round, after each run's loads)",
        "",
        "From the select's change event (or the last key's input event) to the first animation "
        "frame after htmx settled the answer, measured in the page; *swap* stops at htmx's swap "
        "instead (the site sets no settle delay, so it settles right after). Typing includes "
        "the form's 150 ms wait for more keys.",
        "",
        "| run | select changes | median ms | p90 ms | swap median ms "
        "| typings | median ms | p90 ms | swap median ms |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for run, b in enumerate(browsers, start=1):
        lines.append(
            f"| {run} | {b['changes']:.0f} | {b['select_median_ms']:.1f} | "
            f"{b['select_p90_ms']:.1f} | {b['select_swap_median_ms']:.1f} | "
            f"{b['typings']:.0f} | {b['typing_median_ms']:.1f} | {b['typing_p90_ms']:.1f} | "
            f"{b['typing_swap_median_ms']:.1f} |"
        )
    return lines


def in_process_tables(measured: Measured) -> list[str]:
    lines = []
    if measured.batches:
        lines += [
            "",
            "## Batch (in-process, one thread: a CSV parsed, checked and scored by a logistic "
            "regression, through the function /batch calls)",
            "",
            "| run | rows | seconds | rows/s |",
            "|---:|---:|---:|---:|",
        ]
        for run, batch in enumerate(measured.batches, start=1):
            lines.append(
                f"| {run} | {batch['rows']:,.0f} | {batch['seconds']:.3f} | "
                f"{batch['rows_per_second']:,.0f} |"
            )
    if measured.model_calls:
        lines += [
            "",
            "## Model call (one passenger, median; in-process, one thread)",
            "",
            "| algorithm | prepared path ms | plain pipeline with a DataFrame ms | target ms "
            "| holds |",
            "|---|---:|---:|---:|---|",
        ]
        for algorithm, timing in measured.model_calls.items():
            target = TARGET_MODEL_CALL_MS[algorithm]
            lines.append(
                f"| {algorithm} | {timing['quick_ms']:.3f} | {timing['frame_ms']:.3f} | "
                f"{target} | {check(timing['quick_ms'] <= target)} |"
            )
    return lines + explanation_table(measured.explanations)


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
        "each background passenger's part of the game folded on its own. *Rows computed*: the "
        "distinct coalition rows scored, or for a logistic regression the rows its column "
        "groups need, through the preprocessing (an ensemble's members each count theirs).",
        "",
        "| algorithm | background | rows computed | scored only ms | explained ms "
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


def extra_section(section: ExtraSection, runs: Sequence[int]) -> list[str]:
    if section.body:
        return ["", *section.body.rstrip("\n").split("\n")]
    lines = ["", f"## {section.title}", ""]
    lines += [f"- {note}" for note in section.notes]
    if section.loads:
        lines += ["", *requests_table(section.loads)]
    if section.targets:
        lines += ["", *targets_table(section.targets, runs_of(section.loads) or runs)]
    return lines


def render_report(options, started, load_before, measured: Measured) -> str:
    runs = runs_of(measured.loads)
    found = targets(
        measured.loads, measured.families, measured.batches, measured.browsers, options.connections
    )
    families = ", ".join(f"`{name}`" for name in measured.families)
    lines = [
        "# Benchmark results",
        "",
        f"Written by `make bench` (bench/run.py) on {started:%Y-%m-%d %H:%M} UTC, in "
        f"{measured.took_seconds / 60:.1f} min.",
        "",
        f"- Machine: {machine_info()}.",
        f"- Load average when it started: {', '.join(f'{x:.2f}' for x in load_before)} "
        "(the machine is shared; other work competes for the same cores).",
        f"- Every app: gunicorn with {options.workers} worker(s), on 127.0.0.1 (ours and the "
        "empty Django view with gunicorn.conf.py: sync workers unless WEB_THREADS asks "
        "for threads; the "
        "references and the bare floor with gunicorn's defaults: sync), all started "
        f"once and left up; wrk with {options.connections} connections loads one app at a "
        f"time, {options.duration:g} s measured per app and run ({options.warmup:g} s warm-up "
        f"before the first run); the load part is repeated {len(runs)} times.",
        "- Ours: `make serve` settings (DEBUG off, whitenoise, SQLite in WAL mode). *htmx "
        "preview*: `GET /?pclass=…` with the headers htmx sends when a select of the form "
        "changes (the answer card with its explanation; nothing logged). *JSON predict*: "
        "`POST /api/v1/predict`, one passenger, logged. *htmx submit*: `POST /predict/` as "
        "the form's button sends it (CSRF token), logged.",
        "- References (bench/): *classic Django* = the tutorial view that unpickles model and "
        "scaler on each request; *Flask* = model loaded at import; *empty Django view* = "
        "one view rendering a tiny template, behind our middleware, settings and gunicorn "
        "configuration (bench/django_floor_settings.py); *bare WSGI* = fixed JSON.",
        f"- One round per model family ({families}): ours serves a version trained by "
        "`make serve` (`default`: what `manage.py train` picks with no `--algorithm`); the "
        "references serve a model of the same family fitted the tutorial's way (scaler + "
        "model on a numeric list; the forest as big as ours; calibrated when ours is).",
        *(f"- `{family}` round: ours {text}." for family, text in measured.served.items()),
        *(
            f"- `{family}` round: the references serve {text}."
            for family, text in measured.references.items()
        ),
        "",
        "## Targets",
        "",
        "A target holds when its bar holds in every run.",
        "",
        *targets_table(found, runs),
        "",
        "## Requests",
        "",
        *requests_table(measured.loads),
        "",
        "## Ratios",
        "",
        "req/s of ours ÷ req/s of the reference; classic Django and Flask serve the same "
        "model family as ours in that row.",
        "",
        *ratios_table(measured.loads, measured.families),
        *browser_table(measured.browsers, measured.families[0]),
        *in_process_tables(measured),
    ]
    for section in measured.extras:
        lines += extra_section(section, runs)
    return "\n".join(lines) + "\n"
