"""Scores a whole CSV of passengers with one version: the rows that pass the feature
schema's rules are scored in one model call, the others are listed with their reasons."""

from __future__ import annotations

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
    """

    version: ModelVersion
    scored: pd.DataFrame
    rejected: dict[int, list[str]]
    outcomes: pd.Series | None
    total_rows: int


def passengers_score_csv(
    *, raw: bytes, source: str, version_number: int | None = None
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
    probabilities = score_passengers(version=version, features=features) if len(features) else []
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
    )


def scored_table_to_csv(*, table: ScoredTable) -> bytes:
    """PassengerId (when the file has it), Survived (0/1), Probability: a Kaggle submission.
    Six decimals are finer than the model is."""
    return table.scored.to_csv(index=False, float_format="%.6f", lineterminator="\n").encode()


def score_passengers(*, version: ModelVersion, features: pd.DataFrame) -> np.ndarray:
    """Probabilities of survival for many passengers (schema columns, as from
    `schema.to_frame` or `data.check_rows`), in one model call. Nothing is logged."""
    return load_pipeline(version).predict_proba(features)[:, 1]
