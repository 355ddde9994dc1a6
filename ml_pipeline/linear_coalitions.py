"""A logistic regression's coalition rows, scored from the few rows its terms need.

The model's log-odds are its intercept plus coefficient × column, and each column the
preprocessing makes depends on a few inputs only ("female_class_1" on sex and class,
"log_fare" on the fare). Grouped by the inputs they read, the log-odds are a sum of
group parts, and a group's part in the row of (background row b, coalition S) is its part
in the row of (b, S ∩ group): the group cannot tell the two rows apart. So instead of the
up to 2^|d(b)| rows of each background row, the preprocessing computes only the rows of
S ∩ group for every group (a few dozen where there were hundreds), and every row's log-odds
are summed from those.

Which inputs a column reads is found once, when the version is first explained with, by
running the pipeline's own column functions (`ml_pipeline.features`) on columns that carry
the inputs they came from (`_Traced`): numpy's elementwise operations and `np.where` join
their operands' inputs; any other operation stops the analysis, and the model is then
scored row by row (`RowScorer`) instead. The imputers, the passthrough parts and the scaler
work column by column, each output column reading its own input column.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
from scipy.special import expit
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

from ml_pipeline.coalitions import (
    BackgroundGame,
    CoalitionScorer,
    Passenger,
    Plan,
    coalition_rows,
    subsets,
)
from ml_pipeline.features import Columns
from ml_pipeline.prepared_steps import (
    COLUMN_STEPS,
    TEXT_COLUMNS,
    Values,
    as_matrix,
    flagged_columns,
    prepare_transform,
    schema_columns,
    selected_columns,
)
from ml_pipeline.schema import FEATURE_NAMES, default_passenger

Inputs = frozenset[str]


class _Untraceable(Exception):
    """The preprocessing does something the dependency analysis does not follow."""


class _Traced(np.ndarray):
    """An array that knows which inputs its values were computed from."""

    inputs: Inputs = frozenset()

    def __array_finalize__(self, obj: Any) -> None:
        # Views and copies (astype) read what their source read.
        self.inputs = getattr(obj, "inputs", frozenset())

    def __array_ufunc__(self, ufunc: Any, method: str, *args: Any, **kwargs: Any) -> Any:
        if method != "__call__" or "out" in kwargs:
            # Reductions and accumulations mix rows; in-place results hide their sources.
            raise _Untraceable(f"{ufunc.__name__}.{method}")
        return _traced(ufunc(*_plain(args), **kwargs), _inputs_of(args))

    def __array_function__(self, func: Any, types: Any, args: Any, kwargs: Any) -> Any:
        if func is not np.where:
            raise _Untraceable(func.__name__)
        return _traced(func(*_plain(args), **kwargs), _inputs_of(args))


def _traced(values: Any, inputs: Inputs) -> Any:
    if not isinstance(values, np.ndarray):
        raise _Untraceable(type(values).__name__)
    traced = values.view(_Traced)
    traced.inputs = inputs
    return traced


def _plain(args: tuple[Any, ...]) -> list[Any]:
    return [arg.view(np.ndarray) if isinstance(arg, _Traced) else arg for arg in args]


def _inputs_of(args: tuple[Any, ...]) -> Inputs:
    inputs: set[str] = set()
    for arg in args:
        if isinstance(arg, _Traced):
            inputs |= arg.inputs
        elif isinstance(arg, np.ndarray) and arg.size > 1:
            # An array of other origin could hold anything.
            raise _Untraceable("an untraced array")
    return frozenset(inputs)


def column_inputs(transforms: list[Any]) -> dict[str, Inputs]:
    """For each column the fitted `transforms` make, the schema inputs it is computed from.
    Raises _Untraceable for a transform it does not follow."""
    reads: dict[str, Inputs] = {name: frozenset([name]) for name in FEATURE_NAMES}
    for step in transforms:
        if isinstance(step, FunctionTransformer) and step.func in COLUMN_STEPS:
            if step.inverse_func is not None or step.kw_args:
                raise _Untraceable("a FunctionTransformer with arguments")
            made = COLUMN_STEPS[step.func](_traced_columns(reads))
            reads = {name: _inputs_of((column,)) for name, column in made.items()}
        elif isinstance(step, ColumnTransformer):
            reads = _column_transformer_inputs(step, reads)
        elif isinstance(step, StandardScaler):
            continue
        else:
            raise _Untraceable(type(step).__name__)
    return reads


def _traced_columns(reads: Mapping[str, Inputs]) -> Columns:
    typical = default_passenger()
    columns: Columns = {}
    for name, inputs in reads.items():
        if name in TEXT_COLUMNS:
            values = np.empty(2, dtype=object)
            values[:] = typical[name]
        else:
            values = np.array([1.0, 2.0])
        columns[name] = _traced(values, inputs)
    return columns


def _column_transformer_inputs(
    transformer: ColumnTransformer, reads: Mapping[str, Inputs]
) -> dict[str, Inputs]:
    names = list(transformer.get_feature_names_out())
    made: dict[str, Inputs] = {}
    for part_name, part, columns in transformer.transformers_:
        if part == "drop":
            continue
        selected = selected_columns(transformer, columns)
        outputs = names[transformer.output_indices_[part_name]]
        identity = isinstance(part, FunctionTransformer) and part.func is None
        if part == "passthrough" or identity:
            sources = selected
        elif isinstance(part, SimpleImputer):
            sources = selected + [selected[i] for i in flagged_columns(part)]
        else:
            raise _Untraceable(type(part).__name__)
        if len(sources) != len(outputs):
            raise _Untraceable("a part whose columns do not match its inputs")
        made.update({out: reads[source] for out, source in zip(outputs, sources, strict=True)})
    return made


class LinearScorer(CoalitionScorer):
    """A fitted Pipeline of traceable transforms and a binary logistic regression."""

    def __init__(
        self,
        steps: list[Callable[[Values], Values]],
        order: list[str],
        reads: Mapping[str, Inputs],
        coefficients: np.ndarray,
        intercept: float,
    ) -> None:
        self._steps = steps
        self._order = order
        self._intercept = intercept
        self._needed: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        _, names = self._columns(schema_columns([default_passenger()]))
        self._groups, self._parts = _groups(names, reads, coefficients)
        self._ones = np.ones(len(self._groups))

    def _columns(self, rows: Columns) -> tuple[np.ndarray, list[str]]:
        values: Values = rows
        for step in self._steps:
            values = step(values)
        return as_matrix(values, self._order)

    def _rows_needed(self, differs: int) -> tuple[np.ndarray, np.ndarray]:
        """The coalitions S ∩ group (S ⊆ differs) whose rows are computed, and for each
        S ⊆ differs and group g, where its part is among theirs (position · groups + g)."""
        found = self._needed.get(differs)
        if found is None:
            within = subsets(differs)[:, None] & self._groups[None, :]
            needed = np.unique(within)
            groups = len(self._groups)
            found = (needed, np.searchsorted(needed, within) * groups + np.arange(groups))
            self._needed[differs] = found
        return found

    def scores(self, game: BackgroundGame, passenger: Passenger, plan: Plan) -> np.ndarray:
        which, taken, where = plan.scorers.get(self) or self._layout(plan)
        rows = coalition_rows(passenger.columns, game.columns, which, taken)
        matrix, _ = self._columns(rows)
        parts = (matrix @ self._parts).ravel()
        return expit(parts[where] @ self._ones + self._intercept)

    def _layout(self, plan: Plan) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The rows to compute for the plan (background row, coalition), and for each
        (b, S) row and group, where its part is among their parts (kept on the plan)."""
        needed = [self._rows_needed(mask) for mask in plan.differs.tolist()]
        counts = [len(rows) for rows, _ in needed]
        which = np.repeat(np.arange(len(counts)), counts)
        taken = np.concatenate([rows for rows, _ in needed])
        # Each block's positions count from where its rows start among all.
        groups = len(self._groups)
        starts = np.array([0, *itertools.accumulate(counts[:-1])]) * groups
        where = np.concatenate([where for _, where in needed])
        where += np.repeat(starts, [len(b.subsets) for b in plan.blocks])[:, None]
        plan.scorers[self] = (which, taken, where)
        return which, taken, where


def _groups(
    names: list[str], reads: Mapping[str, Inputs], coefficients: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The groups' input masks, and the matrix that sums a row's columns (`names`, in the
    model's order) by group. A column joins the first largest group that holds every input
    it reads: a group of fewer inputs would only ask for rows the larger one needs anyway."""
    masks = [sum(1 << FEATURE_NAMES.index(name) for name in reads[column]) for column in names]
    distinct = sorted(set(masks), key=lambda mask: (-bin(mask).count("1"), mask))
    groups = [
        mask for i, mask in enumerate(distinct) if not any(mask & ~o == 0 for o in distinct[:i])
    ]
    parts = np.zeros((len(names), len(groups)))
    for position, mask in enumerate(masks):
        group = next(g for g, outer in enumerate(groups) if mask & ~outer == 0)
        parts[position, group] = coefficients[position]
    return np.array(groups, dtype=np.int64), parts


def linear_scorer(pipeline: Any) -> LinearScorer | None:
    """The grouped scorer of a fitted Pipeline ending in a binary logistic regression, or
    None for any other model or a preprocessing step it cannot follow."""
    if not isinstance(pipeline, Pipeline) or len(pipeline.steps) < 2:
        return None
    *transforms, model = [step for _, step in pipeline.steps]
    if not isinstance(model, LogisticRegression) or model.coef_.shape[0] != 1:
        return None
    if list(model.classes_) != [0, 1]:
        return None
    try:
        reads = column_inputs(transforms)
    except _Untraceable:
        return None
    coefficients = np.asarray(model.coef_[0], dtype=float)
    intercept = float(model.intercept_[0])
    order = list(getattr(model, "feature_names_in_", []))
    if transforms and isinstance(transforms[-1], StandardScaler):
        # The log-odds of scaled columns, (z − mean) / scale · coef, are the unscaled
        # columns' with coef / scale, the intercept less mean · coef / scale.
        scaler = transforms.pop()
        if scaler.with_std:
            coefficients = coefficients / scaler.scale_
        if scaler.with_mean:
            intercept -= float(scaler.mean_ @ coefficients)
        order = list(getattr(scaler, "feature_names_in_", []))
    return LinearScorer(
        steps=[prepare_transform(step) for step in transforms],
        order=order,
        reads=reads,
        coefficients=coefficients,
        intercept=intercept,
    )
