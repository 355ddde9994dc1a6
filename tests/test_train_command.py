"""`manage.py train`: registers versions, and refuses bad data with exit status 1."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from survival.models import ModelVersion

pytestmark = pytest.mark.django_db


def run_train(*args: str) -> str:
    out = StringIO()
    call_command("train", *args, stdout=out)
    return out.getvalue()


def test_train_registers_and_activates_a_version(small_titanic_csv):
    output = run_train(
        "--data", str(small_titanic_csv), "--algorithm", "logreg", "--activate", "--seed", "3"
    )
    version = ModelVersion.objects.get()
    assert version.is_active
    assert version.seed == 3
    assert version.data_rows == 328
    assert "Registered version 1 (Logistic regression) and activated it" in output
    # Progress: which candidate, which setting, which fold.
    assert "Logistic regression, setting 3/3 (C=0.1)" in output
    assert "logreg: fold 10/10" in output
    assert "logreg                   ROC AUC 0." in output
    assert "held-out (66 rows)" in output


def test_quiet_prints_only_the_result(small_titanic_csv):
    output = run_train("--data", str(small_titanic_csv), "--algorithm", "logreg", "--quiet")
    assert "fold" not in output
    assert "setting" not in output
    assert "Registered version 1" in output
    assert not ModelVersion.objects.get().is_active


def test_challenger_makes_the_new_version_shadow_the_active_one(active_version, small_titanic_csv):
    output = run_train(
        "--data", str(small_titanic_csv), "--algorithm", "logreg", "--challenger", "--quiet"
    )
    new = ModelVersion.objects.get(version=2)
    assert new.is_challenger
    assert not new.is_active
    assert ModelVersion.objects.get(pk=active_version.pk).is_active
    assert "Registered version 2 (Logistic regression) and made it the challenger" in output


def test_challenger_and_activate_together_are_refused(small_titanic_csv):
    with pytest.raises(CommandError, match="Choose --activate or --challenger"):
        run_train("--data", str(small_titanic_csv), "--activate", "--challenger")
    assert not ModelVersion.objects.exists()


def test_the_selection_metric_is_recorded_and_reported(small_titanic_csv):
    output = run_train(
        "--data", str(small_titanic_csv), "--algorithm", "logreg", "--metric", "brier", "--quiet"
    )
    version = ModelVersion.objects.get()
    assert version.selection_metric == "brier"
    assert "selected by Brier score" in output
    best = min(version.search["logreg"], key=lambda tried: tried["cv"]["brier"]["mean"])
    assert version.params["C"] == best["params"]["C"]


def test_an_unknown_metric_is_refused(small_titanic_csv):
    with pytest.raises(CommandError, match="invalid choice: 'f2'"):
        run_train("--data", str(small_titanic_csv), "--metric", "f2")


def test_skip_if_active_does_not_train_again(active_version):
    output = run_train("--activate", "--skip-if-active")
    assert "is active; not training" in output
    assert ModelVersion.objects.count() == 1


def test_bad_data_is_refused_and_nothing_is_registered(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("pclass,survived\n1,1\n")
    with pytest.raises(CommandError, match="missing required columns: sex, age"):
        run_train("--data", str(bad))
    assert not ModelVersion.objects.exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no such file"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe", "not UTF-8 text"),
        (b"pclass,survived,sex,age,sibsp,parch,fare,embarked\n", "header but no rows"),
        (
            b"pclass,survived,sex,age,sibsp,parch,fare,embarked\n1,yes,male,30,0,0,10,S\n",
            "column 'survived' must be 0 or 1 \\(lines 2\\)",
        ),
        (
            b"pclass,survived,sex,age,sibsp,parch,fare,embarked\n"
            b"1,1,male,30,0,0,10,S\n2,1,female,20,0,0,10,S\n",
            "only one class",
        ),
        (
            b"pclass,survived,sex,age,sibsp,parch,fare,embarked\n"
            b"1,1,male,thirty,0,0,10,S\n2,0,female,20,0,0,10,S\n",
            "column 'age' must be a number \\(lines 2\\)",
        ),
    ],
    ids=["unknown file", "not a CSV", "no rows", "target not 0/1", "one class", "wrong type"],
)
def test_each_kind_of_bad_data_gets_a_clear_message(tmp_path, content, message):
    path = tmp_path / "data.csv"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(CommandError, match=message):
        run_train("--data", str(path))
    assert not ModelVersion.objects.exists()
