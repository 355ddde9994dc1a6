"""The passenger feature schema: the one place that says what a passenger is.

Training, the web form and the API all read these definitions, so a feature's name, type,
allowed values and wording cannot differ between them. This module imports no Django.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    import pandas as pd

FeatureKind = Literal["category", "integer", "number"]


@dataclass(frozen=True)
class Feature:
    """One model input.

    Attributes:
        name: column name in the training data, form field name and API key.
        label: short human name, shown next to the form control and in error messages.
        help_text: one sentence explaining the input.
        kind: "category" (one of `choices`), "integer" or "number".
        choices: (value, label) pairs for categories.
        minimum, maximum: inclusive range for integers and numbers.
        default: the value the form is prefilled with.
        example: a typical value to quote in a message ("Enter the age as a number, e.g. 29").
        missing_allowed_in_data: training data may leave it empty (the model imputes it);
            a visitor or API client must always give it.
    """

    name: str
    label: str
    help_text: str
    kind: FeatureKind
    default: Any
    choices: tuple[tuple[Any, str], ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    example: str = ""
    missing_allowed_in_data: bool = False

    @property
    def choice_values(self) -> tuple[Any, ...]:
        return tuple(value for value, _ in self.choices)


FEATURES: tuple[Feature, ...] = (
    Feature(
        name="pclass",
        label="Ticket class",
        help_text="The passenger's ticket class, a proxy for wealth.",
        kind="category",
        choices=((1, "1st class (upper)"), (2, "2nd class (middle)"), (3, "3rd class (lower)")),
        default=3,
    ),
    Feature(
        name="sex",
        label="Sex",
        help_text="As recorded on the passenger list.",
        kind="category",
        choices=(("female", "Female"), ("male", "Male")),
        default="male",
    ),
    Feature(
        name="age",
        label="Age",
        help_text="In years; fractions are allowed for infants (0.5 is six months).",
        kind="number",
        minimum=0,
        maximum=100,
        default=28,
        example="29",
        missing_allowed_in_data=True,
    ),
    Feature(
        name="sibsp",
        label="Siblings and spouses aboard",
        help_text="How many brothers, sisters, husbands or wives travelled too.",
        kind="integer",
        minimum=0,
        maximum=10,
        default=0,
        example="1",
    ),
    Feature(
        name="parch",
        label="Parents and children aboard",
        help_text="How many parents or children travelled too.",
        kind="integer",
        minimum=0,
        maximum=10,
        default=0,
        example="2",
    ),
    Feature(
        name="fare",
        label="Fare",
        help_text="Ticket price in 1912 pounds sterling.",
        kind="number",
        minimum=0,
        maximum=600,
        default=14.45,
        example="26",
        missing_allowed_in_data=True,
    ),
    Feature(
        name="embarked",
        label="Port of embarkation",
        help_text="Where the passenger boarded.",
        kind="category",
        choices=(("C", "Cherbourg"), ("Q", "Queenstown"), ("S", "Southampton")),
        default="S",
        missing_allowed_in_data=True,
    ),
)

FEATURES_BY_NAME: dict[str, Feature] = {feature.name: feature for feature in FEATURES}
FEATURE_NAMES: tuple[str, ...] = tuple(feature.name for feature in FEATURES)
TARGET = "survived"

# Columns that must never be features, even when a data file has them: `boat` and `body`
# record what happened after the sinking (they leak the outcome); the others identify people.
EXCLUDED_COLUMNS: frozenset[str] = frozenset(
    {"boat", "body", "home.dest", "name", "ticket", "cabin", "passengerid"}
)


def default_passenger() -> dict[str, Any]:
    """The passenger the form shows first: a typical third-class man."""
    return {feature.name: feature.default for feature in FEATURES}


def to_frame(passengers: Iterable[Mapping[str, Any]] | pd.DataFrame) -> pd.DataFrame:
    """Builds the model's input frame: the schema's columns, in order, with fixed dtypes.

    Training and inference both go through here, so the fitted pipeline always sees the
    same column order and types. Missing values become NaN.
    """
    # Imported here, not at the top, so that reading the schema (as Django does at start-up)
    # does not load pandas.
    import numpy as np
    import pandas as pd

    frame = pd.DataFrame(passengers)
    columns: dict[str, pd.Series] = {}
    for feature in FEATURES:
        column = (
            frame[feature.name] if feature.name in frame else pd.Series(np.nan, index=frame.index)
        )
        if feature.kind == "category" and isinstance(feature.choices[0][0], str):
            columns[feature.name] = column.astype(object).where(column.notna(), np.nan)
        else:
            columns[feature.name] = pd.to_numeric(column).astype("float64")
    return pd.DataFrame(columns, index=frame.index)


def schema_fingerprint() -> str:
    """A sha256 of the schema's names, kinds and allowed values.

    Stored with every model version, so a model trained on a different schema is recognisable.
    """
    described = [
        [f.name, f.kind, [v for v in f.choice_values], f.minimum, f.maximum] for f in FEATURES
    ]
    return hashlib.sha256(json.dumps(described, sort_keys=True).encode()).hexdigest()
