"""The default model on passengers it never saw, in the layout most people bring: the
Kaggle-layout check (`ml_pipeline/kaggle_check.py`), through `manage.py train` as a user
runs it."""

from __future__ import annotations

import re
from io import StringIO

import pandas as pd
import pytest
from django.core.management import call_command

from ml_pipeline.data import BUNDLED_DATA, load_dataset
from ml_pipeline.kaggle_check import (
    CHECK_SEED,
    KAGGLE_TRAIN_COLUMNS,
    MAX_HOLDOUT_BRIER,
    MIN_HOLDOUT_ROC_AUC,
    kaggle_layout_csv,
)
from survival.models import ModelVersion

HELD_OUT_LINE = re.compile(
    r"held-out \((?P<rows>\d+) rows\): ROC AUC (?P<roc_auc>[\d.]+), .*Brier (?P<brier>[\d.]+) "
)


@pytest.fixture
def kaggle_train_csv(tmp_path):
    path = tmp_path / "train.csv"
    path.write_bytes(kaggle_layout_csv(order_seed=CHECK_SEED))
    return path


def test_the_kaggle_file_holds_the_bundled_passengers_in_another_order(kaggle_train_csv):
    written = pd.read_csv(kaggle_train_csv)
    assert list(written.columns) == KAGGLE_TRAIN_COLUMNS
    assert written["PassengerId"].tolist() == list(range(1, 1310))
    kaggle, bundled = load_dataset(kaggle_train_csv), load_dataset(BUNDLED_DATA)
    assert kaggle.rows == bundled.rows == 1309
    # Another order, so `train` holds out other passengers than on the bundled file…
    assert not kaggle.target.equals(bundled.target)
    # …but the same passengers: the same rows once both are sorted.
    sort = [*kaggle.features.columns, "survived"]

    def rows(dataset):
        table = dataset.features.assign(survived=dataset.target).astype(str)
        return table.sort_values(sort).reset_index(drop=True)

    pd.testing.assert_frame_equal(rows(kaggle), rows(bundled))


@pytest.mark.django_db
def test_the_default_train_meets_the_bar_on_unseen_kaggle_layout_data(kaggle_train_csv):
    out = StringIO()
    call_command("train", "--data", str(kaggle_train_csv), "--quiet", stdout=out)
    printed = HELD_OUT_LINE.search(out.getvalue())
    assert printed, out.getvalue()
    version = ModelVersion.objects.get()
    holdout = version.holdout_metrics
    # The numbers the command prints are the stored ones, measured on rows no choice saw.
    assert int(printed["rows"]) == version.holdout_rows == 262
    assert printed["roc_auc"] == f"{holdout['roc_auc']:.3f}"
    assert printed["brier"] == f"{holdout['brier']:.3f}"
    assert version.seed == CHECK_SEED
    assert version.train_rows + version.holdout_rows == 1309
    assert holdout["roc_auc"] >= MIN_HOLDOUT_ROC_AUC
    assert holdout["brier"] <= MAX_HOLDOUT_BRIER
