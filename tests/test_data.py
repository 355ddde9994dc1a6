"""Loading and validating training data: both layouts, and a clear message for bad data."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from ml_pipeline.data import (
    BUNDLED_DATA,
    KAGGLE_COLUMNS,
    DataValidationError,
    check_rows,
    load_dataset,
    missing_columns,
    read_csv_table,
)
from ml_pipeline.schema import FEATURE_NAMES


def titanic_table() -> pd.DataFrame:
    return pd.read_csv(BUNDLED_DATA, dtype=str, keep_default_na=False)


def write(tmp_path: Path, table: pd.DataFrame, name: str = "data.csv") -> Path:
    path = tmp_path / name
    table.to_csv(path, index=False)
    return path


def test_bundled_data_loads_with_every_row(titanic):
    assert titanic.rows == 1309
    assert int(titanic.target.sum()) == 500
    assert len(titanic.sha256) == 64


def test_kaggle_layout_is_accepted(tmp_path):
    table = titanic_table().head(200)
    kaggle = table.rename(columns={v: k for k, v in KAGGLE_COLUMNS.items()})
    kaggle.insert(0, "PassengerId", range(1, len(kaggle) + 1))
    dataset = load_dataset(write(tmp_path, kaggle.drop(columns=["boat", "body", "home.dest"])))
    assert dataset.rows == 200
    assert list(dataset.features.columns) == list(FEATURE_NAMES)


def test_outcome_leaking_and_identifying_columns_are_never_features(titanic):
    for column in ("boat", "body", "home.dest", "name", "ticket", "cabin"):
        assert column not in titanic.features.columns


def test_missing_required_columns_are_listed(tmp_path):
    path = write(tmp_path, titanic_table().drop(columns=["age", "fare"]))
    with pytest.raises(DataValidationError, match="missing required columns: age, fare"):
        load_dataset(path)


def test_an_empty_file_is_refused(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_text("")
    with pytest.raises(DataValidationError, match="empty"):
        load_dataset(path)


def test_a_header_without_rows_is_refused(tmp_path):
    path = tmp_path / "header.csv"
    path.write_text(",".join(titanic_table().columns) + "\n")
    with pytest.raises(DataValidationError, match="no rows"):
        load_dataset(path)


def test_an_unknown_file_is_refused(tmp_path):
    with pytest.raises(DataValidationError, match="no such file"):
        load_dataset(tmp_path / "nowhere.csv")


def test_text_in_a_number_column_names_the_column_and_line(tmp_path):
    table = titanic_table()
    table.loc[3, "age"] = "old"
    with pytest.raises(DataValidationError, match=r"column 'age' must be a number \(lines 5\)"):
        load_dataset(write(tmp_path, table))


def test_an_unknown_category_names_the_allowed_values(tmp_path):
    table = titanic_table()
    table.loc[0, "pclass"] = "7"
    with pytest.raises(DataValidationError, match=r"column 'pclass' must be one of 1, 2, 3"):
        load_dataset(write(tmp_path, table))


def test_a_target_that_is_not_0_or_1_is_refused(tmp_path):
    table = titanic_table()
    table.loc[10, "survived"] = "yes"
    with pytest.raises(DataValidationError, match=r"'survived' must be 0 or 1 \(lines 12\)"):
        load_dataset(write(tmp_path, table))


def test_a_single_class_is_refused(tmp_path):
    table = titanic_table()
    table["survived"] = "1"
    with pytest.raises(DataValidationError, match="only one class"):
        load_dataset(write(tmp_path, table))


def test_out_of_range_values_are_refused(tmp_path):
    table = titanic_table()
    table.loc[0, "fare"] = "-5"
    with pytest.raises(DataValidationError, match="'fare' must be between 0 and 600"):
        load_dataset(write(tmp_path, table))


def test_a_binary_file_is_refused_with_a_message(tmp_path):
    path = tmp_path / "model.csv"
    path.write_bytes(bytes(range(256)) * 10)
    with pytest.raises(DataValidationError):
        load_dataset(path)


def test_rows_are_checked_one_by_one_for_scoring():
    table = titanic_table().head(4).drop(columns=["survived"]).reset_index(drop=True)
    table.loc[1, "age"] = "old"
    table.loc[2, "pclass"] = "9"
    table.loc[2, "fare"] = "-1"
    checked = check_rows(table)
    assert list(checked.valid) == [True, False, False, True]
    assert checked.rejected_lines() == {
        3: ["column 'age' must be a number"],
        4: ["column 'pclass' must be one of 1, 2, 3", "column 'fare' must be between 0 and 600"],
    }
    assert list(checked.features.columns) == list(FEATURE_NAMES)


def test_a_class_may_be_spelled_as_a_decimal_or_with_spaces():
    table = titanic_table().head(5).drop(columns=["survived"]).reset_index(drop=True)
    table["pclass"] = ["1.0", " 2 ", "3", "2.5", "one"]
    table.loc[0, "sex"] = " female "
    checked = check_rows(table)
    assert list(checked.valid) == [True, True, True, False, False]
    assert list(checked.features["pclass"][:3]) == [1.0, 2.0, 3.0]
    assert checked.features.loc[0, "sex"] == "female"
    assert checked.rejected_lines() == {
        5: ["column 'pclass' must be one of 1, 2, 3"],
        6: ["column 'pclass' must be one of 1, 2, 3"],
    }


def test_a_kaggle_test_file_without_the_target_has_every_feature_column():
    kaggle = titanic_table().head(3).rename(columns={v: k for k, v in KAGGLE_COLUMNS.items()})
    kaggle = kaggle.drop(columns=["Survived"])
    table = read_csv_table(kaggle.to_csv(index=False).encode(), source="test.csv")
    assert missing_columns(table, with_target=False) == []
    assert missing_columns(table, with_target=True) == ["survived"]


def test_text_that_is_not_utf8_is_refused():
    with pytest.raises(DataValidationError, match="not UTF-8"):
        read_csv_table("pclass,sex\n1,männlich\n".encode("latin-1"), source="upload.csv")


def test_a_bad_value_is_reported_on_every_line_that_holds_it():
    table = titanic_table().head(8).drop(columns=["survived"]).reset_index(drop=True)
    table["age"] = ["old", "30", "old", "", " old ", "30", "1e3", "old"]
    table.loc[[1, 5], "sibsp"] = "1.5"
    checked = check_rows(table)
    assert checked.rejected_lines() == {
        2: ["column 'age' must be a number"],
        3: ["column 'sibsp' must be a whole number"],
        4: ["column 'age' must be a number"],
        6: ["column 'age' must be a number"],
        7: ["column 'sibsp' must be a whole number"],
        8: ["column 'age' must be between 0 and 100"],
        9: ["column 'age' must be a number"],
    }
    assert list(checked.features["age"].isna()) == [
        True,
        False,
        True,
        True,
        True,
        False,
        True,
        True,
    ]
    assert list(checked.features["age"][[1, 5]]) == [30.0, 30.0]
