"""One passenger's Shapley values against a background prepared once per model version.

`explain.py` states the game: v(S) is the mean probability over the background passengers
when each takes the explained passenger's values for the inputs in S. For background
passenger b, only the inputs where b differs from the passenger, d(b), can change a row:
coalition S makes the row of S ∩ d(b). So b's part of the game is its 2^|d(b)| rows, and
since Shapley values are linear in the game, each part can be folded into the values on
its own, with weights that depend on d(b) only (`Block`, made once per process for each d
met, of 128 possible). Nothing here depends on the model: a scorer gives the probability of
every (b, S ⊆ d(b)) row, block after block, and `BackgroundGame` folds them. That is the
same arithmetic as averaging all 128 × K rows per coalition and weighting the averages,
summed in another order.

`RowScorer` puts every distinct row through the model once: rows of different background
passengers coincide where those share the values the passenger's do not replace.
`WeightedScorer` averages a soft-voting ensemble's members' scores of the same rows, as the
ensemble averages them, so that each member scores its own way (a logistic regression
through `ml_pipeline.linear_coalitions`).

What depends only on the background — its schema columns, each value's code for telling
rows apart — is computed when the background is first explained against, once per process
and version (`PreparedPipeline.background_game`). Nothing about any passenger is kept.
"""

from __future__ import annotations

import bisect
import itertools
import math
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple

import numpy as np

from ml_pipeline.features import Columns
from ml_pipeline.prepared_steps import schema_columns
from ml_pipeline.schema import FEATURE_NAMES

INPUTS = len(FEATURE_NAMES)
COALITIONS = 2**INPUTS
ALL = COALITIONS - 1
_BITS = np.arange(INPUTS)
_POWERS = 1 << _BITS
# _MEMBERS[mask, i]: whether input i is in the set `mask`.
_MEMBERS = np.arange(COALITIONS)[:, None] >> _BITS & 1


def _shapley_weights() -> np.ndarray:
    """W such that the Shapley values are v @ W for the 128 coalition values v: input i
    gains s!(n−s−1)!/n! · (v(S ∪ {i}) − v(S)) for every coalition S without it, |S| = s."""
    n = INPUTS
    weight = [math.factorial(s) * math.factorial(n - s - 1) / math.factorial(n) for s in range(n)]
    matrix = np.zeros((COALITIONS, n))
    for mask in range(COALITIONS):
        size = bin(mask).count("1")
        for i in range(n):
            if mask >> i & 1:
                matrix[mask, i] += weight[size - 1]
            else:
                matrix[mask, i] -= weight[size]
    return matrix


SHAPLEY_WEIGHTS = _shapley_weights()


class Passenger(NamedTuple):
    """The explained passenger: one row of schema columns, and its value codes against the
    background (`BackgroundGame.passenger_codes`)."""

    columns: Columns
    codes: np.ndarray


class Block(NamedTuple):
    """What one background row's part of the game needs, given its differences d.

    Attributes:
        subsets: every S ⊆ d as a bit mask, in increasing order: ∅ (the background row
            itself) first, d (the passenger's own row) last.
        weights: row k sums W's rows of the coalitions that make the row of subsets[k],
            so that the part's scores s add s @ weights to the Shapley values.
    """

    subsets: np.ndarray
    weights: np.ndarray


def _block(differs: int) -> Block:
    members = [i for i in range(INPUTS) if differs >> i & 1]
    masks = sorted(
        sum(1 << members[j] for j in range(len(members)) if k >> j & 1)
        for k in range(2 ** len(members))
    )
    folded = np.zeros((COALITIONS, INPUTS))
    np.add.at(folded, np.arange(COALITIONS) & differs, SHAPLEY_WEIGHTS)
    subsets = np.array(masks, dtype=np.int64)
    return Block(subsets=subsets, weights=folded[subsets])


# Every d's block, made once when first met.
_BLOCKS: dict[int, Block] = {}


def block(differs: int) -> Block:
    found = _BLOCKS.get(differs)
    if found is None:
        found = _BLOCKS[differs] = _block(differs)
    return found


def subsets(differs: int) -> np.ndarray:
    """Every subset of the inputs in `differs` (a bit mask), as `Block.subsets`."""
    return block(differs).subsets


class Plan:
    """Where each (b, S ⊆ d(b)) row sits, for one pattern of differences: everything the
    explanation of a passenger needs that depends on d(b) for every background row b and
    not on the passenger's values. Passengers who differ from the background in the same
    inputs (the same sex, class and port, any other age…) share it, so a game keeps the
    last few (`BackgroundGame.plan`).

    Attributes:
        differs: d(b) for every background row b, as `BackgroundGame.differences` gives.
        blocks: each background row's block.
        which: the background row of every (b, S) row, block after block.
        taken: the S of every row.
        weights: the blocks' weights stacked, to fold all the rows' scores at once.
        starts: where each block starts (its background row's own row).
        own: where the passenger's own row is (the end of the first block).
        scorers: what each scorer derives from the plan, kept by the scorer (keyed by it).
    """

    __slots__ = ("blocks", "differs", "own", "scorers", "starts", "taken", "weights", "which")

    def __init__(self, differs: np.ndarray) -> None:
        self.differs = differs
        self.blocks = [block(mask) for mask in differs.tolist()]
        sizes = [len(b.subsets) for b in self.blocks]
        self.which = np.repeat(np.arange(len(self.blocks)), sizes)
        self.taken = np.concatenate([b.subsets for b in self.blocks])
        self.weights = np.concatenate([b.weights for b in self.blocks])
        self.starts = np.array(list(itertools.accumulate([0, *sizes[:-1]])))
        self.own = sizes[0] - 1
        self.scorers: dict[object, Any] = {}


# Plans a game keeps: each holds a few dozen kilobytes (its stacked weights).
PLANS_KEPT = 32


def coalition_rows(
    passenger: Columns, background: Columns, which: np.ndarray, taken: np.ndarray
) -> Columns:
    """Schema columns of the rows where row r is background row which[r] with the inputs in
    taken[r] (a bit mask) given the passenger's values (one row of schema columns)."""
    takes = (taken >> _BITS[:, None] & 1).astype(bool)
    rows: Columns = {}
    for position, name in enumerate(FEATURE_NAMES):
        column = background[name][which]
        column[takes[position]] = passenger[name][0]
        rows[name] = column
    return rows


class BackgroundGame:
    """A version's background, ready to explain passengers against.

    Attributes:
        background: the background passengers (schema names → values), as given.
        columns: the same as schema columns.
        codes: per background row and input, its value's rank among the background's
            values of that input, doubled (2, 4, …: a passenger's value that none of them
            has gets the odd number between its neighbours; missing values rank last).
        keys: per background row and set of inputs, the sum of those inputs' codes, each
            scaled as a digit of a number whose first input is the most significant: with
            the passenger's codes for the other inputs it numbers a row, in the order of
            its values (see `RowScorer`).
    """

    def __init__(self, background: Sequence[Mapping[str, Any]], scorer: CoalitionScorer) -> None:
        self.background = list(background)
        self.columns = schema_columns(self.background)
        self.scorer = scorer
        self._ranked: list[list[tuple[int, Any]]] = []
        codes = np.zeros((len(self.background), INPUTS), dtype=np.int64)
        for position, name in enumerate(FEATURE_NAMES):
            ranks = [_rank(value) for value in self.columns[name].tolist()]
            ranked = sorted(set(ranks))
            codes[:, position] = [2 * (ranked.index(rank) + 1) for rank in ranks]
            self._ranked.append(ranked)
        self.codes = codes
        digits = [2 * len(ranked) + 2 for ranked in self._ranked]
        self._scales = np.array(
            [math.prod(digits[position + 1 :]) for position in range(INPUTS)], dtype=np.int64
        )
        # keys[b, mask]: the sum of background row b's scaled codes of the inputs in mask.
        self.keys = (_MEMBERS @ (codes * self._scales).T).T
        # The last plans used, newest last (see `plan`).
        self._plans: dict[bytes, Plan] = {}
        self._plans_lock = threading.Lock()

    def passenger_codes(self, passenger: Columns) -> np.ndarray:
        """The passenger's code for each input, as `codes` numbers the background's."""
        codes = []
        for ranked, name in zip(self._ranked, FEATURE_NAMES, strict=True):
            rank = _rank(passenger[name].tolist()[0])
            below = bisect.bisect_left(ranked, rank)
            equal = below < len(ranked) and ranked[below] == rank
            codes.append(2 * (below + 1) if equal else 2 * below + 1)
        return np.array(codes, dtype=np.int64)

    def differences(self, passenger_codes: np.ndarray) -> np.ndarray:
        """d(b) for every background row b: bit i set where b's input i is not the
        passenger's (a value missing on both sides is the same value)."""
        return (self.codes != passenger_codes) @ _POWERS

    def plan(self, differs: np.ndarray) -> Plan:
        """The plan of this pattern of differences: kept from an earlier passenger with the
        same one, or made (and kept, in place of the one used longest ago)."""
        key = differs.tobytes()
        # Threaded workers share the game: the bookkeeping is done by one thread at a time.
        with self._plans_lock:
            found = self._plans.pop(key, None)
            if found is None:
                found = Plan(differs)
                if len(self._plans) >= PLANS_KEPT:
                    del self._plans[next(iter(self._plans))]
            self._plans[key] = found
        return found

    def explain(self, passenger: Mapping[str, Any]) -> tuple[float, float, np.ndarray]:
        """(probability, baseline, Shapley values in input order) for one passenger."""
        columns = schema_columns([passenger])
        codes = self.passenger_codes(columns)
        plan = self.plan(self.differences(codes))
        scores = self.scorer.scores(self, Passenger(columns, codes), plan)
        shapley = scores @ plan.weights / len(plan.blocks)
        # Each block starts with its background row and ends with the passenger's own row.
        baseline = float(scores[plan.starts].sum()) / len(plan.starts)
        probability = float(scores[plan.own])
        return probability, baseline, shapley


class CoalitionScorer:
    """How a model scores a passenger's coalition rows against a background."""

    def scores(self, game: BackgroundGame, passenger: Passenger, plan: Plan) -> np.ndarray:
        """P(survived) of every (b, S ⊆ d(b)) row, in the plan's order: background row b
        given the passenger's values for the inputs in S."""
        raise NotImplementedError


class RowScorer(CoalitionScorer):
    """Every row through the model, each distinct one once: rows of different background
    passengers coincide where those share the values the passenger's do not replace (and
    every block ends with the passenger's own row)."""

    def __init__(self, score: Callable[[Columns], np.ndarray]) -> None:
        self._score = score

    def scores(self, game: BackgroundGame, passenger: Passenger, plan: Plan) -> np.ndarray:
        which, taken = plan.which, plan.taken
        # A row's number: the background row's digits of the inputs it keeps (where that
        # row differs and the passenger's value is not taken), the passenger's of the
        # others. Sorted by it, rows that follow the same branches of a tree come together,
        # which the trees answer sooner than rows in any order.
        kept = plan.scorers.get(RowScorer)
        if kept is None:
            kept = plan.scorers[RowScorer] = plan.differs[which] & ~taken
        own = _MEMBERS @ (passenger.codes * game._scales)
        key = game.keys[which, kept] + own[~kept & ALL]
        _, first, position = np.unique(key, return_index=True, return_inverse=True)
        rows = coalition_rows(passenger.columns, game.columns, which[first], taken[first])
        return np.asarray(self._score(rows), dtype=float)[position]


class WeightedScorer(CoalitionScorer):
    """A soft-voting ensemble's rows: its members' scores of the same rows, averaged with
    its weights (as `VotingClassifier.predict_proba` averages them), so each member scores
    them its own way."""

    def __init__(self, members: Sequence[CoalitionScorer], weights: Sequence[float] | None):
        self._members = list(members)
        self._weights = None if weights is None else list(weights)

    def scores(self, game: BackgroundGame, passenger: Passenger, plan: Plan) -> np.ndarray:
        each = [member.scores(game, passenger, plan) for member in self._members]
        return np.average(np.stack(each), axis=0, weights=self._weights)


def _rank(value: Any) -> tuple[int, Any]:
    """A schema column's value as it sorts: by value, missing ones last and all alike."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return (1, "")
    return (0, value)
