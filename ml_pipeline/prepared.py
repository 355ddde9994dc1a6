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
  prepared path, averaged by the ensemble's own `predict_proba`;
- a calibrated model (sigmoid or isotonic, one calibrated copy per fold) keeps sklearn's own
  calibration code around members that answer through the quick path, the soft-voting
  ensemble included, so a calibrated ensemble is quick too.

Every number still comes from scikit-learn's fitted objects, and a test compares the
probabilities with the plain pipeline's on every bundled passenger (|difference| ≤ 1e-9).
A pipeline of any other shape is answered by the plain DataFrame path, and
`PreparedPipeline.reason` says why (the registry logs it once per version it loads). The
preprocessing steps are in `ml_pipeline.prepared_steps`.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import sklearn
from scipy.special import expit
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    RandomForestClassifier,
    VotingClassifier,
)
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

from ml_pipeline.coalitions import (
    BackgroundGame,
    CoalitionScorer,
    RowScorer,
    WeightedScorer,
)
from ml_pipeline.features import Columns
from ml_pipeline.linear_coalitions import linear_scorer
from ml_pipeline.prepared_steps import (
    Answer,
    NotPreparable,
    Values,
    as_matrix,
    prepare_transform,
    schema_columns,
    without_feature_names,
)
from ml_pipeline.schema import to_frame


class PreparedPipeline:
    """A fitted pipeline and its quick path.

    Attributes:
        pipeline: the fitted sklearn Pipeline, untouched; `predict_proba(frame)` still
            answers through it.
        quick: whether the quick path applies.
        reason: when it does not, which part of the pipeline it does not know ("" else).
    """

    def __init__(self, pipeline: Any) -> None:
        self.pipeline = pipeline
        self.reason = ""
        try:
            self._answer: Answer | None = _prepare(pipeline)
        except NotPreparable as exc:
            self._answer = None
            self.reason = str(exc) or type(pipeline).__name__
        self.quick = self._answer is not None
        # The backgrounds explained against, as given, and their prepared games (see
        # `background_game`).
        self._games: list[tuple[Sequence[Mapping[str, Any]], BackgroundGame]] = []

    def predict_proba(self, frame: pd.DataFrame) -> np.ndarray:
        """The pipeline's own answer for a schema frame (see `schema.to_frame`)."""
        return self.pipeline.predict_proba(frame)

    def survival_probabilities(
        self, passengers: Sequence[Mapping[str, Any]] | Columns
    ) -> np.ndarray:
        """P(survived) for each passenger (schema names → values; None or NaN is missing),
        or for passengers already as schema columns (see `prepared_steps.schema_columns`)."""
        if self._answer is None:
            return self.pipeline.predict_proba(to_frame(passengers))[:, 1]
        columns = passengers if isinstance(passengers, dict) else schema_columns(passengers)
        return _survival(self._answer, columns)

    def background_game(self, background: Sequence[Mapping[str, Any]]) -> BackgroundGame | None:
        """The explanation's game against `background`, prepared the first time it is asked
        for (a version's background is the same on every request); None without the quick
        path."""
        if self._answer is None:
            return None
        # The same list object comes back on every request (the registry keeps a version's
        # row per process): comparing it by identity first spares comparing 24 passengers.
        for given, game in self._games:
            if given is background:
                return game
        for _, game in self._games:
            if game.background == background:
                return game
        game = BackgroundGame(background, _coalition_scorer(self.pipeline, self))
        # A process serves a few versions; a handful of backgrounds is all it meets.
        self._games = [(background, game), *self._games[:7]]
        return game


def _coalition_scorer(pipeline: Any, prepared: PreparedPipeline) -> CoalitionScorer:
    """How the explanation scores coalition rows: a logistic regression from the few rows
    its column groups need, a soft-voting ensemble member by member (its probability is
    their weighted mean, row by row), any other model by scoring every distinct row."""
    steps = pipeline.steps if isinstance(pipeline, Pipeline) else []
    if len(steps) == 1 and isinstance(steps[0][1], VotingClassifier):
        voting = steps[0][1]
        members = [_member_scorer(member) for member in voting.estimators_]
        return WeightedScorer(members, voting._weights_not_none)
    return linear_scorer(pipeline) or RowScorer(prepared.survival_probabilities)


def _member_scorer(member: Any) -> CoalitionScorer:
    return linear_scorer(member) or RowScorer(functools.partial(_survival, _prepare(member)))


def _survival(answer: Answer, columns: Columns) -> np.ndarray:
    """P(survived) by a prepared answer. Passengers arrive validated (every number within
    its range), so sklearn's scan for infinities is skipped (NaN still means missing to the
    imputers), and so is the re-validation of the fitted objects' own parameters."""
    with sklearn.config_context(assume_finite=True, skip_parameter_validation=True):
        return answer(columns)[:, 1]


def _prepare(pipeline: Any) -> Answer:
    """A function from schema columns to the pipeline's predict_proba, or NotPreparable."""
    if not isinstance(pipeline, Pipeline) or not pipeline.steps:
        raise NotPreparable(f"a {type(pipeline).__name__} instead of a Pipeline")
    *transforms, (_, model) = pipeline.steps
    if not transforms:
        # Models that take the schema columns themselves: the ensemble, calibrated or not.
        if isinstance(model, VotingClassifier):
            return _prepared_voting(model).predict_proba
        if isinstance(model, CalibratedClassifierCV) and isinstance(
            model.estimator, VotingClassifier
        ):
            calibrated = _prepared_calibration(model, _prepared_voting)
            return lambda columns: calibrated.predict_proba(_Rows(columns))
    steps = [prepare_transform(step) for _, step in transforms]
    predict = _prepare_model(model)

    def answer(columns: Columns) -> np.ndarray:
        values: Values = columns
        for step in steps:
            values = step(values)
        return predict(values)

    return answer


class _Rows(dict):
    """Schema columns that say how many rows they hold, as sklearn's calibration code asks
    of its input (`_num_samples` reads `shape`)."""

    @property
    def shape(self) -> tuple[int, int]:
        return (len(next(iter(self.values()))), len(self))


def _prepared_voting(voting: VotingClassifier) -> VotingClassifier:
    """A copy of a fitted soft-voting ensemble whose members answer schema columns through
    their own prepared paths; its own predict_proba averages them (with its weights), as
    it does for the plain pipeline."""
    if voting.voting != "soft" or list(voting.classes_) != [0, 1]:
        raise NotPreparable("an ensemble that does not vote with probabilities")
    prepared = copy.copy(voting)
    prepared.estimators_ = [_PreparedMember(_prepare(member)) for member in voting.estimators_]
    return prepared


class _PreparedMember:
    """An ensemble member answering schema columns through its prepared path."""

    def __init__(self, answer: Answer) -> None:
        self._answer = answer

    def predict_proba(self, columns: Columns) -> np.ndarray:
        return self._answer(columns)


def _prepared_calibration(
    model: CalibratedClassifierCV, prepare_member: Callable[[Any], Any]
) -> CalibratedClassifierCV:
    """sklearn's own calibration code (each fold's calibrated copy, averaged) around members
    prepared by `prepare_member`."""
    if list(model.classes_) != [0, 1]:
        raise NotPreparable("a calibrated model of other classes than 0 and 1")
    prepared = copy.copy(model)
    prepared.calibrated_classifiers_ = []
    for classifier in model.calibrated_classifiers_:
        member = copy.copy(classifier)
        member.estimator = prepare_member(classifier.estimator)
        prepared.calibrated_classifiers_.append(member)
    # The column order is kept by the prepared path.
    prepared.__dict__.pop("feature_names_in_", None)
    return prepared


def _prepare_model(model: Any) -> Callable[[Values], np.ndarray]:
    order = list(getattr(model, "feature_names_in_", []))
    if isinstance(model, CalibratedClassifierCV):
        prepared = _prepared_calibration(model, _array_estimator)
    else:
        prepared = _array_estimator(model)
    if list(model.classes_) != [0, 1]:
        raise NotPreparable("a model of other classes than 0 and 1")

    def predict(values: Values) -> np.ndarray:
        matrix, _ = as_matrix(values, order)
        return prepared.predict_proba(matrix)

    return predict


def _array_estimator(model: Any) -> Any:
    """A fitted model that answers a plain array by position (a forest through its trees)."""
    if isinstance(model, RandomForestClassifier):
        return _QuickForest(model)
    if isinstance(model, LogisticRegression):
        return _QuickLogistic(model)
    if isinstance(model, HistGradientBoostingClassifier):
        return without_feature_names(model)
    raise NotPreparable(f"a {type(model).__name__} model")


class _QuickForest(RandomForestClassifier):
    """A fitted forest whose predict_proba calls its trees in a plain loop."""

    def __init__(self, forest: RandomForestClassifier) -> None:
        self.__dict__.update(without_feature_names(forest).__dict__)
        if self.n_outputs_ != 1:
            raise NotPreparable("a forest with several outputs")
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


class _QuickLogistic(LogisticRegression):
    """A fitted binary logistic regression answering an array by its fitted coefficients.

    The same operations as LogisticRegression's decision_function and predict_proba for two
    classes (the input times the coefficients plus the intercept; the logistic function in
    place, stacked with its complement), without the input validation and fitted-ness checks
    around them: half of a one-passenger call's time in sklearn's own. Calibration asks for
    the decision function, an ensemble for the probabilities."""

    def __init__(self, model: LogisticRegression) -> None:
        self.__dict__.update(without_feature_names(model).__dict__)
        if len(self.classes_) != 2 or self.coef_.shape[0] != 1:
            raise NotPreparable("a logistic regression of more than two classes")
        self._coef_t = self.coef_.T

    def decision_function(self, X: np.ndarray) -> np.ndarray:
        return (X @ self._coef_t + self.intercept_).reshape(-1)

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        scores = self.decision_function(X)
        expit(scores, out=scores)
        return np.stack([1 - scores, scores], axis=1)
