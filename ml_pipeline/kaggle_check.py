"""The Kaggle-layout check: how the default training run does on passengers it never saw,
given the file most people bring.

The bundled titanic3 passengers are written out as a Kaggle `train.csv` (its capitalised
columns, a PassengerId, no boat, body or home.dest) in a seeded random order: Kaggle's files
are not sorted by class and name as titanic3 is, so the split `train` makes of them holds out
other passengers than it does on the bundled file. `train` on that file holds out a
stratified fifth (262 passengers) that no choice ever sees; its held-out numbers are the
check, the same numbers `manage.py train --data FILE` prints.

One order is one split of 262 passengers, and the held-out ROC AUC moves by about ±0.02
from one split to the next, so one order proves little about a change; `bench/model_quality.py`
runs the check over many orders and reports the mean and the spread.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ml_pipeline.constants import AUTO, DEFAULT_METRIC, DEFAULT_SEED
from ml_pipeline.data import BUNDLED_DATA, KAGGLE_COLUMNS, Dataset, parse_dataset
from ml_pipeline.evaluation import ProgressCallback
from ml_pipeline.training import TrainingResult, train

# The order (and the training seed) of the check the tests hold the default run to.
CHECK_SEED = DEFAULT_SEED

# What the default run must reach on the held-out part of the check's file.
MIN_HOLDOUT_ROC_AUC = 0.86
MAX_HOLDOUT_BRIER = 0.14

# Kaggle's train.csv columns, in its order.
KAGGLE_TRAIN_COLUMNS = list(KAGGLE_COLUMNS)


def kaggle_layout_csv(*, order_seed: int) -> bytes:
    """The bundled passengers as a Kaggle train.csv, rows shuffled by `order_seed`;
    PassengerId numbers them 1, 2, … in the new order."""
    table = pd.read_csv(BUNDLED_DATA, dtype=str, keep_default_na=False, na_values=[""])
    order = np.random.default_rng(order_seed).permutation(len(table))
    kaggle = table.iloc[order].reset_index(drop=True)
    kaggle = kaggle.rename(columns={ours: theirs for theirs, ours in KAGGLE_COLUMNS.items()})
    kaggle.insert(0, "PassengerId", range(1, len(kaggle) + 1))
    return kaggle[KAGGLE_TRAIN_COLUMNS].to_csv(index=False).encode()


def kaggle_layout_dataset(*, order_seed: int) -> Dataset:
    """The file above, read and validated as `train --data` reads it."""
    raw = kaggle_layout_csv(order_seed=order_seed)
    return parse_dataset(raw, source=f"titanic3 in Kaggle layout, order {order_seed}")


def kaggle_check(
    *,
    order_seed: int = CHECK_SEED,
    seed: int = DEFAULT_SEED,
    algorithm: str = AUTO,
    metric: str = DEFAULT_METRIC,
    progress: ProgressCallback | None = None,
) -> TrainingResult:
    """The training run `train --data FILE --seed SEED` makes on the Kaggle-layout file of
    `order_seed`; its `holdout_metrics` are the check's numbers."""
    return train(
        kaggle_layout_dataset(order_seed=order_seed),
        algorithm=algorithm,
        seed=seed,
        metric=metric,
        progress=progress,
    )


def meets_the_bar(result: TrainingResult) -> bool:
    holdout = result.holdout_metrics
    return holdout["roc_auc"] >= MIN_HOLDOUT_ROC_AUC and holdout["brier"] <= MAX_HOLDOUT_BRIER
