"""A fitted pipeline prepared once for quick answers about a few passengers.

Pushing one passenger through the saved sklearn Pipeline as a one-row pandas DataFrame costs
milliseconds: building the frame, the derived-feature steps working on DataFrames, the
ColumnTransformer selecting columns by name, and each public sklearn call checking its input.
The model's own arithmetic needs microseconds.

`PreparedPipeline` keeps the very same fitted objects and changes only how data reaches them:

- the passengers become numpy columns, and the derived-feature steps call the same functions
  the pipeline's FunctionTransformers call (`ml_pipeline.features`) on those columns;
- a ColumnTransformer's fitted parts are applied by position: a median imputer fills in its
  own fitted statistics, a categories part looks its output rows up in a table it computed
  itself at load (or is called, for a value outside the table);
- a StandardScaler applies its fitted mean and scale, as its `transform` does;
- the model is called as it is, on a numpy array in the column order it was fitted with.
  Two models get their own public per-member calls instead of their containers' glue: a
  random forest's trees are called one by one with `check_input=False` and averaged in the
  forest's order (the forest's own loop runs through joblib, which costs more than all the
  trees of one passenger), and a soft-voting ensemble's members each go through their own
  prepared path, averaged by the ensemble's own `predict_proba`.

Every number still comes from scikit-learn's fitted objects, and a test compares the
probabilities with the plain pipeline's on every bundled passenger (|difference| ≤ 1e-9).
A pipeline of any other shape is answered by the plain DataFrame path.
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import sklearn
from sklearn.base import BaseEstimator
from sklearn.calibration import CalibratedClassifierCV
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    RandomForestClassifier,
    VotingClassifier,
)
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

from ml_pipeline.features import (
    Columns,
    derived_columns,
    linear_term_columns,
    passenger_term_columns,
)
from ml_pipeline.schema import FEATURE_NAMES, FEATURES, default_passenger, to_frame
from ml_pipeline.training import add_derived_features, linear_terms, passenger_terms

_TEXT_COLUMNS = frozenset(
    f.name for f in FEATURES if f.kind == "category" and isinstance(f.choices[0][0], str)
)
# The pipelines' DataFrame steps and the functions they wrap (ml_pipeline.features).
_COLUMN_STEPS: dict[Callable[..., Any], Callable[[Columns], Columns]] = {
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
    """The pipeline has a shape the quick path does not know; the plain path answers."""


class PreparedPipeline:
    """A fitted pipeline and its quick path.

    Attributes:
        pipeline: the fitted sklearn Pipeline, untouched; `predict_proba(frame)` still
            answers through it.
        quick: whether the quick path applies.
    """

    def __init__(self, pipeline: Any) -> None:
        self.pipeline = pipeline
        try:
            self._answer: Answer | None = _prepare(pipeline)
        except NotPreparable:
            self._answer = None
        self.quick = self._answer is not None

    def predict_proba(self, frame: pd.DataFrame) -> np.ndarray:
        """The pipeline's own answer for a schema frame (see `schema.to_frame`)."""
        return self.pipeline.predict_proba(frame)

    def survival_probabilities(self, passengers: Sequence[Mapping[str, Any]]) -> np.ndarray:
        """P(survived) for each passenger (schema names → values; None or NaN is missing)."""
        if self._answer is None:
            return self.pipeline.predict_proba(to_frame(passengers))[:, 1]
        # Passengers arrive validated (every number within its range), so sklearn's scan for
        # infinities is skipped (NaN still means missing to the imputers), and so is the
        # re-validation of the fitted objects' own parameters.
        with sklearn.config_context(assume_finite=True, skip_parameter_validation=True):
            return self._answer(schema_columns(passengers))[:, 1]


def schema_columns(passengers: Sequence[Mapping[str, Any]]) -> Columns:
    """The passengers as numpy columns, as `schema.to_frame` types them: numbers float64,
    text categories object; NaN when missing."""
    columns: Columns = {}
    for name in FEATURE_NAMES:
        values = [passenger.get(name) for passenger in passengers]
        if name in _TEXT_COLUMNS:
            column = np.empty(len(values), dtype=object)
            column[:] = [np.nan if v is None else v for v in values]
        else:
            column = np.array([np.nan if v is None else v for v in values], dtype="float64")
        columns[name] = column
    return columns


# --- preparing a fitted pipeline ------------------------------------------------------------


def _prepare(pipeline: Any) -> Answer:
    """A function from schema columns to the pipeline's predict_proba, or NotPreparable."""
    if not isinstance(pipeline, Pipeline) or not pipeline.steps:
        raise NotPreparable
    *transforms, (_, model) = pipeline.steps
    if isinstance(model, VotingClassifier) and not transforms:
        return _prepare_voting(model)
    steps = [_prepare_transform(step) for _, step in transforms]
    predict = _prepare_model(model)

    def answer(columns: Columns) -> np.ndarray:
        values: Values = columns
        for step in steps:
            values = step(values)
        return predict(values)

    return answer


def _prepare_voting(voting: VotingClassifier) -> Answer:
    if voting.voting != "soft" or not list(voting.classes_) == [0, 1]:
        raise NotPreparable
    # A copy whose members answer through their own prepared paths; the ensemble's own
    # predict_proba averages them (with its weights), as it does for the plain pipeline.
    prepared = copy.copy(voting)
    prepared.estimators_ = [_PreparedMember(_prepare(member)) for member in voting.estimators_]
    return prepared.predict_proba


class _PreparedMember:
    """An ensemble member answering schema columns through its prepared path."""

    def __init__(self, answer: Answer) -> None:
        self._answer = answer

    def predict_proba(self, columns: Columns) -> np.ndarray:
        return self._answer(columns)


def _prepare_transform(step: Any) -> Step:
    if isinstance(step, FunctionTransformer):
        if step.inverse_func is not None or step.kw_args or step.func not in _COLUMN_STEPS:
            raise NotPreparable
        function = _COLUMN_STEPS[step.func]
        return lambda values: function(_as_columns(values))
    if isinstance(step, ColumnTransformer):
        return _prepare_column_transformer(step)
    if isinstance(step, StandardScaler):
        return _prepare_scaler(step)
    raise NotPreparable


def _prepare_column_transformer(transformer: ColumnTransformer) -> Step:
    if transformer.sparse_output_:
        raise NotPreparable
    inputs = list(transformer.feature_names_in_)
    names = list(transformer.get_feature_names_out())
    as_frame = getattr(transformer, "_sklearn_output_config", {}).get("transform") == "pandas"
    parts: list[Callable[[Columns], np.ndarray]] = []
    for _name, part, columns in transformer.transformers_:
        selected = [inputs[c] for c in columns] if _positions(columns) else list(columns)
        if part == "drop" or not selected:
            continue
        # A fitted "passthrough" is kept as an identity FunctionTransformer.
        identity = isinstance(part, FunctionTransformer) and part.func is None
        if part == "passthrough" or identity:
            parts.append(_passthrough(selected))
        elif isinstance(part, SimpleImputer):
            parts.append(_prepare_imputer(part, selected))
        else:
            parts.append(_Lookup(part, selected))

    def transform(values: Values) -> Values:
        columns = _as_columns(values)
        matrix = np.hstack([part(columns) for part in parts])
        if as_frame:
            return dict(zip(names, matrix.T, strict=True))
        return matrix, names

    return transform


def _positions(columns: Any) -> bool:
    return len(columns) > 0 and all(isinstance(c, int | np.integer) for c in columns)


def _passthrough(selected: list[str]) -> Callable[[Columns], np.ndarray]:
    return lambda columns: np.column_stack([columns[name] for name in selected]).astype(float)


def _prepare_imputer(imputer: SimpleImputer, selected: list[str]) -> Callable:
    """A fitted numeric imputer: NaN becomes the fitted statistic, and with `add_indicator`
    the flags of the columns its indicator tracks follow, as `SimpleImputer.transform`."""
    statistics = np.asarray(imputer.statistics_, dtype=float)
    if imputer.keep_empty_features or np.isnan(statistics).any():
        raise NotPreparable
    missing_values = imputer.missing_values
    if not (isinstance(missing_values, float) and np.isnan(missing_values)):
        raise NotPreparable
    flagged = list(imputer.indicator_.features_) if imputer.add_indicator else []
    if imputer.add_indicator and imputer.indicator_.features != "missing-only":
        raise NotPreparable

    def impute(columns: Columns) -> np.ndarray:
        raw = np.column_stack([columns[name] for name in selected]).astype(float)
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
        self.part = _without_feature_names(part)
        self.selected = selected
        self.is_text = any(name in _TEXT_COLUMNS for name in selected)
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
        matrix, names = _as_matrix(values, order)
        # The same in-place steps as StandardScaler.transform, on a copy.
        matrix = np.array(matrix, dtype=float)
        if mean is not None:
            matrix -= mean
        if scale is not None:
            matrix /= scale
        return matrix, names

    return transform


def _prepare_model(model: Any) -> Callable[[Values], np.ndarray]:
    order = list(getattr(model, "feature_names_in_", []))
    if isinstance(model, CalibratedClassifierCV):
        # sklearn's own calibration code, around members whose models take plain arrays.
        prepared = copy.copy(model)
        prepared.calibrated_classifiers_ = []
        for classifier in model.calibrated_classifiers_:
            member = copy.copy(classifier)
            member.estimator = _array_estimator(classifier.estimator)
            prepared.calibrated_classifiers_.append(member)
        # The column order is kept by `order`.
        prepared.__dict__.pop("feature_names_in_", None)
    else:
        prepared = _array_estimator(model)
    if list(model.classes_) != [0, 1]:
        raise NotPreparable

    def predict(values: Values) -> np.ndarray:
        matrix, _ = _as_matrix(values, order)
        return prepared.predict_proba(matrix)

    return predict


def _array_estimator(model: Any) -> Any:
    """A fitted model that answers a plain array by position (a forest through its trees)."""
    if isinstance(model, RandomForestClassifier):
        return _QuickForest(model)
    if isinstance(model, LogisticRegression | HistGradientBoostingClassifier):
        return _without_feature_names(model)
    raise NotPreparable


class _QuickForest(RandomForestClassifier):
    """A fitted forest whose predict_proba calls its trees in a plain loop."""

    def __init__(self, forest: RandomForestClassifier) -> None:
        self.__dict__.update(_without_feature_names(forest).__dict__)
        if self.n_outputs_ != 1:
            raise NotPreparable
        self._trees = [tree.tree_ for tree in self.estimators_]

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        # As RandomForestClassifier.predict_proba: the forest's input check (float32), each
        # tree's probabilities summed in the forest's order, divided by the number of trees.
        # Each tree answers through its fitted Tree structure, which is what the tree's own
        # predict_proba(X, check_input=False) returns once it has re-checked that it is
        # fitted (a third of the time of one tree).
        X = self._validate_X_predict(X)
        classes = self.n_classes_
        total = np.zeros((X.shape[0], classes), dtype=np.float64)
        for tree in self._trees:
            total += tree.predict(X)[:, :classes]
        total /= len(self._trees)
        return total


def _as_columns(values: Values) -> Columns:
    if isinstance(values, dict):
        return values
    matrix, names = values
    return dict(zip(names, matrix.T, strict=True))


def _as_matrix(values: Values, order: list[str]) -> tuple[np.ndarray, list[str]]:
    """A matrix in `order` (the next step's fitted column order) when it has one."""
    if isinstance(values, dict):
        names = order or list(values)
        return np.column_stack([values[name] for name in names]).astype(float), names
    matrix, names = values
    if order and order != names:
        positions = [names.index(name) for name in order]
        return matrix[:, positions], order
    return matrix, names


def _without_feature_names(estimator: Any) -> Any:
    # Fitted on DataFrame columns, given the same values as an array by position, sklearn
    # would warn about the missing names on every call; the copy forgets the names (the
    # order is kept by the prepared path).
    estimator = copy.deepcopy(estimator)
    for step in estimator if isinstance(estimator, Pipeline) else [estimator]:
        if hasattr(step, "feature_names_in_"):
            del step.feature_names_in_
    return estimator
