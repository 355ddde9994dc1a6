"""How the registry's admin shows what a version records: numbers to three decimals, and the
JSON fields (parameters, metrics, the search, the held-out details…) as nested tables a
person can read, with the exact JSON kept one click away in a disclosure."""

from __future__ import annotations

import json
from typing import Any

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

# A list longer than this shows its first items and its length; the disclosure holds all.
LIST_PREVIEW = 8
ROWS_PREVIEW = 12
NOTHING = "—"


def number_text(value: float | None) -> str:
    """A probability or metric as the admin shows it: three decimals, or a dash."""
    return NOTHING if value is None else f"{value:.3f}"


def scalar_text(value: Any) -> str:
    """One JSON value as text: floats to three decimals, whole numbers as they are."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        # A tolerance of 0.0001 is not 0.000: tiny values keep three significant digits.
        return f"{value:.3g}" if 0 < abs(value) < 0.001 else number_text(value)
    return str(value)


def _mean_std(value: Any) -> str | None:
    """A cross-validated metric ({"mean", "std"}) as "0.861 ± 0.010"; None for anything else."""
    if isinstance(value, dict) and set(value) == {"mean", "std"}:
        return f"{scalar_text(value['mean'])} ± {scalar_text(value['std'])}"
    return None


def _scalar_list(values: list[Any]) -> SafeString:
    shown = ", ".join(scalar_text(value) for value in values[:LIST_PREVIEW])
    if len(values) <= LIST_PREVIEW:
        return format_html("{}", shown)
    return format_html("{}, … ({} values in all)", shown, len(values))


def _record_table(rows: list[dict[str, Any]]) -> SafeString:
    """A list of objects as one table, a column per key (in order of first appearance)."""
    columns = list(dict.fromkeys(key for row in rows for key in row))
    head = format_html_join("", '<th scope="col">{}</th>', ((column,) for column in columns))
    body = format_html_join(
        "",
        "<tr>{}</tr>",
        (
            (format_html_join("", "<td>{}</td>", ((value_html(row.get(c)),) for c in columns)),)
            for row in rows[:ROWS_PREVIEW]
        ),
    )
    more = ""
    if len(rows) > ROWS_PREVIEW:
        more = format_html(
            '<p class="json-more">The first {} of {} rows; the raw JSON holds all.</p>',
            ROWS_PREVIEW,
            len(rows),
        )
    return format_html(
        '<table class="json-table"><thead><tr>{}</tr></thead><tbody>{}</tbody></table>{}',
        head,
        body,
        more,
    )


def _same_shape(value: dict[str, Any]) -> bool:
    """Whether an object's entries are two or more objects with the same keys."""
    items = list(value.values())
    return (
        len(items) > 1
        and all(isinstance(item, dict) and item for item in items)
        and all(set(item) == set(items[0]) for item in items)
        and _mean_std(items[0]) is None
    )


def value_html(value: Any) -> SafeString:
    """Any JSON value as HTML: an object as a table of its keys, a list of objects as a
    table of rows, a list of plain values on one line, a plain value as text."""
    summary = _mean_std(value)
    if summary is not None:
        return format_html("{}", summary)
    if isinstance(value, dict) and _same_shape(value):
        # Like candidates' metrics: one row per entry, the shared keys as columns.
        return _record_table([{"": key, **item} for key, item in value.items()])
    if isinstance(value, dict):
        if not value:
            return format_html("{}", NOTHING)
        rows = format_html_join(
            "",
            '<tr><th scope="row">{}</th><td>{}</td></tr>',
            ((key, value_html(item)) for key, item in value.items()),
        )
        return format_html('<table class="json-table"><tbody>{}</tbody></table>', rows)
    if isinstance(value, list):
        if not value:
            return format_html("{}", NOTHING)
        if all(isinstance(item, dict) for item in value):
            return _record_table(value)
        return _scalar_list(value)
    return format_html("{}", scalar_text(value))


def json_field_html(value: Any) -> SafeString:
    """A JSON field on a version's page: the readable table, then the exact JSON behind a
    disclosure (closed by default: some fields run to thousands of lines)."""
    raw = json.dumps(value, indent=2, ensure_ascii=False)
    return format_html(
        '{}<details class="raw-json"><summary>Raw JSON</summary><pre>{}</pre></details>',
        value_html(value),
        raw,
    )
