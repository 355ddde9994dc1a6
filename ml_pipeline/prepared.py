"""A fitted pipeline prepared once for quick answers about a few passengers.

Pushing one passenger through the saved sklearn Pipeline as a one-row pandas DataFrame costs
milliseconds, nearly all of it pandas: building the frame, the derived-columns step, and the
ColumnTransformer selecting columns by name. The model itself needs microseconds.

`PreparedPipeline` keeps the very same fitted objects and only changes how data reaches them:
the passengers become one numpy table, each of the ColumnTransformer's fitted parts gets its
columns by position, and the steps after it (and the model) are called as they are. Every
number still comes from scikit-learn's own code, so the probabilities are the pipeline's
(a test compares them on every bundled passenger). A pipeline of another shape is answered
by the plain DataFrame path.
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import sklearn
from sklearn.base import BaseEstimator
from sklearn.compose import ColumnTransformer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer

from ml_pipeline.schema import FEATURE_NAMES, FEATURES, default_passenger, to_frame
from ml_pipeline.training import DERIVED_COLUMNS, add_derived_features

# The numpy table's columns: the schema's, then the derived ones (as add_derived_features).
TABLE_COLUMNS: tuple[str, ...] = (*FEATURE_NAMES, *DERIVED_COLUMNS)
_TEXT_COLUMNS = frozenset(
    f.name for f in FEATURES if f.kind == "category" and isinstance(f.choices[0][0], str)
)
_POSITION = {name: position for position, name in enumerate(TABLE_COLUMNS)}
# Features with a short list of possible values, and what the derived columns are made of.
# A part of the pipeline that reads only these is computed at load for every combination
# (by the part itself), so a request looks its rows up instead of calling it.
_FEW_VALUES: dict[str, tuple[Any, ...]] = {
    f.name: f.choice_values
    if f.kind == "category"
    else tuple(range(int(f.minimum), int(f.maximum) + 1))
    for f in FEATURES
    if f.kind == "category" or (f.kind == "integer" and f.maximum is not None)
}
_DERIVED_FROM = {"family_size": ("sibsp", "parch"), "fare_per_person": ("sibsp", "parch", "fare")}
LOOKUP_MAX_ROWS = 5000


class PreparedPipeline:
    """A fitted pipeline and its quick path.

    Attributes:
        pipeline: the fitted sklearn Pipeline, untouched; `predict_proba(frame)` still
            answers through it.
        quick: whether the quick path applies (the pipeline has the shape training builds).
    """

    def __init__(self, pipeline: Any) -> None:
        self.pipeline = pipeline
        self._parts: list[_Part] = []
        self._after: list[BaseEstimator] = []
        self.quick = self._prepare()

    def predict_proba(self, frame: pd.DataFrame) -> np.ndarray:
        """The pipeline's own answer for a schema frame (see `schema.to_frame`)."""
        return self.pipeline.predict_proba(frame)

    def survival_probabilities(self, passengers: Sequence[Mapping[str, Any]]) -> np.ndarray:
        """P(survived) for each passenger (schema names → values; None or NaN is missing)."""
        if not self.quick:
            return self.pipeline.predict_proba(to_frame(passengers))[:, 1]
        table = _table(passengers)
        # Passengers arrive validated (every number within its range), so sklearn's scan for
        # infinities is skipped; NaN still means missing to the imputers.
        with sklearn.config_context(assume_finite=True):
            blocks = [part.transform(table) for part in self._parts]
            values = np.hstack(blocks) if len(blocks) > 1 else blocks[0]
            for step in self._after[:-1]:
                values = step.transform(values)
            return self._after[-1].predict_proba(values)[:, 1]

    def _prepare(self) -> bool:
        steps = getattr(self.pipeline, "steps", None)
        if not steps or len(steps) < 3:
            return False
        (_, derive), (_, features), *after = steps
        if not (
            isinstance(derive, FunctionTransformer)
            and derive.func is add_derived_features
            and isinstance(features, ColumnTransformer)
            and features.remainder == "drop"
            and not features.sparse_output_
        ):
            return False
        for name, part, columns in features.transformers_:
            if name == "remainder" or part == "drop":
                continue
            if part == "passthrough" or not all(c in _POSITION for c in columns):
                return False
            # The parts were fitted on DataFrame columns; given the same values as an array
            # by position, they would warn about the missing names on every call.
            self._parts.append(_Part(_without_feature_names(part), list(columns)))
        self._after = [step for _, step in after]
        return bool(self._parts)


class _Part:
    """One fitted part of the ColumnTransformer, given its columns by position; with a
    lookup table of its output rows when its inputs have few possible values."""

    def __init__(self, estimator: BaseEstimator, columns: list[str]) -> None:
        self.estimator = estimator
        self.columns = [_POSITION[c] for c in columns]
        self.is_text = any(c in _TEXT_COLUMNS for c in columns)
        self.lookup: dict[tuple[Any, ...], np.ndarray] = {}
        sources = sorted({s for c in columns for s in _DERIVED_FROM.get(c, (c,))})
        if not all(s in _FEW_VALUES for s in sources):
            return
        combinations = list(itertools.product(*(_FEW_VALUES[s] for s in sources)))
        if len(combinations) > LOOKUP_MAX_ROWS:
            return
        typical = default_passenger()
        table = _table([{**typical, **dict(zip(sources, c, strict=True))} for c in combinations])
        # Each output row depends on its input row only, so computing them all in one call
        # gives the numbers a call with that single row would.
        with sklearn.config_context(assume_finite=True):
            rows = self._compute(table)
        self.lookup = {
            tuple(key): row for key, row in zip(table[:, self.columns], rows, strict=True)
        }

    def transform(self, table: np.ndarray) -> np.ndarray:
        if self.lookup:
            rows = [self.lookup.get(tuple(key)) for key in table[:, self.columns]]
            if all(row is not None for row in rows):
                return np.array(rows)
        # A value outside the table (a missing one, in data files) goes through the part.
        return self._compute(table)

    def _compute(self, table: np.ndarray) -> np.ndarray:
        values = table[:, self.columns]
        return self.estimator.transform(values if self.is_text else values.astype(float))


def _table(passengers: Sequence[Mapping[str, Any]]) -> np.ndarray:
    """The passengers as an object array in TABLE_COLUMNS order: numbers as floats (NaN when
    missing), text categories as str (NaN when missing), plus the derived columns."""
    table = np.empty((len(passengers), len(TABLE_COLUMNS)), dtype=object)
    for row, passenger in enumerate(passengers):
        for position, name in enumerate(FEATURE_NAMES):
            value = passenger.get(name)
            missing = value is None or (isinstance(value, float) and value != value)
            if name in _TEXT_COLUMNS:
                table[row, position] = np.nan if missing else value
            else:
                table[row, position] = np.nan if missing else float(value)
    numbers = {name: table[:, _POSITION[name]].astype(float) for name in ("sibsp", "parch", "fare")}
    # The same arithmetic as add_derived_features, on arrays instead of Series.
    family_size = np.nan_to_num(numbers["sibsp"], nan=0.0) + np.nan_to_num(numbers["parch"]) + 1
    table[:, _POSITION["family_size"]] = family_size
    table[:, _POSITION["fare_per_person"]] = numbers["fare"] / family_size
    return table


def _without_feature_names(part: BaseEstimator) -> BaseEstimator:
    part = copy.deepcopy(part)
    for step in part if isinstance(part, Pipeline) else [part]:
        if hasattr(step, "feature_names_in_"):
            del step.feature_names_in_
    return part
