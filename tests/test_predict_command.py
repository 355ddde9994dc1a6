"""`manage.py predict`: scores a CSV, lists rejected rows by line, pins versions."""

from __future__ import annotations

import csv
import io
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from ml_pipeline.schema import to_frame
from survival.management.commands.predict import NO_SUCH_FILE, ROWS_REJECTED
from survival.registry.artifacts import MODEL_UNAVAILABLE
from survival.registry.selectors import VERSION_NOT_FOUND
from survival.registry.services import model_version_register

pytestmark = pytest.mark.django_db

KAGGLE_HEADER = "PassengerId,Pclass,Name,Sex,Age,SibSp,Parch,Ticket,Fare,Cabin,Embarked\n"
KAGGLE_ROWS = [
    '892,3,"Kelly, Mr. James",male,34.5,0,0,330911,7.8292,,Q\n',
    '893,3,"Wilkes, Mrs. James",female,47,1,0,363272,7,,S\n',
    '894,2,"Myles, Mr. Thomas",male,62,0,0,240276,9.6875,,Q\n',
]


def run_predict(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("predict", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def write(tmp_path: Path, text: str, name: str = "input.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def read_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def expected_probabilities(pipeline, passengers: list[dict]) -> list[float]:
    return [round(float(p), 6) for p in pipeline.predict_proba(to_frame(passengers))[:, 1]]


def test_a_kaggle_test_file_gets_passenger_ids_verdicts_and_probabilities(
    tmp_path, active_version, trained_logreg
):
    path = write(tmp_path, KAGGLE_HEADER + "".join(KAGGLE_ROWS))
    out, err = run_predict(str(path))
    rows = read_rows(out)
    assert list(rows[0]) == ["PassengerId", "Survived", "Probability"]
    assert [row["PassengerId"] for row in rows] == ["892", "893", "894"]
    expected = expected_probabilities(
        trained_logreg.pipeline,
        [
            {
                "pclass": 3,
                "sex": "male",
                "age": 34.5,
                "sibsp": 0,
                "parch": 0,
                "fare": 7.8292,
                "embarked": "Q",
            },
            {
                "pclass": 3,
                "sex": "female",
                "age": 47,
                "sibsp": 1,
                "parch": 0,
                "fare": 7,
                "embarked": "S",
            },
            {
                "pclass": 2,
                "sex": "male",
                "age": 62,
                "sibsp": 0,
                "parch": 0,
                "fare": 9.6875,
                "embarked": "Q",
            },
        ],
    )
    assert [float(row["Probability"]) for row in rows] == pytest.approx(expected, abs=1e-6)
    assert [row["Survived"] for row in rows] == [str(int(p >= 0.5)) for p in expected]
    assert "Scored 3 of 3 rows with model version 1." in err


def test_a_titanic3_file_with_the_target_is_scored_row_for_row(tmp_path, active_version):
    from ml_pipeline.data import BUNDLED_DATA

    lines = BUNDLED_DATA.read_text(encoding="utf-8").splitlines(keepends=True)[:51]
    out_path = tmp_path / "scores.csv"
    stdout, err = run_predict(str(write(tmp_path, "".join(lines))), "--output", str(out_path))
    assert stdout == ""
    rows = read_rows(out_path.read_text(encoding="utf-8"))
    assert len(rows) == 50
    assert list(rows[0]) == ["Survived", "Probability"]
    assert all(0 <= float(row["Probability"]) <= 1 for row in rows)
    assert f"wrote {out_path}" in err


def test_rejected_rows_are_listed_by_line_and_the_others_still_scored(tmp_path, active_version):
    bad_class = '895,4,"Wirz, Mr. Albert",male,27,0,0,315154,8.6625,,S\n'
    bad_age = '896,3,"Hirvonen, Mrs. Alexander",female,young,1,1,3101298,12.2875,,S\n'
    path = write(tmp_path, KAGGLE_HEADER + KAGGLE_ROWS[0] + bad_class + bad_age + KAGGLE_ROWS[1])
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError) as raised:
        call_command("predict", str(path), stdout=out, stderr=err)
    assert str(raised.value) == ROWS_REJECTED.format(rejected=2, total=4)
    assert "line 3: column 'pclass' must be one of 1, 2, 3" in err.getvalue()
    assert "line 4: column 'age' must be a number" in err.getvalue()
    assert [row["PassengerId"] for row in read_rows(out.getvalue())] == ["892", "893"]


def test_version_pins_the_model_that_scores(tmp_path, trained_logreg, trained_forest):
    model_version_register(result=trained_logreg)
    model_version_register(result=trained_forest, activate=True)
    path = write(tmp_path, KAGGLE_HEADER + KAGGLE_ROWS[0])
    passenger = {
        "pclass": 3,
        "sex": "male",
        "age": 34.5,
        "sibsp": 0,
        "parch": 0,
        "fare": 7.8292,
        "embarked": "Q",
    }
    pinned, pinned_err = run_predict(str(path), "--version", "1")
    active, active_err = run_predict(str(path))
    assert float(read_rows(pinned)[0]["Probability"]) == pytest.approx(
        expected_probabilities(trained_logreg.pipeline, [passenger])[0], abs=1e-6
    )
    assert float(read_rows(active)[0]["Probability"]) == pytest.approx(
        expected_probabilities(trained_forest.pipeline, [passenger])[0], abs=1e-6
    )
    assert "model version 1." in pinned_err
    assert "model version 2." in active_err


def test_an_unknown_version_is_refused(tmp_path, active_version):
    path = write(tmp_path, KAGGLE_HEADER + KAGGLE_ROWS[0])
    with pytest.raises(CommandError, match=VERSION_NOT_FOUND.format(number=9)):
        run_predict(str(path), "--version", "9")


def test_without_an_active_version_nothing_is_scored(tmp_path):
    path = write(tmp_path, KAGGLE_HEADER + KAGGLE_ROWS[0])
    with pytest.raises(CommandError, match=MODEL_UNAVAILABLE):
        run_predict(str(path))


def test_an_unknown_file_is_refused(tmp_path, active_version):
    missing = tmp_path / "nowhere.csv"
    with pytest.raises(CommandError, match=NO_SUCH_FILE.format(path=missing)):
        run_predict(str(missing))


def test_missing_columns_are_listed(tmp_path, active_version):
    path = write(tmp_path, "PassengerId,Pclass,Sex\n1,3,male\n")
    with pytest.raises(CommandError, match="missing required columns: age, sibsp, parch"):
        run_predict(str(path))
