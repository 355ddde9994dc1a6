"""Scoring a CSV of passengers with a registered version."""

from __future__ import annotations

import pandas as pd
import pytest

from ml_pipeline.data import BUNDLED_DATA, KAGGLE_COLUMNS, DataValidationError
from ml_pipeline.schema import to_frame
from survival.batch.services import passengers_score_csv
from survival.registry.artifacts import ModelUnavailableError
from survival.registry.selectors import ModelVersionNotFoundError
from survival.registry.services import model_version_deactivate

pytestmark = pytest.mark.django_db


def titanic_csv(rows: int) -> pd.DataFrame:
    return pd.read_csv(BUNDLED_DATA, dtype=str, keep_default_na=False).head(rows)


def as_kaggle_test(table: pd.DataFrame) -> bytes:
    kaggle = table.rename(columns={v: k for k, v in KAGGLE_COLUMNS.items()})
    kaggle = kaggle.drop(columns=["Survived", "boat", "body", "home.dest"])
    kaggle.insert(0, "PassengerId", range(892, 892 + len(kaggle)))
    return kaggle.to_csv(index=False).encode()


def test_a_kaggle_test_file_is_scored_row_by_row(active_version, trained_logreg):
    table = titanic_csv(20)
    result = passengers_score_csv(raw=as_kaggle_test(table), source="test.csv")
    assert result.version == active_version
    assert list(result.scored.columns) == ["PassengerId", "Survived", "Probability"]
    assert list(result.scored["PassengerId"]) == [str(i) for i in range(892, 912)]
    assert result.rejected == {}
    assert result.outcomes is None
    # The same numbers as the pipeline gives for the same rows.
    from ml_pipeline.data import check_rows

    expected = trained_logreg.pipeline.predict_proba(check_rows(table).features)[:, 1]
    assert list(result.scored["Probability"]) == pytest.approx(list(expected), abs=1e-12)
    assert list(result.scored["Survived"]) == [int(p >= 0.5) for p in expected]


def test_bad_rows_are_listed_by_line_and_the_rest_still_scored(active_version):
    table = titanic_csv(5)
    table.loc[1, "age"] = "twelve"
    table.loc[3, "survived"] = "maybe"
    result = passengers_score_csv(raw=table.to_csv(index=False).encode(), source="t.csv")
    assert result.rejected == {
        3: ["column 'age' must be a number"],
        5: ["column 'survived' must be 0 or 1"],
    }
    assert list(result.scored.index) == [2, 4, 6]
    assert "PassengerId" not in result.scored.columns
    assert list(result.outcomes) == [int(v) for v in table.loc[[0, 2, 4], "survived"]]
    assert result.total_rows == 5


def test_missing_columns_are_listed(active_version):
    raw = titanic_csv(3).drop(columns=["fare", "sex"]).to_csv(index=False).encode()
    with pytest.raises(DataValidationError, match="missing required columns: sex, fare"):
        passengers_score_csv(raw=raw, source="t.csv")


def test_a_pinned_version_must_exist(active_version):
    raw = titanic_csv(3).to_csv(index=False).encode()
    assert passengers_score_csv(raw=raw, source="t", version_number=1).version == active_version
    with pytest.raises(ModelVersionNotFoundError, match="no model version 99"):
        passengers_score_csv(raw=raw, source="t", version_number=99)


def test_without_an_active_version_scoring_is_refused(active_version):
    model_version_deactivate(version=active_version)
    with pytest.raises(ModelUnavailableError):
        passengers_score_csv(raw=titanic_csv(3).to_csv(index=False).encode(), source="t")


def test_to_frame_and_check_rows_agree_on_a_clean_row(trained_logreg):
    from ml_pipeline.data import check_rows

    table = titanic_csv(1)
    checked = check_rows(table).features
    again = to_frame(checked.to_dict("records"))
    assert checked.equals(again)
