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


def test_train_registers_and_activates_a_version():
    output = run_train("--algorithm", "logreg", "--activate", "--seed", "3")
    version = ModelVersion.objects.get()
    assert version.is_active
    assert version.seed == 3
    assert "Registered version 1 (Logistic regression) and activated it" in output
    assert "ROC AUC" in output
    assert "logreg: fold 10/10" in output  # progress: which candidate, which fold


def test_quiet_prints_only_the_result():
    output = run_train("--algorithm", "logreg", "--quiet")
    assert "fold" not in output
    assert "Registered version 1" in output
    assert not ModelVersion.objects.get().is_active


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
