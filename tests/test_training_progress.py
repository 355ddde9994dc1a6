"""A training run reports where it is as data (ml_pipeline.progress) for the job page's
progress bar, beside its unchanged text lines."""

from __future__ import annotations

from ml_pipeline.data import load_dataset
from ml_pipeline.progress import TrainingStep
from ml_pipeline.training import train


def test_each_fold_of_each_setting_then_calibration_then_the_end_is_reported(small_titanic_csv):
    steps: list[TrainingStep] = []
    lines: list[str] = []
    train(
        load_dataset(small_titanic_csv),
        algorithm="logreg",
        seed=3,
        progress=lines.append,
        on_step=steps.append,
    )
    search = [s for s in steps if s.stage == "search"]
    # Three settings of ten folds (5 folds × 2 repeats), then the calibrated winner's ten.
    assert [(s.setting_number, s.fold) for s in search] == [
        (setting, fold) for setting in (1, 2, 3) for fold in range(1, 11)
    ]
    assert {(s.candidate, s.candidate_number, s.candidates, s.settings) for s in search} == {
        ("Logistic regression", 1, 1, 3)
    }
    assert [s.fold for s in steps if s.stage == "calibration"] == list(range(1, 11))
    assert steps[-1].stage == "final"
    # The share done counts the folds started: 1 of 40 at the first, all at the end.
    fractions = [s.fraction for s in steps]
    assert fractions == sorted(fractions)
    assert fractions[0] == 1 / 40
    assert fractions[-1] == 1.0
    # The text lines are the ones `manage.py train` always printed, one per fold among them.
    assert sum(": fold " in line for line in lines) == 40
