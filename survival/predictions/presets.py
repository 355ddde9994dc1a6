"""Example passengers a visitor can start from, and the address of any passenger. Plain data:
each becomes a link whose query string fills the form, so presets work without JavaScript
too, and a link to an answer is the same kind of address."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from ml_pipeline.schema import FEATURE_NAMES


def passenger_query(passenger: Mapping[str, Any]) -> str:
    """The query string that fills the form with this passenger (`/?pclass=1&sex=…`)."""
    return urlencode({name: _text(passenger[name]) for name in FEATURE_NAMES})


def _text(value: Any) -> str:
    # 38.0 is written 38, 8.05 stays 8.05: the shortest text that reads back the same.
    return f"{value:.10g}" if isinstance(value, float) else str(value)


@dataclass(frozen=True)
class Preset:
    slug: str
    title: str
    passenger: dict[str, Any]

    @property
    def query(self) -> str:
        return passenger_query(self.passenger)


# Profiles typical of the passenger list: each is a real passenger's record, with the fare
# their ticket cost (a ticket's fare covered everyone travelling on it).
PRESETS: tuple[Preset, ...] = (
    Preset(
        slug="first-class-woman",
        title="First-class woman",
        passenger={
            "pclass": 1,
            "sex": "female",
            "age": 38,
            "sibsp": 1,
            "parch": 0,
            "fare": 71.28,
            "embarked": "C",
        },
    ),
    Preset(
        slug="third-class-man",
        title="Third-class man",
        passenger={
            "pclass": 3,
            "sex": "male",
            "age": 22,
            "sibsp": 0,
            "parch": 0,
            "fare": 7.25,
            "embarked": "S",
        },
    ),
    Preset(
        slug="child",
        title="Child in second class",
        passenger={
            "pclass": 2,
            "sex": "male",
            "age": 3,
            "sibsp": 1,
            "parch": 1,
            "fare": 26,
            "embarked": "S",
        },
    ),
    Preset(
        slug="first-class-man",
        title="First-class man",
        passenger={
            "pclass": 1,
            "sex": "male",
            "age": 47,
            "sibsp": 0,
            "parch": 0,
            "fare": 52,
            "embarked": "S",
        },
    ),
)
