"""The quick path's preprocessing steps: a fitted pipeline's transforms, applied to numpy
columns the way their own `transform` would (see `ml_pipeline.prepared`).

A step is a function from values (named columns, or a matrix with its column names) to
values; `prepare_transform` makes one from a fitted transform or raises NotPreparable.
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import sklearn
from sklearn.base import BaseEstimator
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

from ml_pipeline.features import (
    Columns,
    add_derived_features,
    derived_columns,
    linear_term_columns,
    linear_terms,
    passenger_term_columns,
    passenger_terms,
)
from ml_pipeline.schema import FEATURE_NAMES, FEATURES, default_passenger

TEXT_COLUMNS = frozenset(
    f.name for f in FEATURES if f.kind == "category" and isinstance(f.choices[0][0], str)
)
# The pipelines' DataFrame steps and the functions they wrap (ml_pipeline.features).
COLUMN_STEPS: dict[Callable[..., Any], Callable[[Columns], Columns]] = {
    add_derived_features: derived_columns,
    passenger_terms: passenger_term_columns,
    linear_terms: linear_term_columns,
}
# Features with a short list of possible values, and what derived columns are made of. A
# part of a ColumnTransformer that reads only these is computed at load for every
# combination (by the part itself), so a request looks its rows up instead of calling it.
_FEW_VALUES: dict[str, tuple[Any, ...]] = {
    f.name: f.choice_values
    if f.kind == "category"
    else tuple(range(int(f.minimum), int(f.maximum) + 1))
    for f in FEATURES
    if f.kind == "category" or (f.kind == "integer" and f.maximum is not None)
}
LOOKUP_MAX_ROWS = 5000

# What flows between prepared steps: named columns, or a matrix with its column names.
Values = Columns | tuple[np.ndarray, list[str]]
Step = Callable[[Values], Values]
Answer = Callable[[Columns], np.ndarray]


class NotPreparable(Exception):
    """The pipeline has a shape the quick path does not know; the plain path answers. The
    message says which part."""


def schema_columns(passengers: Sequence[Mapping[str, Any]]) -> Columns:
    """The passengers as numpy columns, as `schema.to_frame` types them: numbers float64,
    text categories object; NaN when missing."""
    columns: Columns = {}
    for name in FEATURE_NAMES:
        values = [passenger.get(name) for passenger in passengers]
        if name in TEXT_COLUMNS:
            column = np.empty(len(values), dtype=object)
            column[:] = [np.nan if v is None else v for v in values]
        else:
            column = np.array([np.nan if v is None else v for v in values], dtype="float64")
        columns[name] = column
    return columns


def prepare_transform(step: Any) -> Step:
    if isinstance(step, FunctionTransformer):
        if step.inverse_func is not None or step.kw_args or step.func not in COLUMN_STEPS:
            raise NotPreparable(f"a FunctionTransformer of {step.func!r}")
        function = COLUMN_STEPS[step.func]
        return lambda values: function(as_columns(values))
    if isinstance(step, ColumnTransformer):
        return _prepare_column_transformer(step)
    if isinstance(step, StandardScaler):
        return _prepare_scaler(step)
    raise NotPreparable(f"a {type(step).__name__} step")


def _prepare_column_transformer(transformer: ColumnTransformer) -> Step:
    if transformer.sparse_output_:
        raise NotPreparable("a ColumnTransformer with sparse output")
    names = list(transformer.get_feature_names_out())
    as_frame = getattr(transformer, "_sklearn_output_config", {}).get("transform") == "pandas"
    parts: list[Callable[[Columns], np.ndarray]] = []
    # With named columns out, imputers and passthrough parts are applied column by column
    # (output name, input name, fitted statistic or None, whether it is a missing flag);
    # None once a part of another kind is met.
    by_column: list[tuple[str, str, float | None, bool]] | None = []
    for part_name, part, columns in transformer.transformers_:
        selected = selected_columns(transformer, columns)
        if part == "drop" or not selected:
            continue
        # A fitted "passthrough" is kept as an identity FunctionTransformer.
        identity = isinstance(part, FunctionTransformer) and part.func is None
        outputs = names[transformer.output_indices_[part_name]]
        if part == "passthrough" or identity:
            parts.append(_passthrough(selected))
            if by_column is not None:
                by_column += [
                    (out, name, None, False) for out, name in zip(outputs, selected, strict=True)
                ]
        elif isinstance(part, SimpleImputer):
            parts.append(_prepare_imputer(part, selected))
            if by_column is not None:
                filled = [
                    (name, float(statistic), False)
                    for name, statistic in zip(selected, part.statistics_, strict=True)
                ]
                flags = [(selected[i], None, True) for i in flagged_columns(part)]
                by_column += [
                    (out, *column) for out, column in zip(outputs, filled + flags, strict=True)
                ]
        else:
            parts.append(_Lookup(part, selected))
            by_column = None

    if as_frame and by_column is not None:
        return _column_by_column(by_column)

    def transform(values: Values) -> Values:
        columns = as_columns(values)
        matrix = np.hstack([part(columns) for part in parts])
        if as_frame:
            return dict(zip(names, matrix.T, strict=True))
        return matrix, names

    return transform


def _column_by_column(plan: list[tuple[str, str, float | None, bool]]) -> Step:
    """A ColumnTransformer of imputers and passthrough parts with named columns out: the
    numbers its parts give (`_prepare_imputer`, `_passthrough`), one column at a time,
    without stacking them into a matrix and taking it apart again."""

    def transform(values: Values) -> Values:
        columns = as_columns(values)
        made: Columns = {}
        for out, name, statistic, flag in plan:
            column = np.asarray(columns[name], dtype=float)
            if flag:
                made[out] = np.isnan(column).astype(float)
            elif statistic is None:
                made[out] = column
            else:
                made[out] = np.where(np.isnan(column), statistic, column)
        return made

    return transform


def flagged_columns(imputer: SimpleImputer) -> list[int]:
    """The positions, among its columns, of those a fitted imputer adds a missing flag for."""
    return list(imputer.indicator_.features_) if imputer.add_indicator else []


def selected_columns(transformer: ColumnTransformer, columns: Any) -> list[str]:
    """The names of the columns a part of a fitted ColumnTransformer reads, given by name or
    by position."""
    if len(columns) > 0 and all(isinstance(c, int | np.integer) for c in columns):
        inputs = transformer.feature_names_in_
        return [str(inputs[c]) for c in columns]
    return list(columns)


def _passthrough(selected: list[str]) -> Callable[[Columns], np.ndarray]:
    return lambda columns: stack_columns([columns[name] for name in selected])


def _prepare_imputer(imputer: SimpleImputer, selected: list[str]) -> Callable:
    """A fitted numeric imputer: NaN becomes the fitted statistic, and with `add_indicator`
    the flags of the columns its indicator tracks follow, as `SimpleImputer.transform`."""
    statistics = np.asarray(imputer.statistics_, dtype=float)
    if imputer.keep_empty_features or np.isnan(statistics).any():
        raise NotPreparable("an imputer keeping empty features")
    missing_values = imputer.missing_values
    if not (isinstance(missing_values, float) and np.isnan(missing_values)):
        raise NotPreparable("an imputer of values other than NaN")
    flagged = flagged_columns(imputer)
    if imputer.add_indicator and imputer.indicator_.features != "missing-only":
        raise NotPreparable("an imputer flagging every feature")

    def impute(columns: Columns) -> np.ndarray:
        raw = stack_columns([columns[name] for name in selected])
        missing = np.isnan(raw)
        filled = np.where(missing, statistics, raw)
        if flagged:
            return np.hstack([filled, missing[:, flagged].astype(float)])
        return filled

    return impute


class _Lookup:
    """A fitted part of a ColumnTransformer given its columns by position, with a table of
    its output rows when its inputs have few possible values (the table is the part's own
    output for every combination, computed at load in one call)."""

    def __init__(self, part: BaseEstimator, selected: list[str]) -> None:
        self.part = without_feature_names(part)
        self.selected = selected
        self.is_text = any(name in TEXT_COLUMNS for name in selected)
        self.table: dict[tuple[Any, ...], np.ndarray] = {}
        if not all(name in _FEW_VALUES for name in selected):
            return
        combinations = list(itertools.product(*(_FEW_VALUES[name] for name in selected)))
        if len(combinations) > LOOKUP_MAX_ROWS:
            return
        typical = default_passenger()
        rows = [{**typical, **dict(zip(selected, c, strict=True))} for c in combinations]
        columns = schema_columns(rows)
        keys = self._keys(columns)
        # Each output row depends on its input row only, so computing them all in one call
        # gives the numbers a call with that single row would.
        with sklearn.config_context(assume_finite=True):
            computed = self._compute(columns)
        self.table = dict(zip(keys, computed, strict=True))

    def __call__(self, columns: Columns) -> np.ndarray:
        if self.table:
            rows = [self.table.get(key) for key in self._keys(columns)]
            if all(row is not None for row in rows):
                return np.array(rows)
        # A value outside the table (a missing one, in data files) goes through the part.
        return self._compute(columns)

    def _keys(self, columns: Columns) -> list[tuple[Any, ...]]:
        return list(zip(*(columns[name].tolist() for name in self.selected), strict=True))

    def _compute(self, columns: Columns) -> np.ndarray:
        values = np.column_stack([columns[name] for name in self.selected])
        return self.part.transform(values if self.is_text else values.astype(float))


def _prepare_scaler(scaler: StandardScaler) -> Step:
    mean = scaler.mean_ if scaler.with_mean else None
    scale = scaler.scale_ if scaler.with_std else None
    order = list(getattr(scaler, "feature_names_in_", []))

    def transform(values: Values) -> Values:
        matrix, names = as_matrix(values, order)
        # The same in-place steps as StandardScaler.transform, on a copy.
        matrix = np.array(matrix, dtype=float)
        if mean is not None:
            matrix -= mean
        if scale is not None:
            matrix /= scale
        return matrix, names

    return transform


def stack_columns(columns: list[np.ndarray]) -> np.ndarray:
    """Columns side by side as a float matrix: the numbers `np.column_stack(...).astype(float)`
    gives, built in one call (a third of its time; the matrix is column-major, which no step
    minds)."""
    return np.array(columns, dtype=float).T


def as_columns(values: Values) -> Columns:
    if isinstance(values, dict):
        return values
    matrix, names = values
    return dict(zip(names, matrix.T, strict=True))


def as_matrix(values: Values, order: list[str]) -> tuple[np.ndarray, list[str]]:
    """A matrix in `order` (the next step's fitted column order) when it has one."""
    if isinstance(values, dict):
        names = order or list(values)
        return stack_columns([values[name] for name in names]), names
    matrix, names = values
    if order and order != names:
        positions = [names.index(name) for name in order]
        return matrix[:, positions], order
    return matrix, names


def without_feature_names(estimator: Any) -> Any:
    # Fitted on DataFrame columns, given the same values as an array by position, sklearn
    # would warn about the missing names on every call; the copy forgets the names (the
    # order is kept by the prepared path).
    estimator = copy.deepcopy(estimator)
    for step in estimator if isinstance(estimator, Pipeline) else [estimator]:
        if hasattr(step, "feature_names_in_"):
            del step.feature_names_in_
    return estimator
