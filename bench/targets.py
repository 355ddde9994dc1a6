"""The benchmark's targets and what each run measured of them: pure functions over the loads
and timings, no servers, so tests/test_bench.py checks them directly.

A target has a goal (what we aim at) and a bar (the least we accept); for most the two are
the same. It holds when its bar holds in every run: one good run out of three proves
nothing on a shared machine.
"""

from __future__ import annotations

import math
import operator
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from apps import CLASSIC, DJANGO_FLOOR, FLASK, FLOOR, OURS_JSON, OURS_PREVIEW
from wrk_load import LoadResult

PREVIEW_VS_CLASSIC = (1.0, 0.8)
JSON_VS_FLASK = (1.0, 0.8)
PREVIEW_VS_DJANGO_FLOOR = 0.5
# The tail at the benchmark's connections (8 by default): p99 at most this many p50s.
MAX_P99_OVER_P50 = 3.0
MAX_WORKER_RSS_MB = 250
MIN_BATCH_ROWS_PER_SECOND = 150_000
MAX_FIRST_REQUEST_SECONDS = 1.0
# The browser on loopback: a select changed → the new answer painted (median); the last key
# typed in a field → the answer painted (median; the form waits 150 ms for more keys).
MAX_SELECT_PAINT_MS = 30.0
MAX_TYPING_PAINT_MS = 250.0


@dataclass(frozen=True)
class Target:
    name: str
    unit: str
    goal: float
    bar: float
    higher_is_better: bool
    # One value per run (NaN where a run measured nothing); a single value when measured once.
    values: tuple[float, ...]

    def meets(self, value: float, limit: float) -> bool:
        if math.isnan(value):
            return False
        compare = operator.ge if self.higher_is_better else operator.le
        return compare(value, limit)

    @property
    def holds(self) -> bool:
        """The bar holds in every run."""
        return bool(self.values) and all(self.meets(value, self.bar) for value in self.values)

    @property
    def goal_met(self) -> bool:
        return bool(self.values) and all(self.meets(value, self.goal) for value in self.values)


def runs_of(loads: Sequence[LoadResult]) -> list[int]:
    return sorted({result.run for result in loads})


def find(loads: Sequence[LoadResult], name: str, model: str, run: int) -> LoadResult | None:
    return next(
        (r for r in loads if r.name == name and r.model == model and r.run == run),
        None,
    )


def ratio(ours: LoadResult | None, reference: LoadResult | None) -> float:
    if ours is None or reference is None or reference.requests_per_second == 0:
        return math.nan
    return ours.requests_per_second / reference.requests_per_second


def ratios_per_run(
    loads: Sequence[LoadResult], ours: tuple[str, str], reference: tuple[str, str]
) -> tuple[float, ...]:
    """req/s of `ours` ÷ req/s of `reference` in each run; each a (name, model family)."""
    return tuple(
        ratio(find(loads, *ours, run), find(loads, *reference, run)) for run in runs_of(loads)
    )


# The ratios table: (label, ours, reference, whether the reference serves the same family).
RATIOS = (
    ("htmx preview ÷ classic Django", OURS_PREVIEW, CLASSIC, True),
    ("JSON predict ÷ Flask", OURS_JSON, FLASK, True),
    ("JSON predict ÷ classic Django", OURS_JSON, CLASSIC, True),
    ("htmx preview ÷ empty Django view", OURS_PREVIEW, DJANGO_FLOOR, False),
    ("htmx preview ÷ bare WSGI", OURS_PREVIEW, FLOOR, False),
)


def ratio_rows(
    loads: Sequence[LoadResult], families: Sequence[str]
) -> list[tuple[str, str, tuple[float, ...]]]:
    """Every ratio of RATIOS for every family: (label, family, one value per run)."""
    rows = []
    for family in families:
        for label, ours, reference, same_family in RATIOS:
            reference_model = family if same_family else ""
            values = ratios_per_run(loads, (ours, family), (reference, reference_model))
            rows.append((label, family, values))
    return rows


def per_run(
    loads: Sequence[LoadResult], measure: Callable[[list[LoadResult]], float]
) -> tuple[float, ...]:
    """`measure` of our loads in each run (NaN for a run without any)."""
    values = []
    for run in runs_of(loads):
        ours = [r for r in loads if r.run == run and r.name.startswith("ours")]
        values.append(measure(ours) if ours else math.nan)
    return tuple(values)


def worst_tail(ours: list[LoadResult]) -> float:
    return max(r.p99_ms / r.p50_ms if r.p50_ms else math.inf for r in ours)


def largest_worker(ours: list[LoadResult]) -> float:
    return max((mb for r in ours for mb in r.worker_rss_mb), default=math.nan)


def targets(
    loads: Sequence[LoadResult],
    families: Sequence[str],
    batches: Sequence[dict[str, float]],
    browsers: Sequence[dict[str, float]],
    connections: int,
) -> list[Target]:
    """Every target, with what each run measured of it."""
    found: list[Target] = []
    for family in families:
        goal, bar = PREVIEW_VS_CLASSIC
        values = ratios_per_run(loads, (OURS_PREVIEW, family), (CLASSIC, family))
        found.append(
            Target(f"`{family}`: htmx preview ÷ classic Django", "×", goal, bar, True, values)
        )
        goal, bar = JSON_VS_FLASK
        values = ratios_per_run(loads, (OURS_JSON, family), (FLASK, family))
        found.append(Target(f"`{family}`: JSON predict ÷ Flask", "×", goal, bar, True, values))
        values = ratios_per_run(loads, (OURS_PREVIEW, family), (DJANGO_FLOOR, ""))
        floor = PREVIEW_VS_DJANGO_FLOOR
        found.append(
            Target(f"`{family}`: htmx preview ÷ empty Django view", "×", floor, floor, True, values)
        )
    tail = per_run(loads, worst_tail)
    found.append(
        Target(
            f"p99 ÷ p50 at {connections} connections (ours, worst endpoint)",
            "×",
            MAX_P99_OVER_P50,
            MAX_P99_OVER_P50,
            False,
            tail,
        )
    )
    errors = per_run(loads, lambda ours: float(sum(r.errors for r in ours)))
    found.append(Target("errors (ours)", "", 0, 0, False, errors))
    rss = per_run(loads, largest_worker)
    found.append(
        Target(
            "largest worker RSS after the load (ours)",
            " MB",
            MAX_WORKER_RSS_MB,
            MAX_WORKER_RSS_MB,
            False,
            rss,
        )
    )
    first = max((r.first_request_seconds for r in loads if r.name.startswith("ours")), default=0)
    found.append(
        Target(
            "first request after start (ours, slowest round)",
            " s",
            MAX_FIRST_REQUEST_SECONDS,
            MAX_FIRST_REQUEST_SECONDS,
            False,
            (first,),
        )
    )
    rows = tuple(batch["rows_per_second"] for batch in batches)
    found.append(
        Target(
            "batch scoring, in-process (CSV parsing + model)",
            " rows/s",
            MIN_BATCH_ROWS_PER_SECOND,
            MIN_BATCH_ROWS_PER_SECOND,
            True,
            rows,
        )
    )
    if browsers:
        select = tuple(browser["select_median_ms"] for browser in browsers)
        typing = tuple(browser["typing_median_ms"] for browser in browsers)
        found += [
            Target(
                "browser: select changed → answer painted (median)",
                " ms",
                MAX_SELECT_PAINT_MS,
                MAX_SELECT_PAINT_MS,
                False,
                select,
            ),
            Target(
                "browser: last key typed → answer painted (median)",
                " ms",
                MAX_TYPING_PAINT_MS,
                MAX_TYPING_PAINT_MS,
                False,
                typing,
            ),
        ]
    return found


def percentile(values: Sequence[float], share: float) -> float:
    """The value below which `share` of `values` lie (linear between neighbours)."""
    if not values:
        return math.nan
    if len(values) == 1:
        return float(values[0])
    return statistics.quantiles(values, n=100, method="inclusive")[round(share * 100) - 1]
