"""What a version records about how it was made: library versions, the code's commit, the
training data described, and its typical passenger (the explanation's reference)."""

from __future__ import annotations

import platform
import subprocess
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd
import sklearn

from ml_pipeline.data import Dataset
from ml_pipeline.schema import FEATURES


def library_versions() -> dict[str, str]:
    import matplotlib

    return {
        "python": platform.python_version(),
        "scikit-learn": sklearn.__version__,
        "numpy": np.__version__,
        "pandas": pd.__version__,
        "joblib": joblib.__version__,
        "matplotlib": matplotlib.__version__,
    }


def git_commit() -> str:
    """The commit of the code that trains, with "-dirty" when files differ from it; "" when
    the code is not in a git checkout (e.g. an installed package) or git is missing."""
    try:
        commit = _git("rev-parse", "HEAD")
        status = _git("status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.SubprocessError):
        return ""
    return f"{commit}-dirty" if status else commit


def _git(*arguments: str) -> str:
    root = Path(__file__).resolve().parent.parent
    return subprocess.run(
        ["git", *arguments], cwd=root, capture_output=True, text=True, timeout=5, check=True
    ).stdout.strip()


def typical_passenger(features: pd.DataFrame) -> dict[str, Any]:
    """The median of each number and the most frequent value of each category."""
    typical: dict[str, Any] = {}
    for feature in FEATURES:
        column = features[feature.name].dropna()
        if feature.kind == "category":
            value = column.mode().iloc[0]
            typical[feature.name] = value.item() if hasattr(value, "item") else value
        else:
            typical[feature.name] = float(column.median())
    # Numeric categories (the ticket class) are whole numbers in the schema.
    for feature in FEATURES:
        if feature.kind == "category" and isinstance(feature.choices[0][0], int):
            typical[feature.name] = int(typical[feature.name])
    return typical


def summarize_data(dataset: Dataset) -> dict[str, Any]:
    """What the training file held, for the model card."""
    features, target = dataset.features, dataset.target
    columns: dict[str, Any] = {}
    for feature in FEATURES:
        column = features[feature.name]
        described: dict[str, Any] = {"missing": int(column.isna().sum())}
        if feature.kind == "category":
            counts = column.value_counts()
            # Written as the schema writes the value: ticket class 1, not 1.0.
            described["counts"] = {
                (f"{value:g}" if isinstance(value, float) else str(value)): int(count)
                for value, count in counts.items()
            }
        else:
            described.update(
                minimum=float(column.min()),
                median=float(column.median()),
                maximum=float(column.max()),
            )
        columns[feature.name] = described
    return {
        "rows": dataset.rows,
        "survived": int(target.sum()),
        "survival_rate": float(target.mean()),
        "columns": columns,
    }
