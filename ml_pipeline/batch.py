"""Scoring a whole CSV of passengers: parsed and checked (`ml_pipeline.data`), the rows that
pass the feature schema's rules scored as numpy columns, the others listed with their
reasons. Imports no Django: `/batch`, its background job and `manage.py predict` call it
through `survival.batch.services` with a version's prepared pipeline, and the benchmark
calls it with the same kind of pipeline.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ml_pipeline.constants import THRESHOLD
from ml_pipeline.data import (
    KAGGLE_COLUMNS,
    DistinctValues,
    check_rows,
    missing_columns,
    read_csv_table,
)
from ml_pipeline.errors import DataValidationError
from ml_pipeline.features import Columns, frame_to_columns
from ml_pipeline.schema import TARGET

# Columns that say which passenger a row is (titanic3 names, as read_csv_table gives them).
ID_COLUMNS = ("passengerid", "name")
# Rows scored per model call when progress is reported: small enough for a progress bar
# that moves, large enough that the calls cost nothing extra.
SCORING_CHUNK = 2_000

# P(survived) for passengers given as schema columns, e.g. a prepared pipeline's
# `survival_probabilities`.
Score = Callable[[Columns], np.ndarray]
# Called with (rows scored so far, rows to score).
ScoringProgress = Callable[[int, int], None]


@dataclass(frozen=True)
class CsvScores:
    """A CSV of passengers, scored.

    Attributes:
        scored: one row per valid input row, in file order, indexed by file line number:
            PassengerId (only when the file has one), Survived (0/1), Probability (0–1).
        rejected: {file line number: [reasons]} for rows that could not be scored.
        outcomes: the file's true 0/1 outcomes for the scored rows, when it has a target
            column (Kaggle "Survived" or titanic3 "survived"); else None.
        total_rows: rows in the file.
        ids: the file's identifying columns (PassengerId, name) for every row, indexed by
            line number, under the file's own column names; no columns when it has none.
    """

    scored: pd.DataFrame
    rejected: dict[int, list[str]]
    outcomes: pd.Series | None
    total_rows: int
    ids: pd.DataFrame


def csv_score(
    raw: bytes, *, source: str, score: Score, progress: ScoringProgress | None = None
) -> CsvScores:
    """Validates and scores a CSV (titanic3 or Kaggle layout, with or without the target).

    Whole-file problems (not UTF-8, not CSV, missing columns, no rows) raise
    DataValidationError; bad rows are listed in `rejected` and the others are still scored
    by `score`, in one call, or with `progress` in calls of SCORING_CHUNK rows, each
    followed by `progress(rows scored, rows to score)`. `score` is not called when no row
    is valid.
    """
    table = read_csv_table(raw, source=source)
    missing = missing_columns(table, with_target=False)
    if missing:
        raise DataValidationError(f"{source}: missing required columns: {', '.join(missing)}.")
    if table.empty:
        raise DataValidationError(f"{source}: the file has a header but no rows.")
    checked = check_rows(table)
    valid = checked.valid
    rejected = checked.rejected_lines()
    outcomes = None
    if TARGET in table.columns:
        target, bad_target = _outcomes(table[TARGET])
        for index in bad_target[bad_target].index:
            rejected.setdefault(int(index) + 2, []).append(f"column '{TARGET}' must be 0 or 1")
        valid &= ~bad_target
        rejected = dict(sorted(rejected.items()))
        # A file may carry outcomes for some rows only (e.g. a partly labelled file).
        known = target[valid]
        outcomes = known.astype(int) if known.notna().all() else None

    features = checked.features[valid]
    probabilities = _score_in_chunks(frame_to_columns(features), score=score, progress=progress)
    lines = features.index + 2
    scored = pd.DataFrame(index=pd.Index(lines, name="line"))
    if "passengerid" in table.columns:
        scored["PassengerId"] = table.loc[valid, "passengerid"].to_numpy()
    scored["Survived"] = (probabilities >= THRESHOLD).astype(int)
    scored["Probability"] = probabilities
    if outcomes is not None:
        outcomes.index = lines
    return CsvScores(
        scored=scored,
        rejected=rejected,
        outcomes=outcomes,
        total_rows=len(table),
        ids=_identifying_columns(table, raw=raw),
    )


def _outcomes(column: pd.Series) -> tuple[pd.Series, pd.Series]:
    """The target column as numbers (NaN where empty or not a number) and where it is
    given but neither 0 nor 1; judged once per distinct value (see `DistinctValues`)."""
    distinct = DistinctValues.of(column)
    given = distinct.values.astype("string").str.strip()
    target = pd.to_numeric(given, errors="coerce")
    bad_target = given.notna() & (given != "") & ~target.isin([0, 1])
    return distinct.spread(target), distinct.spread(bad_target)


def _score_in_chunks(
    columns: Columns, *, score: Score, progress: ScoringProgress | None
) -> np.ndarray:
    rows = len(next(iter(columns.values())))
    if not rows:
        return np.empty(0)
    if progress is None:
        return np.asarray(score(columns), dtype=float)
    chunks: list[np.ndarray] = []
    for start in range(0, rows, SCORING_CHUNK):
        chunk = {name: values[start : start + SCORING_CHUNK] for name, values in columns.items()}
        chunks.append(np.asarray(score(chunk), dtype=float))
        progress(min(start + SCORING_CHUNK, rows), rows)
    return np.concatenate(chunks)


def _identifying_columns(table: pd.DataFrame, *, raw: bytes) -> pd.DataFrame:
    """The id columns under the names the file's header gave them (Kaggle's "PassengerId",
    "Name"; titanic3's "name"), indexed by line number."""
    import csv
    import io

    # The header is on the first line; decoding only up to its end spares splitting a
    # large file into lines to read one.
    end = raw.find(b"\n")
    first_line = raw[: end + 1 if end >= 0 else len(raw)].decode("utf-8-sig", errors="replace")
    header = next(csv.reader(io.StringIO(first_line.splitlines()[0])))
    spelled = {KAGGLE_COLUMNS.get(name, name): name for name in header}
    present = [name for name in ID_COLUMNS if name in table.columns]
    ids = table[present].rename(columns={name: spelled.get(name, name) for name in present})
    ids.index = table.index + 2
    return ids
