"""Loading and validating training data. Imports no Django.

Two layouts are accepted: titanic3 (lower-case names such as `pclass`, `survived`) and the
Kaggle `train.csv` layout (capitalised names, a `PassengerId` column). Either is turned into
the schema's columns plus the target; every problem found is reported with the column, the
rule and the first offending line numbers.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ml_pipeline.schema import FEATURES, TARGET, to_frame

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


class DataValidationError(ValueError):
    """The data cannot be used for training; the message says why, for a person to fix."""


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
    raw = csv_path.read_bytes()
    if not raw.strip():
        raise DataValidationError(f"{csv_path}: the file is empty.")
    try:
        table = pd.read_csv(csv_path, dtype=str, keep_default_na=False, na_values=[""])
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
        raise DataValidationError(f"{csv_path}: not a readable CSV file ({exc}).") from exc
    table = table.rename(columns=KAGGLE_COLUMNS)
    features, target = validate_table(table, source=str(csv_path))
    return Dataset(
        features=features,
        target=target,
        sha256=hashlib.sha256(raw).hexdigest(),
        rows=len(target),
        source=str(csv_path),
    )


def _lines(mask: pd.Series) -> str:
    # Line 1 is the header, so data row i (0-based) is on line i + 2.
    lines = [str(i + 2) for i in mask[mask].index[:MAX_LINES_SHOWN]]
    more = int(mask.sum()) - len(lines)
    return ", ".join(lines) + (f" and {more} more" if more > 0 else "")


def validate_table(table: pd.DataFrame, *, source: str) -> tuple[pd.DataFrame, pd.Series]:
    """Checks a table of strings against the schema; returns (features, target) or raises."""
    required = [TARGET, *(f.name for f in FEATURES)]
    missing = [name for name in required if name not in table.columns]
    if missing:
        raise DataValidationError(
            f"{source}: missing required columns: {', '.join(missing)} "
            f"(a titanic3 or Kaggle train.csv layout needs {', '.join(required)})."
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

    values: dict[str, pd.Series] = {}
    for feature in FEATURES:
        column = table[feature.name].str.strip()
        empty = column.isna() | (column == "")
        if empty.any() and not feature.missing_allowed_in_data:
            problems.append(f"column '{feature.name}' must not be empty (lines {_lines(empty)})")
        if feature.kind == "category":
            allowed = [str(value) for value in feature.choice_values]
            # Numeric categories may be written "1" or "1.0".
            numeric = pd.to_numeric(column, errors="coerce")
            as_text = column.where(numeric.isna(), numeric.map(_plain_number))
            bad = ~empty & ~as_text.isin(allowed)
            if bad.any():
                problems.append(
                    f"column '{feature.name}' must be one of {', '.join(allowed)} "
                    f"(lines {_lines(bad)})"
                )
            values[feature.name] = as_text.where(~empty)
        else:
            numbers = pd.to_numeric(column, errors="coerce")
            not_number = ~empty & numbers.isna()
            if not_number.any():
                kind = "a whole number" if feature.kind == "integer" else "a number"
                problems.append(
                    f"column '{feature.name}' must be {kind} (lines {_lines(not_number)})"
                )
                continue
            if feature.kind == "integer":
                fractional = numbers.notna() & (numbers % 1 != 0)
                if fractional.any():
                    problems.append(
                        f"column '{feature.name}' must be a whole number "
                        f"(lines {_lines(fractional)})"
                    )
            out_of_range = numbers.notna() & (
                (numbers < feature.minimum) | (numbers > feature.maximum)
            )
            if out_of_range.any():
                problems.append(
                    f"column '{feature.name}' must be between {_plain_number(feature.minimum)} "
                    f"and {_plain_number(feature.maximum)} (lines {_lines(out_of_range)})"
                )
            values[feature.name] = numbers
    if problems:
        raise DataValidationError(f"{source}: " + "; ".join(problems) + ".")

    frame = pd.DataFrame(values)
    for feature in FEATURES:
        if feature.kind == "category" and not isinstance(feature.choices[0][0], str):
            frame[feature.name] = pd.to_numeric(frame[feature.name])
    return to_frame(frame), target.astype(int).rename(TARGET)


def _plain_number(value: float) -> str:
    """1.0 → "1", 2.5 → "2.5"."""
    return f"{value:g}"
