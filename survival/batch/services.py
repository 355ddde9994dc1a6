"""Scores a whole CSV of passengers with one version: the rows that pass the feature
schema's rules are scored through the version's prepared pipeline, the others are listed with
their reasons (the parsing, checks and scoring are `ml_pipeline.batch.csv_score`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from survival.models import ModelVersion
from survival.registry import selectors
from survival.registry.artifacts import load_pipeline

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from ml_pipeline.batch import ScoringProgress
    from ml_pipeline.features import Columns


@dataclass(frozen=True)
class ScoredTable:
    """A CSV of passengers scored by one version: the version, and the fields of
    `ml_pipeline.batch.CsvScores` (what each holds is said there).
    """

    version: ModelVersion
    scored: pd.DataFrame
    rejected: dict[int, list[str]]
    outcomes: pd.Series | None
    total_rows: int
    ids: pd.DataFrame | None = None


def passengers_score_csv(
    *,
    raw: bytes,
    source: str,
    version_number: int | None = None,
    progress: ScoringProgress | None = None,
) -> ScoredTable:
    """Validates and scores a CSV (titanic3 or Kaggle layout, with or without the target).

    Whole-file problems (not UTF-8, not CSV, missing columns, no rows) raise
    DataValidationError; bad rows are listed in `rejected` and the others are still scored
    (with `progress`, in chunks; see `ml_pipeline.batch.csv_score`).
    Raises ModelVersionNotFoundError / ModelUnavailableError like `model_version_resolve`.
    Nothing is logged: this is bulk scoring, not a visitor's prediction.
    """
    from ml_pipeline.batch import csv_score

    version = selectors.model_version_resolve(number=version_number)

    def score(columns: Columns) -> np.ndarray:
        return score_passengers(version=version, columns=columns)

    scores = csv_score(raw, source=source, score=score, progress=progress)
    return ScoredTable(
        version=version,
        scored=scores.scored,
        rejected=scores.rejected,
        outcomes=scores.outcomes,
        total_rows=scores.total_rows,
        ids=scores.ids,
    )


def scored_table_to_csv(*, table: ScoredTable) -> bytes:
    """PassengerId (when the file has it), Survived (0/1), Probability: a Kaggle submission.
    Six decimals are finer than the model is."""
    return table.scored.to_csv(index=False, float_format="%.6f", lineterminator="\n").encode()


def score_passengers(*, version: ModelVersion, columns: Columns) -> np.ndarray:
    """Probabilities of survival for many passengers given as schema columns (as
    `features.frame_to_columns` makes them of `data.check_rows`' features), in one call of
    the version's prepared pipeline (the pipeline's own numbers, without building its
    DataFrames). Nothing is logged."""
    return load_pipeline(version).survival_probabilities(columns)
