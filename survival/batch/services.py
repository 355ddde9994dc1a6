"""Scores a whole CSV of passengers with one version: the rows that pass the feature
schema's rules are scored in one model call, the others are listed with their reasons."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ml_pipeline.constants import THRESHOLD
from ml_pipeline.errors import DataValidationError
from ml_pipeline.schema import TARGET
from survival.models import ModelVersion
from survival.registry import selectors
from survival.registry.artifacts import load_pipeline

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd


@dataclass(frozen=True)
class ScoredTable:
    """A CSV of passengers scored by one version.

    Attributes:
        version: the version that scored it.
        scored: one row per valid input row, in file order, indexed by file line number:
            PassengerId (only when the file has one), Survived (0/1), Probability (0–1).
        rejected: {file line number: [reasons]} for rows that could not be scored.
        outcomes: the file's true 0/1 outcomes for the scored rows, when it has a target
            column (Kaggle "Survived" or titanic3 "survived"); else None.
        total_rows: rows in the file.
        ids: the file's identifying columns (PassengerId, name) for every row, indexed by
            line number, under the file's own column names; no columns when it has none.
    """

    version: ModelVersion
    scored: pd.DataFrame
    rejected: dict[int, list[str]]
    outcomes: pd.Series | None
    total_rows: int
    ids: pd.DataFrame | None = None


# Columns that say which passenger a row is (titanic3 names, as read_csv_table gives them).
ID_COLUMNS = ("passengerid", "name")
# Rows scored per model call when progress is reported: small enough for a progress bar
# that moves, large enough that the calls cost nothing extra.
SCORING_CHUNK = 2_000

# Called with (rows scored so far, rows to score).
ScoringProgress = Callable[[int, int], None]


def passengers_score_csv(
    *,
    raw: bytes,
    source: str,
    version_number: int | None = None,
    progress: ScoringProgress | None = None,
) -> ScoredTable:
    """Validates and scores a CSV (titanic3 or Kaggle layout, with or without the target).

    Whole-file problems (not UTF-8, not CSV, missing columns, no rows) raise
    DataValidationError; bad rows are listed in `rejected` and the others are still scored.
    Raises ModelVersionNotFoundError / ModelUnavailableError like `model_version_resolve`.
    Nothing is logged: this is bulk scoring, not a visitor's prediction.
    """
    import pandas as pd

    from ml_pipeline.data import check_rows, missing_columns, read_csv_table

    version = selectors.model_version_resolve(number=version_number)
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
        given = table[TARGET].astype("string").str.strip()
        target = pd.to_numeric(given, errors="coerce")
        bad_target = given.notna() & (given != "") & ~target.isin([0, 1])
        for index in bad_target[bad_target].index:
            rejected.setdefault(int(index) + 2, []).append(f"column '{TARGET}' must be 0 or 1")
        valid &= ~bad_target
        rejected = dict(sorted(rejected.items()))
        # A file may carry outcomes for some rows only (e.g. a partly labelled file).
        known = target[valid]
        outcomes = known.astype(int) if known.notna().all() else None

    features = checked.features[valid]
    probabilities = _score_in_chunks(version=version, features=features, progress=progress)
    lines = features.index + 2
    scored = pd.DataFrame(index=pd.Index(lines, name="line"))
    if "passengerid" in table.columns:
        scored["PassengerId"] = table.loc[valid, "passengerid"].to_numpy()
    scored["Survived"] = [int(p >= THRESHOLD) for p in probabilities]
    scored["Probability"] = list(probabilities)
    if outcomes is not None:
        outcomes.index = lines
    return ScoredTable(
        version=version,
        scored=scored,
        rejected=rejected,
        outcomes=outcomes,
        total_rows=len(table),
        ids=_identifying_columns(table, raw=raw),
    )


def _score_in_chunks(
    *, version: ModelVersion, features: pd.DataFrame, progress: ScoringProgress | None
) -> list[float]:
    if not len(features):
        return []
    if progress is None:
        return list(score_passengers(version=version, features=features))
    probabilities: list[float] = []
    for start in range(0, len(features), SCORING_CHUNK):
        chunk = features.iloc[start : start + SCORING_CHUNK]
        probabilities.extend(score_passengers(version=version, features=chunk))
        progress(len(probabilities), len(features))
    return probabilities


def _identifying_columns(table: pd.DataFrame, *, raw: bytes) -> pd.DataFrame:
    """The id columns under the names the file's header gave them (Kaggle's "PassengerId",
    "Name"; titanic3's "name"), indexed by line number."""
    import csv
    import io

    from ml_pipeline.data import KAGGLE_COLUMNS

    first_line = raw.decode("utf-8-sig", errors="replace").splitlines()[0]
    header = next(csv.reader(io.StringIO(first_line)))
    spelled = {KAGGLE_COLUMNS.get(name, name): name for name in header}
    present = [name for name in ID_COLUMNS if name in table.columns]
    ids = table[present].rename(columns={name: spelled.get(name, name) for name in present})
    ids.index = table.index + 2
    return ids


def scored_table_to_csv(*, table: ScoredTable) -> bytes:
    """PassengerId (when the file has it), Survived (0/1), Probability: a Kaggle submission.
    Six decimals are finer than the model is."""
    return table.scored.to_csv(index=False, float_format="%.6f", lineterminator="\n").encode()


def score_passengers(*, version: ModelVersion, features: pd.DataFrame) -> np.ndarray:
    """Probabilities of survival for many passengers (schema columns, as from
    `schema.to_frame` or `data.check_rows`), in one model call. Nothing is logged."""
    return load_pipeline(version).predict_proba(features)[:, 1]
