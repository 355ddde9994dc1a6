"""Loading and validating training data. Imports no Django.

Two layouts are accepted: titanic3 (lower-case names such as `pclass`, `survived`) and the
Kaggle `train.csv` layout (capitalised names, a `PassengerId` column). Either is turned into
the schema's columns plus the target; every problem found is reported with the column, the
rule and the first offending line numbers.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ml_pipeline.errors import DataValidationError
from ml_pipeline.schema import FEATURES, TARGET, Feature, to_frame

BUNDLED_DATA = Path(__file__).resolve().parent / "data" / "titanic3.csv"

# How each Kaggle column is called in titanic3.
KAGGLE_COLUMNS = {
    "PassengerId": "passengerid",
    "Survived": "survived",
    "Pclass": "pclass",
    "Name": "name",
    "Sex": "sex",
    "Age": "age",
    "SibSp": "sibsp",
    "Parch": "parch",
    "Ticket": "ticket",
    "Fare": "fare",
    "Cabin": "cabin",
    "Embarked": "embarked",
}

MAX_LINES_SHOWN = 5


@dataclass(frozen=True)
class Dataset:
    """Validated training data.

    Attributes:
        features: the schema's columns, in order (see `schema.to_frame`).
        target: 0/1 survival, aligned with `features`.
        sha256: hash of the file's bytes, recorded with every model version.
        rows: number of rows used.
        source: the file's path, for messages.
    """

    features: pd.DataFrame
    target: pd.Series
    sha256: str
    rows: int
    source: str


def load_dataset(path: str | Path | None = None) -> Dataset:
    """Reads and validates a CSV file; without a path, the bundled titanic3 data."""
    csv_path = Path(path) if path is not None else BUNDLED_DATA
    if not csv_path.is_file():
        raise DataValidationError(f"{csv_path}: no such file.")
    return parse_dataset(csv_path.read_bytes(), source=str(csv_path))


def parse_dataset(raw: bytes, *, source: str) -> Dataset:
    """Validates the bytes of a CSV file (an upload, or a file's content) as training data."""
    table = read_csv_table(raw, source=source)
    features, target = validate_table(table, source=source)
    return Dataset(
        features=features,
        target=target,
        sha256=hashlib.sha256(raw).hexdigest(),
        rows=len(target),
        source=source,
    )


def read_csv_table(raw: bytes, *, source: str) -> pd.DataFrame:
    """Parses CSV bytes into a table of strings with titanic3 column names.

    Kaggle's capitalised names are renamed; empty cells become missing values; the index is
    0..n-1, so row i is on line i + 2 of the file. Raises DataValidationError for an empty
    file, bytes that are not UTF-8 text, or text that is not CSV.
    """
    if not raw.strip():
        raise DataValidationError(f"{source}: the file is empty.")
    try:
        raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataValidationError(f"{source}: not UTF-8 text (byte {exc.start}).") from exc
    try:
        # The bytes, known to be UTF-8, go to the parser as they are: handing it the decoded
        # text makes it encode the text back to bytes first (a fifth of its time).
        table = pd.read_csv(
            io.BytesIO(raw),
            encoding="utf-8-sig",
            dtype=str,
            keep_default_na=False,
            na_values=[""],
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as exc:
        raise DataValidationError(f"{source}: not a readable CSV file ({exc}).") from exc
    return table.rename(columns=KAGGLE_COLUMNS).reset_index(drop=True)


def _lines(mask: pd.Series) -> str:
    # Line 1 is the header, so data row i (0-based) is on line i + 2.
    lines = [str(i + 2) for i in mask[mask].index[:MAX_LINES_SHOWN]]
    more = int(mask.sum()) - len(lines)
    return ", ".join(lines) + (f" and {more} more" if more > 0 else "")


@dataclass(frozen=True)
class RuleBreach:
    """Rows of one column that break one rule of the schema.

    Attributes:
        column: the column's name.
        rule: what the values must be, e.g. "must be a number".
        rows: boolean mask over the table's rows (True where the rule is broken).
    """

    column: str
    rule: str
    rows: pd.Series


@dataclass(frozen=True)
class CheckedRows:
    """A table of strings checked against the schema.

    Attributes:
        features: the schema's columns (see `schema.to_frame`); values that broke a rule
            are NaN, so use `valid` to pick the usable rows.
        breaches: every broken rule, with the rows that broke it.
    """

    features: pd.DataFrame
    breaches: list[RuleBreach]

    @property
    def valid(self) -> pd.Series:
        """True for rows that broke no rule."""
        valid = pd.Series(True, index=self.features.index)
        for breach in self.breaches:
            valid &= ~breach.rows
        return valid

    def rejected_lines(self) -> dict[int, list[str]]:
        """{file line number: ["column 'age' must be a number", …]} for every bad row."""
        rejected: dict[int, list[str]] = {}
        for breach in self.breaches:
            for index in breach.rows[breach.rows].index:
                rejected.setdefault(int(index) + 2, []).append(
                    f"column '{breach.column}' {breach.rule}"
                )
        return dict(sorted(rejected.items()))


def missing_columns(table: pd.DataFrame, *, with_target: bool) -> list[str]:
    required = [TARGET] if with_target else []
    required += [feature.name for feature in FEATURES]
    return [name for name in required if name not in table.columns]


def check_rows(table: pd.DataFrame) -> CheckedRows:
    """Checks each feature column of a table of strings (as read with dtype=str) row by row.

    The table must have the schema's columns (see `missing_columns`) and a 0-based
    RangeIndex, so that row i is on line i + 2 of its file. Empty cells are allowed where
    the schema allows missing values in data (the pipeline imputes them).
    """
    breaches: list[RuleBreach] = []
    values: dict[str, pd.Series] = {}
    for feature in FEATURES:
        distinct = DistinctValues.of(table[feature.name])
        broken, kept = _check_values(feature, distinct.values)
        for rule, mask in broken.items():
            # A rule no distinct value breaks is broken by no row.
            if mask.any():
                rows = distinct.spread(mask)
                if rows.any():
                    breaches.append(RuleBreach(feature.name, rule, rows))
        values[feature.name] = distinct.spread(kept)
    return CheckedRows(
        features=to_frame(pd.DataFrame(values, index=table.index)), breaches=breaches
    )


@dataclass(frozen=True)
class DistinctValues:
    """A column as its distinct values, and for each row the position of its value among
    them.

    A file of passengers holds few distinct values per column (three classes, a few hundred
    fares), so a check that looks at each value alone is run once per distinct value and
    spread to the rows: the same answers as running it on every row, in a fraction of the
    time (a large file's rows cost the parser's hashing, not a string operation each).

    Attributes:
        values: the distinct values, in order of first appearance, then one missing value
            (None) standing for the empty cells.
        positions: for each row, its value's position in `values` (-1, the last, when empty).
        index: the column's index, given to what is spread.
    """

    values: pd.Series
    positions: np.ndarray
    index: pd.Index

    @classmethod
    def of(cls, column: pd.Series) -> DistinctValues:
        positions, uniques = pd.factorize(column, use_na_sentinel=True)
        values = pd.Series([*np.asarray(uniques, dtype=object), None], dtype=object)
        return cls(values=values, positions=positions, index=column.index)

    def spread(self, computed: pd.Series) -> pd.Series:
        """A result per distinct value (aligned with `values`) as a result per row."""
        return computed.iloc[self.positions].set_axis(self.index)


def _check_values(feature: Feature, values: pd.Series) -> tuple[dict[str, pd.Series], pd.Series]:
    """The rules of `feature` each value breaks ({rule: mask}, in the order they are
    reported) and the values kept as the schema types them (NaN where a rule is broken).
    Each value is judged alone (see `DistinctValues`)."""
    broken: dict[str, pd.Series] = {}
    column = values.astype("string").str.strip()
    empty = column.isna() | (column == "")
    if not feature.missing_allowed_in_data:
        broken["must not be empty"] = empty
    if feature.kind == "category":
        allowed = [str(value) for value in feature.choice_values]
        text_choices = isinstance(feature.choices[0][0], str)
        as_text = column
        if not text_choices:
            # Numeric categories may be written "1" or "1.0": each number is spelled once.
            numeric = pd.to_numeric(column, errors="coerce")
            spelled = {number: _plain_number(number) for number in numeric.dropna().unique()}
            as_text = column.where(numeric.isna(), numeric.map(spelled))
        bad = ~empty & ~as_text.isin(allowed)
        broken[f"must be one of {', '.join(allowed)}"] = bad
        kept = as_text.where(~empty & ~bad)
        if not text_choices:
            kept = kept.map(dict(zip(allowed, feature.choice_values, strict=True)))
        return broken, kept
    numbers = pd.to_numeric(column, errors="coerce")
    kind = "a whole number" if feature.kind == "integer" else "a number"
    bad = ~empty & (numbers.isna() | ~np.isfinite(numbers.fillna(0)))
    if feature.kind == "integer":
        bad |= numbers.notna() & (numbers % 1 != 0)
    broken[f"must be {kind}"] = bad
    out_of_range = (
        ~bad & numbers.notna() & ((numbers < feature.minimum) | (numbers > feature.maximum))
    )
    low, high = _plain_number(feature.minimum), _plain_number(feature.maximum)
    broken[f"must be between {low} and {high}"] = out_of_range
    return broken, numbers.where(~bad & ~out_of_range)


def validate_table(table: pd.DataFrame, *, source: str) -> tuple[pd.DataFrame, pd.Series]:
    """Checks a table of strings for training; returns (features, target) or raises with
    every problem, naming the column, the rule and the first lines that break it."""
    missing = missing_columns(table, with_target=True)
    if missing:
        needed = ", ".join([TARGET, *(f.name for f in FEATURES)])
        raise DataValidationError(
            f"{source}: missing required columns: {', '.join(missing)} "
            f"(a titanic3 or Kaggle train.csv layout needs {needed})."
        )
    if table.empty:
        raise DataValidationError(f"{source}: the file has a header but no rows.")
    table = table.reset_index(drop=True)

    problems: list[str] = []
    target = pd.to_numeric(table[TARGET], errors="coerce")
    bad_target = ~target.isin([0, 1])
    if bad_target.any():
        problems.append(f"column '{TARGET}' must be 0 or 1 (lines {_lines(bad_target)})")
    elif target.nunique() < 2:
        problems.append(f"column '{TARGET}' has only one class; training needs both 0 and 1")
    checked = check_rows(table)
    for breach in checked.breaches:
        problems.append(f"column '{breach.column}' {breach.rule} (lines {_lines(breach.rows)})")
    if problems:
        raise DataValidationError(f"{source}: " + "; ".join(problems) + ".")
    return checked.features, target.astype(int).rename(TARGET)


def _plain_number(value: float) -> str:
    """1.0 → "1", 2.5 → "2.5"."""
    return f"{value:g}"
