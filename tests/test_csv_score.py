"""A whole CSV scored (`ml_pipeline.batch.csv_score`, what /batch, its job and the predict
command run): through the prepared pipeline, with the plain pipeline's probabilities."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from ml_pipeline.batch import SCORING_CHUNK, csv_score
from ml_pipeline.data import BUNDLED_DATA
from ml_pipeline.prepared import PreparedPipeline

TOLERANCE = 1e-9


@pytest.fixture(params=["logreg", "random_forest", "auto"])
def fitted(request, trained_logreg, trained_forest, trained_auto):
    trained = {"logreg": trained_logreg, "random_forest": trained_forest, "auto": trained_auto}
    return trained[request.param].pipeline


def bundled_twice() -> bytes:
    """The bundled passengers (missing ages, fares and ports among them) twice over: more
    rows than one chunk."""
    header, *lines = BUNDLED_DATA.read_text(encoding="utf-8").splitlines()
    return ("\n".join([header, *lines, *lines]) + "\n").encode()


def test_a_csv_gets_the_plain_pipelines_probabilities_in_one_call_or_in_chunks(fitted, titanic):
    expected = np.tile(fitted.predict_proba(titanic.features)[:, 1], 2)
    prepared = PreparedPipeline(fitted)
    assert prepared.quick
    reported: list[tuple[int, int]] = []
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        whole = csv_score(
            bundled_twice(), source="twice.csv", score=prepared.survival_probabilities
        )
        chunked = csv_score(
            bundled_twice(),
            source="twice.csv",
            score=prepared.survival_probabilities,
            progress=lambda done, total: reported.append((done, total)),
        )
    rows = 2 * 1309
    assert reported == [(SCORING_CHUNK, rows), (rows, rows)]
    for scores in (whole, chunked):
        assert scores.rejected == {}
        assert scores.total_rows == rows
        assert list(scores.scored.index) == list(range(2, rows + 2))
        probabilities = scores.scored["Probability"].to_numpy()
        assert np.abs(probabilities - expected).max() <= TOLERANCE
        assert list(scores.scored["Survived"]) == [int(p >= 0.5) for p in probabilities]
        assert list(scores.outcomes) == list(titanic.target) * 2


def test_a_file_without_a_valid_row_is_not_scored(trained_logreg):
    raw = b"pclass,sex,age,sibsp,parch,fare,embarked\n4,male,30,0,0,7,S\n1,man,30,0,0,7,S\n"
    calls: list[int] = []

    def score(columns):
        calls.append(len(columns["age"]))
        return PreparedPipeline(trained_logreg.pipeline).survival_probabilities(columns)

    scores = csv_score(raw, source="bad.csv", score=score)
    assert calls == []
    assert scores.scored.empty
    assert scores.rejected == {
        2: ["column 'pclass' must be one of 1, 2, 3"],
        3: ["column 'sex' must be one of female, male"],
    }
