"""Batch scoring of an uploaded CSV file: the checks before it is read and the summary shown
on /batch or the job's page. The scoring itself is batch.services.passengers_score_csv."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings

from ml_pipeline.errors import InputError

if TYPE_CHECKING:
    from survival.batch.services import ScoredTable

NO_FILE = "Choose a CSV file to upload."
NOT_CSV = "{name} is not a CSV file: choose a file whose name ends in .csv."
FILE_TOO_LARGE = "The file is {size:.1f} MB; files up to {limit:.0f} MB can be scored."
TOO_MANY_ROWS = "The file has {rows:,} rows; up to {limit:,} rows can be scored at once."

PREVIEW_ROWS = 10
# Enough for a person to find the pattern; the count says how many there are in all.
REJECTED_SHOWN = 50

MEGABYTE = 1024 * 1024


@dataclass(frozen=True)
class BatchSummary:
    """What the /batch page shows about one scored file.

    Attributes:
        version: the model version number that scored it.
        total_rows, scored_rows, rejected_rows: counts of data rows.
        survival_rate: share of scored rows predicted to survive (0–1), or None.
        accuracy, roc_auc: against the file's own outcomes, when it has them (ROC AUC
            needs both outcomes among the scored rows).
        preview: the first scored rows as dicts (line, PassengerId?, Survived, Probability).
        rejected: the first rejected rows as (line, reasons).
        has_passenger_id: whether the file has a PassengerId column.
    """

    version: int
    total_rows: int
    scored_rows: int
    rejected_rows: int
    survival_rate: float | None
    accuracy: float | None
    roc_auc: float | None
    preview: list[dict[str, Any]]
    rejected: list[tuple[int, list[str]]]
    has_passenger_id: bool

    @property
    def survival_percentage(self) -> float | None:
        return None if self.survival_rate is None else self.survival_rate * 100


def upload_check(*, name: str | None, size: int) -> None:
    """Refuses an upload that cannot be scored before it is read (no file, not .csv, too
    big): InputError naming the file field."""
    if name is None:
        raise InputError(NO_FILE, field="file", rule="required")
    if not name.lower().endswith(".csv"):
        raise InputError(NOT_CSV.format(name=name), field="file", rule="csv_only")
    if size > settings.BATCH_MAX_UPLOAD_BYTES:
        limit = settings.BATCH_MAX_UPLOAD_BYTES / MEGABYTE
        message = FILE_TOO_LARGE.format(size=size / MEGABYTE, limit=limit)
        raise InputError(message, field="file", rule="max_size")


def rows_check(*, raw: bytes) -> int:
    """Refuses files with too many rows before they are parsed; returns the row count.

    Counts lines after the header, so a quoted value spanning lines counts more than once;
    no passenger file has those.
    """
    rows = raw.rstrip(b"\r\n").count(b"\n")
    if rows > settings.BATCH_MAX_ROWS:
        message = TOO_MANY_ROWS.format(rows=rows, limit=settings.BATCH_MAX_ROWS)
        raise InputError(message, field="file", rule="max_rows")
    return rows


def scored_table_summarize(*, table: ScoredTable) -> BatchSummary:
    from sklearn.metrics import roc_auc_score

    scored = table.scored
    accuracy = roc_auc = None
    if table.outcomes is not None and len(scored):
        accuracy = float((scored["Survived"] == table.outcomes).mean())
        if table.outcomes.nunique() == 2:
            roc_auc = float(roc_auc_score(table.outcomes, scored["Probability"]))
    preview = [
        {"line": int(line), **row}
        for line, row in scored.head(PREVIEW_ROWS).to_dict(orient="index").items()
    ]
    return BatchSummary(
        version=table.version.version,
        total_rows=table.total_rows,
        scored_rows=len(scored),
        rejected_rows=len(table.rejected),
        survival_rate=float(scored["Survived"].mean()) if len(scored) else None,
        accuracy=accuracy,
        roc_auc=roc_auc,
        preview=preview,
        rejected=list(table.rejected.items())[:REJECTED_SHOWN],
        has_passenger_id="PassengerId" in scored.columns,
    )
