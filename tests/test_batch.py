"""The /batch page, through Django's test client: uploads with and without htmx, the summary,
the listed problems and the download."""

from __future__ import annotations

import csv
import io
from http import HTTPStatus

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from ml_pipeline.data import BUNDLED_DATA
from survival.batch.uploads import FILE_TOO_LARGE, NO_FILE, NOT_CSV, TOO_MANY_ROWS
from survival.models import Prediction
from survival.registry.services import model_version_deactivate

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
BATCH = "/batch/"

KAGGLE_TEST = (
    "PassengerId,Pclass,Name,Sex,Age,SibSp,Parch,Ticket,Fare,Cabin,Embarked\n"
    '892,3,"Kelly, Mr. James",male,34.5,0,0,330911,7.8292,,Q\n'
    '893,3,"Wilkes, Mrs. James (Ellen Needs)",female,47,1,0,363272,7,,S\n'
    '894,2,"Myles, Mr. Thomas Francis",male,62,0,0,240276,9.6875,,Q\n'
    '895,1,"Astor, Mrs. John",female,,1,0,PC 17757,,C62,C\n'
)


def upload(client, content: bytes | str, name: str = "passengers.csv", **headers):
    data = content.encode() if isinstance(content, str) else content
    return client.post(BATCH, {"file": SimpleUploadedFile(name, data)}, **headers)


def download(client, response) -> list[dict[str, str]]:
    html = response.content.decode()
    start = html.index('id="batch-download" href="') + len('id="batch-download" href="')
    url = html[start : html.index('"', start)]
    downloaded = client.get(url)
    assert downloaded.status_code == HTTPStatus.OK
    assert downloaded["Content-Type"].startswith("text/csv")
    assert downloaded["Content-Disposition"].startswith("attachment;")
    return list(csv.DictReader(io.StringIO(downloaded.content.decode())))


def test_the_page_has_an_upload_form_that_works_with_and_without_htmx(client, active_version):
    response = client.get(BATCH)
    assert response.status_code == HTTPStatus.OK
    html = response.content.decode()
    assert f'action="{BATCH}"' in html
    assert f'hx-post="{BATCH}"' in html
    assert 'enctype="multipart/form-data"' in html
    assert 'type="file"' in html
    assert 'hx-indicator="#batch-progress"' in html
    assert "10 MB" in html
    assert "200,000 rows" in html


def test_a_kaggle_test_file_is_scored_and_downloaded_as_a_submission(client, active_version):
    response = upload(client, KAGGLE_TEST, name="test.csv")
    assert response.status_code == HTTPStatus.OK
    html = response.content.decode()
    assert "<html" in html
    assert 'class="col-sm-6 scored-rows">4<' in html
    assert 'class="col-sm-6 rejected-rows">0<' in html
    assert "Predicted survival rate" in html
    assert "Accuracy" not in html
    rows = download(client, response)
    assert [row["PassengerId"] for row in rows] == ["892", "893", "894", "895"]
    assert [row["line"] for row in rows] == ["2", "3", "4", "5"]
    assert rows[0]["Name"] == "Kelly, Mr. James"
    assert list(rows[0]) == [
        "line",
        "PassengerId",
        "Name",
        "survived",
        "probability",
        "model_version",
        "error",
    ]
    assert {row["survived"] for row in rows} <= {"0", "1"}
    for row in rows:
        probability = float(row["probability"])
        assert 0 <= probability <= 1
        assert row["survived"] == str(int(probability >= 0.5))
        assert row["model_version"] == str(active_version.version)
        assert row["error"] == ""
    # Bulk scoring is not a visitor's prediction: nothing goes to the prediction log.
    assert not Prediction.objects.exists()


def test_an_htmx_upload_answers_with_the_summary_only(client, active_version):
    response = upload(client, KAGGLE_TEST, **HTMX)
    assert response.status_code == HTTPStatus.OK
    html = response.content.decode()
    assert "<html" not in html
    assert 'id="batch-summary"' in html
    assert 'id="batch-download"' in html
    assert "HX-Request" in response["Vary"]


def test_a_titanic3_file_with_outcomes_shows_accuracy_and_roc_auc(client, active_version):
    response = upload(client, BUNDLED_DATA.read_bytes(), name="titanic3.csv")
    assert response.status_code == HTTPStatus.OK
    html = response.content.decode()
    assert 'class="col-sm-6 scored-rows">1309<' in html
    accuracy = float(html.split('class="col-sm-6 accuracy">')[1].split("<")[0])
    roc_auc = float(html.split('class="col-sm-6 roc-auc">')[1].split("<")[0])
    assert 0.75 <= accuracy <= 1
    assert 0.8 <= roc_auc <= 1
    rows = download(client, response)
    assert len(rows) == 1309
    # titanic3 has no PassengerId column: its id column is the name.
    assert list(rows[0]) == ["line", "name", "survived", "probability", "model_version", "error"]
    assert rows[0]["name"] == "Allen, Miss. Elisabeth Walton"


def test_the_preview_shows_the_first_rows(client, active_version):
    html = upload(client, KAGGLE_TEST).content.decode()
    preview = html.split('id="batch-preview"')[1].split("</table>")[0]
    assert preview.count("<tr>") == 5  # the header and four rows
    assert "<td>892</td>" in preview


def test_bad_rows_are_listed_by_line_and_the_others_scored(client, active_version):
    content = KAGGLE_TEST.replace("34.5", "old").replace(",female,47,", ",woman,47,")
    response = upload(client, content)
    assert response.status_code == HTTPStatus.OK
    html = response.content.decode()
    assert 'class="col-sm-6 scored-rows">2<' in html
    assert 'class="col-sm-6 rejected-rows">2<' in html
    assert "Line 2: column &#x27;age&#x27; must be a number" in html
    assert "Line 3: column &#x27;sex&#x27; must be one of female, male" in html
    # The download keeps every line: the rejected ones with their reason and no answer.
    rows = download(client, response)
    assert [row["PassengerId"] for row in rows] == ["892", "893", "894", "895"]
    assert [row["error"] for row in rows] == [
        "column 'age' must be a number",
        "column 'sex' must be one of female, male",
        "",
        "",
    ]
    assert [row["survived"] for row in rows[:2]] == ["", ""]
    assert [row["probability"] for row in rows[:2]] == ["", ""]


def test_missing_columns_are_listed(client, active_version):
    content = "PassengerId,Pclass,Name,Age\n1,3,x,22\n"
    response = upload(client, content, **HTMX)
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    html = response.content.decode()
    assert "missing required columns: sex, sibsp, parch, fare, embarked" in html
    assert 'id="batch-download"' not in html


@pytest.mark.parametrize("headers", [HTMX, {}], ids=["htmx", "plain"])
@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (KAGGLE_TEST, "passengers.xlsx", NOT_CSV.format(name="passengers.xlsx")),
        (KAGGLE_TEST.replace("Kelly", "Kéllý").encode("latin-1"), "x.csv", "not UTF-8 text"),
        (b"\x89PNG\r\n\x1a\n\x00\x00binary", "image.csv", "not UTF-8 text"),
        ("", "empty.csv", "the file is empty"),
        (KAGGLE_TEST.splitlines()[0] + "\n", "header.csv", "the file has a header but no rows"),
        ('a,"b\n1,2', "broken.csv", "not a readable CSV file"),
    ],
)
def test_files_that_cannot_be_scored_get_a_clear_error(
    client, active_version, content, name, message, headers
):
    response = upload(client, content, name=name, **headers)
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    html = response.content.decode()
    assert 'id="batch-problem"' in html
    assert message in html
    assert not Prediction.objects.exists()


def test_no_file_gets_a_clear_error(client, active_version):
    response = client.post(BATCH, {})
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert NO_FILE in response.content.decode()


def test_a_file_over_the_size_limit_is_refused(client, settings, active_version):
    settings.BATCH_MAX_UPLOAD_BYTES = 100
    response = upload(client, KAGGLE_TEST)
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    size = len(KAGGLE_TEST.encode()) / 1024 / 1024
    expected = FILE_TOO_LARGE.format(size=size, limit=100 / 1024 / 1024)
    assert expected in response.content.decode()


def test_a_file_over_the_row_limit_is_refused(client, settings, active_version):
    settings.BATCH_MAX_ROWS = 3
    response = upload(client, KAGGLE_TEST)
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert TOO_MANY_ROWS.format(rows=4, limit=3) in response.content.decode()


def test_without_a_model_the_upload_is_refused_with_503(client, active_version):
    model_version_deactivate(version=active_version)
    response = upload(client, KAGGLE_TEST, **HTMX)
    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert "No model is available right now." in response.content.decode()


def test_an_unknown_download_is_not_found(client, active_version):
    unknown = "00000000-0000-4000-8000-000000000000"
    response = client.get(reverse("survival:job_download", args=[unknown]))
    assert response.status_code == HTTPStatus.NOT_FOUND


def test_the_site_footer_links_to_the_batch_page(client):
    assert f'href="{BATCH}"' in client.get("/").content.decode()
