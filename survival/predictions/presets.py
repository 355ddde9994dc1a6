"""Example passengers a visitor can start from. Plain data: each becomes a link whose query
string fills the form, so presets work without JavaScript too."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from ml_pipeline.schema import FEATURE_NAMES


@dataclass(frozen=True)
class Preset:
    slug: str
    title: str
    passenger: dict[str, Any]

    @property
    def query(self) -> str:
        return urlencode({name: self.passenger[name] for name in FEATURE_NAMES})


# Profiles typical of the passenger list (values close to real passengers' records).
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
