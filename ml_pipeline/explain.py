"""Why a passenger got their probability: exact Shapley values, additive by construction.

The explanation starts from a baseline, the model's mean probability over a fixed background
sample of training passengers, and gives every input a contribution in probability so that

    baseline + sum of the contributions = the passenger's probability

exactly (to float rounding). The contributions are the inputs' interventional Shapley
values: for a set S of inputs, v(S) is the model's mean probability over the background
passengers when each takes the explained passenger's values for the inputs in S and keeps
its own for the others. v(no input) is the baseline, v(every input) is the passenger's own
probability, and each input's contribution is its Shapley-weighted average of
v(S with it) − v(S without it) over the 2^7 = 128 sets of the other inputs. With seven inputs
this is computed exactly, no sampling, from 128 × K rows per passenger (K background
passengers).

A prepared pipeline (`PreparedPipeline.background_game`) explains against a background it
prepared once, one passenger at a time, computing only what the rows differ in
(`ml_pipeline.coalitions`; a logistic regression from its column groups,
`ml_pipeline.linear_coalitions`). Any other model gets the plain method here: the rows, the
ones that coincide counted once, built as numpy columns and scored in one batched model
call. Both give the same numbers (tests/test_explanation_paths.py, to 1e-9).

The background is chosen once, when the model is trained (`explanation_background`), and
stored with the version, so the same passenger always gets the same explanation from it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ml_pipeline.coalitions import SHAPLEY_WEIGHTS
from ml_pipeline.schema import FEATURE_NAMES, FEATURES, to_frame

if TYPE_CHECKING:
    import pandas as pd

    from ml_pipeline.features import Columns

# How many training passengers the baseline averages over. An explained passenger costs
# up to 128 × this many rows (far fewer are computed: see `ml_pipeline.coalitions`). Measured on
# the bundled data against a background of 400: with 24 a contribution is within about 2–3
# points of its value there, with 50 barely closer at twice the cost, with 16 up to 3.5
# (bench/explanation_cost.py times it per algorithm).
BACKGROUND_SIZE = 24

# Passengers explained in one model call by the plain method: a call's rows (up to 128 ×
# background each) stay within a few megabytes however many passengers a batch holds.
PASSENGERS_PER_CALL = 32

INPUTS = len(FEATURES)
# Row m says which inputs coalition m takes from the explained passenger (bit i = input i).
COALITIONS = np.array(
    [[bool(m >> i & 1) for i in range(INPUTS)] for m in range(2**INPUTS)], dtype=bool
)
EMPTY, FULL = 0, 2**INPUTS - 1


@dataclass(frozen=True)
class Contribution:
    """One input's push on the probability.

    Attributes:
        feature: the schema name.
        label: its human label.
        value: the passenger's value, in words ("Female", "3rd class (lower)", "8").
        points: its Shapley value in percentage points (positive raised the probability).
    """

    feature: str
    label: str
    value: str
    points: float

    @property
    def direction(self) -> str:
        return "raised" if self.points > 0 else "lowered"


@dataclass(frozen=True)
class Explanation:
    """A passenger's probability taken apart.

    Attributes:
        probability: the model's P(survived) for the passenger, 0–1.
        baseline: the model's mean P(survived) over the background passengers, 0–1.
        contributions: every input's, largest push first; baseline × 100 plus their points
            is probability × 100.
    """

    probability: float
    baseline: float
    contributions: list[Contribution]


# (feature, a choice's text) → the choice's label.
_CHOICE_LABELS = {
    (feature.name, str(choice)): label for feature in FEATURES for choice, label in feature.choices
}


def describe_value(feature_name: str, value: Any) -> str:
    """A value as a person reads it: the choice's label, or the number without ".0"."""
    label = _CHOICE_LABELS.get((feature_name, str(value)))
    if label is not None:
        return label
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def explain(
    pipeline: Any, passenger: Mapping[str, Any], background: Sequence[Mapping[str, Any]]
) -> Explanation:
    """The passenger's probability, the baseline and every input's contribution."""
    return explain_many(pipeline, [passenger], background)[0]


def explain_many(
    pipeline: Any,
    passengers: Sequence[Mapping[str, Any]],
    background: Sequence[Mapping[str, Any]],
) -> list[Explanation]:
    """`explain` for many passengers: through a prepared pipeline's background game one by
    one; by the plain method in one model call per `PASSENGERS_PER_CALL` (passenger by
    passenger, coalition by coalition, background row by background row, the rows are
    stacked as columns and scored at once)."""
    if not background:
        raise ValueError("an explanation needs at least one background passenger")
    game = getattr(pipeline, "background_game", None)
    prepared = game(background) if game is not None else None
    if prepared is not None:
        # The quick path: one passenger at a time against the prepared background (the
        # rows of one passenger are already batched; a call per passenger costs little).
        return [_explanation(p, *prepared.explain(p)) for p in passengers]
    explained: list[Explanation] = []
    for start in range(0, len(passengers), PASSENGERS_PER_CALL):
        part = passengers[start : start + PASSENGERS_PER_CALL]
        explained += _explain_together(pipeline, part, background)
    return explained


def _explain_together(
    pipeline: Any,
    passengers: Sequence[Mapping[str, Any]],
    background: Sequence[Mapping[str, Any]],
) -> list[Explanation]:
    from ml_pipeline.prepared_steps import schema_columns

    explained = schema_columns(passengers)
    reference = schema_columns(background)
    rows, row_of = _distinct_rows(explained, reference)
    scores = np.asarray(survival_probabilities(pipeline, rows), dtype=float)
    by_coalition = scores[row_of]  # passenger, coalition, background row
    values = by_coalition.mean(axis=2)
    # The full coalition is the passenger themself, whatever the background row.
    probabilities = by_coalition[:, FULL, 0]
    values[:, FULL] = probabilities
    shapley = values @ SHAPLEY_WEIGHTS
    return [
        _explanation(passenger, float(probability), float(baseline), row)
        for passenger, probability, baseline, row in zip(
            passengers, probabilities, values[:, EMPTY], shapley, strict=True
        )
    ]


def _explanation(
    passenger: Mapping[str, Any], probability: float, baseline: float, shapley: np.ndarray
) -> Explanation:
    contributions = [
        Contribution(
            feature=feature.name,
            label=feature.label,
            value=describe_value(feature.name, passenger[feature.name]),
            points=float(value) * 100,
        )
        for feature, value in zip(FEATURES, shapley, strict=True)
    ]
    contributions.sort(key=lambda c: abs(c.points), reverse=True)
    return Explanation(probability=probability, baseline=baseline, contributions=contributions)


def _distinct_rows(explained: Columns, reference: Columns) -> tuple[Columns, np.ndarray]:
    """The rows that coalitions × background rows make, each distinct one once, and for
    every (passenger, coalition, background row) the position of its row among them.

    Where a background passenger already has the explained passenger's value (the same sex,
    no siblings aboard…), taking that input or not makes the same row: coalition m with
    background row b is the row of m ∩ differs(b). Only the coalitions within differs(b)
    are scored, typically a fifth of the 128, and the model is deterministic row by row, so
    the values are those of scoring every row.
    """
    passengers, background = (
        len(next(iter(explained.values()))),
        len(next(iter(reference.values()))),
    )
    differs = np.zeros((passengers, background), dtype=np.int64)
    for position, name in enumerate(FEATURE_NAMES):
        unequal = explained[name][:, None] != reference[name][None, :]
        differs |= unequal.astype(np.int64) << position
    coalitions = np.arange(2**INPUTS)[None, :, None]
    # For each (passenger, coalition, background row): the coalition that makes its row.
    making = coalitions & differs[:, None, :]
    scored = making == coalitions
    which_passenger, which_coalition, which_row = np.nonzero(scored)
    position_of = np.full(scored.shape, -1, dtype=np.int64)
    position_of[scored] = np.arange(len(which_passenger))
    rows: Columns = {}
    for position, name in enumerate(FEATURE_NAMES):
        takes = COALITIONS[which_coalition, position]
        rows[name] = np.where(takes, explained[name][which_passenger], reference[name][which_row])
    passenger_index = np.arange(passengers)[:, None, None]
    row_index = np.arange(background)[None, None, :]
    return rows, position_of[passenger_index, making, row_index]


def survival_probabilities(pipeline: Any, passengers: Sequence[Mapping[str, Any]] | Columns) -> Any:
    """P(survived) for each passenger, in one model call. The passengers are given one by
    one (schema names → values) or as schema columns (name → numpy array), as the
    explanation builds its rows.

    A prepared pipeline (as survival.registry.artifacts loads them) answers without building
    a pandas frame, with the same numbers; a plain fitted pipeline gets the schema frame.
    """
    quick = getattr(pipeline, "survival_probabilities", None)
    if quick is not None:
        return quick(passengers)
    return pipeline.predict_proba(to_frame(passengers))[:, 1]


def explanation_background(
    pipeline: Any, features: pd.DataFrame, *, seed: int, size: int = BACKGROUND_SIZE
) -> list[dict[str, Any]]:
    """`size` passengers of the training split `features`, drawn at random with `seed`, as
    JSON-ready dicts (a missing value is None; the model imputes it as in training).

    Each draw is stratified by ticket class and sex, the two inputs that move the
    probability most: each of the six groups gets its share of the sample (largest
    remainders first). Of `BACKGROUND_DRAWS` such draws, the one whose mean probability
    under the fitted `pipeline` is closest to the model's mean over the whole training split
    is kept, so the baseline is the training data's average passenger rather than a few
    points off it by the luck of one small draw.
    """
    import numpy as np

    # In the rows' own order, whatever order the split left them in.
    features = features.sort_index()
    size = min(size, len(features))
    groups = features.groupby(STRATA, sort=True).indices
    shares = {key: len(rows) * size / len(features) for key, rows in groups.items()}
    quota = {key: math.floor(share) for key, share in shares.items()}
    by_remainder = sorted(shares, key=lambda key: shares[key] - quota[key], reverse=True)
    for key in by_remainder[: size - sum(quota.values())]:
        quota[key] += 1
    generator = np.random.default_rng(seed)
    draws = [
        [
            position
            for key, rows in groups.items()
            for position in sorted(generator.choice(rows, size=quota[key], replace=False))
        ]
        for _ in range(BACKGROUND_DRAWS)
    ]

    def mean_probability(frame: pd.DataFrame) -> float:
        return float(pipeline.predict_proba(to_frame(frame))[:, 1].mean())

    target = mean_probability(features)
    chosen = min(draws, key=lambda draw: abs(mean_probability(features.iloc[draw]) - target))
    return [_json_ready(record) for record in features.iloc[chosen].to_dict(orient="records")]


# How many stratified draws the background is chosen from (see explanation_background).
BACKGROUND_DRAWS = 16
# The inputs the background sample is stratified by.
STRATA = ["pclass", "sex"]


def _json_ready(record: Mapping[str, Any]) -> dict[str, Any]:
    passenger: dict[str, Any] = {}
    for feature in FEATURES:
        value = record[feature.name]
        if value is None or (isinstance(value, float) and math.isnan(value)):
            passenger[feature.name] = None
        elif feature.kind == "integer" or (
            feature.kind == "category" and isinstance(feature.choices[0][0], int)
        ):
            passenger[feature.name] = int(value)
        elif feature.kind == "category":
            passenger[feature.name] = str(value)
        else:
            passenger[feature.name] = float(value)
    return passenger
