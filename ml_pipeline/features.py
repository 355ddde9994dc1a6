"""The derived features, computed on plain numpy columns.

Training keeps them inside the sklearn pipelines as FunctionTransformers over DataFrames
(`training.add_derived_features`, `passenger_terms`, `linear_terms`); those wrap the functions
here. The quick inference path (`prepared.py`) calls the very same functions on the few
passengers of a request without building a DataFrame, so both paths run one piece of
arithmetic and cannot drift apart.

A `Columns` mapping is name → 1-D array, in order: numbers as float64 (NaN when missing),
text categories as object arrays (NaN when missing).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

Columns = dict[str, np.ndarray]

DERIVED_COLUMNS = ["family_size", "fare_per_person"]


def frame_to_columns(frame: pd.DataFrame) -> Columns:
    """A DataFrame's columns as numpy arrays: numbers as float64 with NaN for missing, other
    columns as object arrays."""
    columns: Columns = {}
    for name in frame.columns:
        series = frame[name]
        if pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(
            series.dtype
        ):
            columns[name] = series.to_numpy(dtype="float64", na_value=np.nan)
        else:
            columns[name] = series.to_numpy(dtype=object, na_value=np.nan)
    return columns


def columns_to_frame(columns: Mapping[str, np.ndarray], index: pd.Index) -> pd.DataFrame:
    return pd.DataFrame(dict(columns), index=index)


def _zero_if_missing(values: np.ndarray) -> np.ndarray:
    return np.where(np.isnan(values), 0.0, values)


def family_size(columns: Mapping[str, np.ndarray]) -> np.ndarray:
    """Siblings/spouses plus parents/children plus the passenger (a missing count is 0)."""
    return _zero_if_missing(columns["sibsp"]) + _zero_if_missing(columns["parch"]) + 1


def derived_columns(columns: Mapping[str, np.ndarray]) -> Columns:
    """The input columns plus the family's size and the fare per head (a family shared one
    ticket), which say more about a passenger's chances than sibsp, parch and fare do
    separately."""
    size = family_size(columns)
    return {**columns, "family_size": size, "fare_per_person": columns["fare"] / size}


def passenger_term_columns(columns: Mapping[str, np.ndarray]) -> Columns:
    """All-numeric terms that spell out what mattered on board: sex and class together,
    children, family size with flags for travelling alone and for large families, and log
    fares. Missing ages and fares stay missing (NaN), for the next step to handle."""
    size = family_size(columns)
    age = columns["age"]
    fare = columns["fare"]
    terms: Columns = {
        "female": (columns["sex"] == "female").astype("float64"),
        "pclass": columns["pclass"].astype("float64"),
        "age": age,
        "age_missing": np.isnan(age).astype("float64"),
        "child": (age < 15).astype("float64"),
        "sibsp": _zero_if_missing(columns["sibsp"]),
        "parch": _zero_if_missing(columns["parch"]),
        "family_size": size,
        "alone": (size == 1).astype("float64"),
        "large_family": (size >= 5).astype("float64"),
        "log_fare": np.log1p(fare),
        "log_fare_per_person": np.log1p(fare / size),
    }
    for port in ("C", "Q", "S"):
        terms[f"embarked_{port}"] = (columns["embarked"] == port).astype("float64")
    return terms


def linear_term_columns(terms: Mapping[str, np.ndarray]) -> Columns:
    """The passenger terms (ages and fares already imputed), in the order given, plus the
    interactions a linear model cannot find by itself: one indicator per sex and class, age
    and fare per sex, boys, children in 3rd class and large families of women in 3rd class."""
    female = terms["female"]
    male = 1 - female
    third = (terms["pclass"] == 3).astype("float64")
    child = terms["child"] * (1 - terms["age_missing"])
    linear: Columns = {
        name: values for name, values in terms.items() if name not in ("pclass", "female", "child")
    }
    for ticket_class in (1, 2, 3):
        in_class = (terms["pclass"] == ticket_class).astype("float64")
        linear[f"female_class_{ticket_class}"] = female * in_class
        linear[f"male_class_{ticket_class}"] = male * in_class
    linear["child"] = child
    linear["boy"] = male * child
    linear["child_in_3rd"] = third * child
    linear["female_3rd_large_family"] = female * third * terms["large_family"]
    linear["female_3rd_family_size"] = female * third * terms["family_size"]
    linear["male_log_fare"] = male * terms["log_fare"]
    linear["female_log_fare"] = female * terms["log_fare"]
    linear["male_age"] = male * terms["age"]
    linear["female_age"] = female * terms["age"]
    return linear


# The pipelines' DataFrame steps: the same column code, on a frame's columns.


def add_derived_features(features: pd.DataFrame) -> pd.DataFrame:
    """Adds the family's size and the fare per head (see `features.derived_columns`)."""
    return columns_to_frame(derived_columns(frame_to_columns(features)), features.index)


def passenger_terms(features: pd.DataFrame) -> pd.DataFrame:
    """All-numeric terms that spell out what mattered on board (women in 1st and 2nd class
    nearly all survived, in 3rd class half did); see `features.passenger_term_columns`."""
    return columns_to_frame(passenger_term_columns(frame_to_columns(features)), features.index)


def linear_terms(terms: pd.DataFrame) -> pd.DataFrame:
    """`passenger_terms` (ages and fares already imputed) plus the interactions a linear
    model cannot find by itself; see `features.linear_term_columns`."""
    return columns_to_frame(linear_term_columns(frame_to_columns(terms)), terms.index)
