"""The headroom round of `make bench`: how much of the distance between ours and the reference
apps is the work each answer must do, and how much the rest of the request.

After the runs, for each model family, ours without that work (bench/headroom_app.py: the
preview without its explanation, the JSON predict without its log write and rate limit) is
started beside ours, and both are loaded once more, one right after the other. Each is then
divided by the last run's reference (classic Django, Flask, the empty Django view) for the
ratios the targets set bars on. The experiment is only measured: its ratios are no target
(ours may not drop that work), they say what the bars leave room for.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from apps import (
    CLASSIC,
    DJANGO_FLOOR,
    FLASK,
    HEADROOM_JSON,
    HEADROOM_PREVIEW,
    OURS_JSON,
    OURS_PREVIEW,
    OurApp,
    start_headroom_app,
)
from targets import JSON_VS_FLASK, PREVIEW_VS_CLASSIC, PREVIEW_VS_DJANGO_FLOOR, find, ratio
from wrk_load import Endpoint, LoadResult, load

# (ours, ours without the work, the reference, the reference's family or "" for the floor,
# the bar the targets set on ours ÷ the reference).
COMPARISONS = (
    (OURS_PREVIEW, HEADROOM_PREVIEW, CLASSIC, True, PREVIEW_VS_CLASSIC[1]),
    (OURS_PREVIEW, HEADROOM_PREVIEW, DJANGO_FLOOR, False, PREVIEW_VS_DJANGO_FLOOR),
    (OURS_JSON, HEADROOM_JSON, FLASK, True, JSON_VS_FLASK[1]),
)

TAKEN_OUT = {
    OURS_PREVIEW: "its explanation",
    OURS_JSON: "its log write and rate limit",
}


def bench_headroom(
    options, state: Path, ours: dict[str, OurApp], loads: Sequence[LoadResult], servers: list
) -> tuple[list[LoadResult], int]:
    """Ours and ours without the required work, loaded side by side for each family; the
    loads (named as in apps.py) and the run whose references they are compared with."""
    run = max(result.run for result in loads)
    measured: list[LoadResult] = []
    for family, app in ours.items():
        without = start_headroom_app(options, state / family, servers, app)
        pairs: list[tuple[Endpoint, Endpoint]] = [
            (_named(app.endpoints, name), _named(without, lean))
            for name, lean in ((OURS_PREVIEW, HEADROOM_PREVIEW), (OURS_JSON, HEADROOM_JSON))
        ]
        for full, lean in pairs:
            for endpoint in (full, lean):
                # Ours is warm from the runs; the new server gets the warm-up the runs had.
                measured.append(load(endpoint, options, run=run, warm_up=endpoint is lean))
    return measured, run


def _named(endpoints: Sequence[Endpoint], name: str) -> Endpoint:
    return next(endpoint for endpoint in endpoints if endpoint.name == name)


def headroom_section(
    measured: Sequence[LoadResult], references: Sequence[LoadResult], run: int, families: list[str]
) -> str:
    """The round's part of the report: what each endpoint answered with and without the
    work, and the ratios to run `run`'s references."""
    lines = [
        "## Headroom: ours without the work each answer must do (an experiment)",
        "",
        "bench/headroom_app.py serves ours with the preview's explanation, and the JSON "
        "predict's log write and rate limit, taken out; everything else is ours as `make "
        "serve` runs it. Ours and that experiment were loaded one right after the other, "
        f"after run {run}; the references are run {run}'s. These ratios are no target: ours "
        "must do that work. They show how much of the distance to each bar it accounts for.",
        "",
        "| model | ours | taken out | req/s with | req/s without | reference | ratio with "
        "| ratio without | bar |",
        "|---|---|---|---:|---:|---|---:|---:|---:|",
    ]
    for family in families:
        for ours_name, lean_name, reference_name, same_family, bar in COMPARISONS:
            full = find(measured, ours_name, family, run)
            lean = find(measured, lean_name, family, run)
            reference = find(references, reference_name, family if same_family else "", run)
            if full is None or lean is None:
                continue
            lines.append(
                f"| {family} | {ours_name.removeprefix('ours: ')} | {TAKEN_OUT[ours_name]} "
                f"| {full.requests_per_second:,.0f} | {lean.requests_per_second:,.0f} "
                f"| {reference_name} | {ratio(full, reference):.2f}× "
                f"| {ratio(lean, reference):.2f}× | {bar:.2f}× |"
            )
    return "\n".join(lines) + "\n"
