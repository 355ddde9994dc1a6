"""What the visitor's page tells about the data a version learned from: how many passengers,
how many survived, the typical fare of each class, and how passengers of each class, sex and
age band fared. Computed once at training time over the whole data file and stored with the
version, so the page never reads the file. Imports no Django.

Age bands, by age in years (fractions for infants count in the band they fall in):

    under 13 | 13 to 17 | 18 to 29 | 30 to 44 | 45 to 59 | 60 or older

Children and teenagers get bands of their own because "women and children first" shaped who
reached the boats; the adult bands are wide enough that most groups hold dozens of people.
Passengers whose age is not recorded (about a fifth of titanic3) count in the totals but in
no age band.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import pandas as pd

# (label, upper bound, exclusive); the last band has no upper bound.
AGE_BANDS: tuple[tuple[str, float], ...] = (
    ("under 13", 13),
    ("13 to 17", 18),
    ("18 to 29", 30),
    ("30 to 44", 45),
    ("45 to 59", 60),
    ("60 or older", math.inf),
)


def age_band(age: float, bands: tuple[tuple[str, float], ...] = AGE_BANDS) -> int:
    """The index in `bands` of the band an age falls in."""
    for index, (_, below) in enumerate(bands):
        if age < below:
            return index
    return len(bands) - 1


def training_context(
    features: pd.DataFrame, target: pd.Series, *, fitted_rows: int
) -> dict[str, Any]:
    """The summary stored with a version (JSON):

    - passengers, survived: rows of the data file and how many of them survived;
    - fitted_rows: how many of them the model was fitted on (the rest were held out);
    - median_fare: {"1": …, "2": …, "3": …}, each class's median recorded fare, to the penny;
    - age_bands: [{"label", "below"}] in order ("below": the exclusive upper bound, None
      for the last), so a stored context keeps the bands it was counted with;
    - groups: [{"pclass", "sex", "age_band", "passengers", "survived"}] for every class, sex
      and age band that has passengers (age recorded).
    """
    median_fare = features.groupby("pclass")["fare"].median().dropna()
    frame = features.assign(survived=target.to_numpy())
    recorded = frame[frame["age"].notna()]
    bands = recorded["age"].map(age_band)
    grouped = recorded.groupby([recorded["pclass"], recorded["sex"], bands])["survived"]
    groups = [
        {
            "pclass": int(pclass),
            "sex": str(sex),
            "age_band": int(band),
            "passengers": int(count),
            "survived": int(survived),
        }
        for (pclass, sex, band), count, survived in zip(
            grouped.size().index, grouped.size(), grouped.sum(), strict=True
        )
    ]
    return {
        "passengers": len(frame),
        "survived": int(target.sum()),
        "fitted_rows": int(fitted_rows),
        "median_fare": {
            str(int(pclass)): round(float(fare), 2) for pclass, fare in median_fare.items()
        },
        "age_bands": [
            {"label": label, "below": None if math.isinf(below) else below}
            for label, below in AGE_BANDS
        ],
        "groups": groups,
    }


@dataclass(frozen=True)
class Group:
    """How the passengers of one class, sex and age band fared.

    Attributes:
        pclass, sex: as the schema writes them.
        age_band: the band's label ("30 to 44").
        passengers: how many such passengers the data file holds (age recorded).
        survived: how many of them survived.
    """

    pclass: int
    sex: str
    age_band: str
    passengers: int
    survived: int


def passengers_like(context: dict[str, Any], *, pclass: int, sex: str, age: float) -> Group | None:
    """The group of a passenger's class, sex and age band in a stored context; None when the
    context is empty (a version registered before contexts were recorded)."""
    if not context.get("groups"):
        return None
    bands = tuple(
        (band["label"], math.inf if band["below"] is None else band["below"])
        for band in context["age_bands"]
    )
    band = age_band(age, bands)
    counts = next(
        (
            group
            for group in context["groups"]
            if group["pclass"] == pclass and group["sex"] == sex and group["age_band"] == band
        ),
        {"passengers": 0, "survived": 0},
    )
    return Group(
        pclass=pclass,
        sex=sex,
        age_band=bands[band][0],
        passengers=counts["passengers"],
        survived=counts["survived"],
    )


def typical_fares(context: dict[str, Any]) -> dict[int, float]:
    """{ticket class: median fare} from a stored context; empty when it has none."""
    return {int(pclass): float(fare) for pclass, fare in context.get("median_fare", {}).items()}
