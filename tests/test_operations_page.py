"""The operations pages: each version's logged predictions and feedback per day, live
accuracy and calibration against feedback, counted from rows the tests write and compared
with numbers worked out by hand; their charts, empty states and who may see them."""

from __future__ import annotations

import base64
import re
from datetime import UTC, datetime, time, timedelta
from http import HTTPStatus

import pytest
from django.contrib.auth.models import Permission, User
from django.urls import reverse
from django.utils import timezone

from ml_pipeline.schema import default_passenger
from survival.models import ModelVersion, Prediction
from survival.ops.forms import DAYS_INVALID
from survival.ops.selectors import (
    ops_version_activity,
    ops_version_daily,
    ops_version_reliability,
    ops_versions_activity,
)

pytestmark = pytest.mark.django_db

OVERVIEW = reverse("ops:overview")

# (probability, outcome, days ago answered, days ago the outcome was reported)
LOGGED = [
    (0.05, 0, 0, 0),  # said died, right; bin 0
    (0.15, 1, 0, 0),  # said died, wrong; bin 1
    (0.15, 0, 1, 0),  # said died, right; bin 1
    (0.85, 1, 1, 1),  # said survived, right; bin 8
    (0.85, 0, 2, 1),  # said survived, wrong; bin 8
    (0.95, 1, 2, 2),  # said survived, right; bin 9
    (1.0, 1, 5, 3),  # said survived, right; 1.0 is in the last bin
    (0.30, None, 0, None),  # no feedback
    (0.70, None, 40, None),  # older than 30 days, no feedback
    (0.45, 1, 40, 35),  # older than 30 days, said died, wrong; bin 4
]
# Worked out from LOGGED by hand.
PREDICTIONS, WITH_FEEDBACK, RIGHT = 10, 8, 5
BRIER = (0.0025 + 0.7225 + 0.0225 + 0.0225 + 0.7225 + 0.0025 + 0 + 0.3025) / 8  # 0.2246875


def at_noon(days_ago: int) -> datetime:
    day = timezone.localdate() - timedelta(days=days_ago)
    return datetime.combine(day, time(12), tzinfo=UTC)


def log(version: ModelVersion, probability: float, outcome: int | None, answered: int, told):
    row = Prediction.objects.create(
        model_version=version,
        inputs=default_passenger(),
        probability=probability,
        survived=probability >= 0.5,
        outcome=outcome,
    )
    # created_at is set on insert; the day it belongs to is the test's to choose.
    Prediction.objects.filter(pk=row.pk).update(
        created_at=at_noon(answered), outcome_at=None if told is None else at_noon(told)
    )


@pytest.fixture
def logged(active_version, version_with) -> ModelVersion:
    for row in LOGGED:
        log(active_version, *row)
    # Another version's predictions count for that version only.
    other = version_with(roc_auc=0.86, brier=0.13)
    log(other, 0.1, 1, 0, 0)
    return active_version


def text_of(html: str, element_id: str) -> str:
    """The element's text with tags and runs of white space collapsed."""
    found = re.search(rf'<(\w+) id="{element_id}".*?</\1>', html, re.S)
    assert found, element_id
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", found.group(0))).strip()


def row_of(html: str, table_id: str, header: str) -> list[str]:
    """The cells of the row whose header cell reads `header`, in the table `table_id`."""
    table = re.search(rf'<table id="{table_id}".*?</table>', html, re.S).group(0)
    for row in re.findall(r"<tr>(.*?)</tr>", table, re.S):
        cells = [
            re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", cell)).strip()
            for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
        ]
        if cells and cells[0] == header:
            return cells[1:]
    raise AssertionError(f"no row {header!r} in {table_id}")


def test_a_versions_totals_against_hand_worked_numbers(logged):
    activity = ops_version_activity(version=logged)
    assert (activity.predictions, activity.with_feedback, activity.right) == (
        PREDICTIONS,
        WITH_FEEDBACK,
        RIGHT,
    )
    assert activity.accuracy == pytest.approx(5 / 8)
    assert activity.brier == pytest.approx(BRIER)
    assert activity.first_at == at_noon(40)
    assert activity.last_at == at_noon(0)


def test_every_version_is_listed_with_its_own_totals(logged):
    by_number = {row.version.version: row for row in ops_versions_activity()}
    assert len(by_number) == 2
    mine = by_number[logged.version]
    assert (mine.predictions, mine.with_feedback, mine.right) == (10, 8, 5)
    assert mine.brier == pytest.approx(BRIER)
    other = next(row for number, row in by_number.items() if number != logged.version)
    assert (other.predictions, other.with_feedback, other.right, other.accuracy) == (1, 1, 0, 0)


def test_predictions_and_feedback_are_counted_per_day(logged):
    daily = ops_version_daily(version=logged, days=30)
    today = timezone.localdate()
    assert [row.day for row in daily] == [today - timedelta(days=29 - n) for n in range(30)]
    by_age = {(today - row.day).days: row for row in daily}
    assert (by_age[0].predictions, by_age[0].feedback_received) == (3, 3)
    assert (by_age[0].with_feedback, by_age[0].right, by_age[0].accuracy) == (2, 1, 0.5)
    assert (by_age[1].predictions, by_age[1].feedback_received, by_age[1].accuracy) == (2, 2, 1.0)
    assert (by_age[2].predictions, by_age[2].feedback_received, by_age[2].accuracy) == (2, 1, 0.5)
    assert (by_age[3].predictions, by_age[3].feedback_received, by_age[3].accuracy) == (0, 1, None)
    assert (by_age[5].predictions, by_age[5].right) == (1, 1)
    assert sum(row.predictions for row in daily) == 8
    assert sum(row.feedback_received for row in daily) == 7
    # 90 days reach the two predictions answered 40 days ago and the outcome told at 35.
    longer = {(today - row.day).days: row for row in ops_version_daily(version=logged, days=90)}
    assert (longer[40].predictions, longer[40].with_feedback, longer[40].right) == (2, 1, 0)
    assert longer[35].feedback_received == 1


def test_the_reliability_bins_hold_the_predictions_with_feedback(logged):
    bins = ops_version_reliability(version=logged)
    assert [(row.lower, row.upper) for row in bins] == [(n / 10, (n + 1) / 10) for n in range(10)]
    filled = {
        index: (row.predictions, row.survivors, round(row.mean_probability, 6))
        for index, row in enumerate(bins)
        if row.predictions
    }
    assert filled == {
        0: (1, 0, 0.05),
        1: (2, 1, 0.15),
        4: (1, 1, 0.45),
        8: (2, 1, 0.85),
        9: (2, 2, 0.975),
    }
    assert bins[8].observed_rate == 0.5
    assert bins[3].observed_rate is None
    assert sum(row.predictions for row in bins) == WITH_FEEDBACK


def test_the_version_page_shows_the_numbers_and_three_charts(admin_client, logged):
    response = admin_client.get(reverse("ops:version", args=[logged.version]))
    assert response.status_code == HTTPStatus.OK
    html = response.content.decode()
    assert row_of(html, "operations-summary", "Predictions answered") == ["10"]
    assert row_of(html, "operations-summary", "With feedback") == ["8 (0.800 of them)"]
    assert row_of(html, "operations-summary", "Live accuracy (on feedback)") == [
        "0.625 (5 of 8 right)"
    ]
    assert row_of(html, "operations-summary", "Live Brier score (on feedback)") == ["0.225"]
    today = timezone.localdate()
    assert row_of(html, "daily-numbers", f"{today:%Y-%m-%d}") == ["3", "3", "2", "1", "0.500"]
    three_days_ago = today - timedelta(days=3)
    assert row_of(html, "daily-numbers", f"{three_days_ago:%Y-%m-%d}") == [
        "0",
        "1",
        "0",
        "0",
        "—",
    ]
    assert row_of(html, "reliability-numbers", "0.8 to 0.9") == ["2", "0.850", "1", "0.500"]
    assert row_of(html, "reliability-numbers", "0.9 to 1.0 (inclusive)") == [
        "2",
        "0.975",
        "2",
        "1.000",
    ]
    assert row_of(html, "reliability-numbers", "0.3 to 0.4") == ["0", "—", "0", "—"]

    images = re.findall(r'<img src="data:image/svg\+xml;base64,([^"]+)"[^>]*alt="([^"]+)"', html)
    assert len(images) == 3
    for encoded, alt in images:
        svg = base64.b64decode(encoded).decode()
        title = re.search(r"<title>(.*?)</title>", svg).group(1)
        assert alt.startswith(title)
    daily_svg = base64.b64decode(images[0][0]).decode()
    assert "<desc>From " in daily_svg
    assert "8 predictions answered and 7 outcomes reported" in images[0][1]
    assert "Over all feedback the accuracy is 0.625" in images[1][1]
    assert "8 predictions with feedback, in 5 bins" in images[2][1]


def test_the_period_can_be_chosen_and_a_wrong_one_is_refused(admin_client, logged):
    url = reverse("ops:version", args=[logged.version])
    week = admin_client.get(url, {"days": "7"}).content.decode()
    table = re.search(r'<table id="daily-numbers".*?</table>', week, re.S).group(0)
    assert table.count('<th scope="row">') == 7
    refused = admin_client.get(url, {"days": "5"})
    assert refused.status_code == HTTPStatus.BAD_REQUEST
    html = refused.content.decode()
    assert DAYS_INVALID in text_of(html, "id_days_error")
    assert 'id="daily-numbers"' not in html
    # The totals and the calibration do not depend on the period.
    assert row_of(html, "operations-summary", "Predictions answered") == ["10"]
    assert 'id="reliability-numbers"' in html


def test_a_version_without_predictions_says_there_is_nothing_to_draw(admin_client, active_version):
    html = admin_client.get(reverse("ops:version", args=[active_version.version])).content.decode()
    assert "has answered no logged prediction yet" in text_of(html, "operations-empty")
    assert row_of(html, "operations-summary", "Live accuracy (on feedback)") == ["—"]
    assert "<img" not in html


def test_predictions_without_feedback_draw_only_the_daily_chart(admin_client, active_version):
    log(active_version, 0.4, None, 0, None)
    html = admin_client.get(reverse("ops:version", args=[active_version.version])).content.decode()
    assert html.count('<img src="data:image/svg+xml') == 1
    assert "No feedback yet" in text_of(html, "accuracy-empty")
    assert "No feedback yet" in text_of(html, "calibration-empty")


def test_the_overview_lists_every_version_with_its_numbers(admin_client, logged):
    html = admin_client.get(OVERVIEW).content.decode()
    cells = row_of(html, "operations-versions", f"Version {logged.version}")
    assert cells[:6] == ["Logistic regression", "active", "10", "8", "0.625", "0.225"]
    assert reverse("ops:version", args=[logged.version]) in html
    assert 'id="operations-empty"' not in html


def test_the_overview_says_when_nothing_was_logged(admin_client, active_version):
    html = admin_client.get(OVERVIEW).content.decode()
    assert "No prediction has been logged yet" in text_of(html, "operations-empty")
    cells = row_of(html, "operations-versions", f"Version {active_version.version}")
    assert cells[1:6] == ["active", "0", "0", "—", "—"]


def test_only_staff_who_may_see_the_registry_see_the_pages(client, logged):
    pages = [OVERVIEW, reverse("ops:version", args=[logged.version])]
    for url in pages:
        response = client.get(url)
        assert response.status_code == HTTPStatus.FOUND
        assert response["Location"].startswith(reverse("admin:login"))
    staff = User.objects.create_user("watcher", password="a long password 1", is_staff=True)
    client.force_login(staff)
    for url in pages:
        assert client.get(url).status_code == HTTPStatus.FORBIDDEN
    staff.user_permissions.set(Permission.objects.filter(codename="view_modelversion"))
    for url in pages:
        assert client.get(url).status_code == HTTPStatus.OK


def test_an_unknown_version_is_404(admin_client, active_version):
    assert admin_client.get(reverse("ops:version", args=[999])).status_code == 404


def test_the_admin_links_to_the_operations_pages(admin_client, logged):
    versions = admin_client.get(reverse("admin:survival_modelversion_changelist"))
    assert f'href="{OVERVIEW}"' in versions.content.decode()
    page = admin_client.get(reverse("admin:survival_modelversion_change", args=[logged.pk]))
    assert f'href="{reverse("ops:version", args=[logged.version])}"' in page.content.decode()
