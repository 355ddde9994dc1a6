"""What an admin reads: the version list with the state second, reasons in full, a version's
page without Save buttons, its JSON as tables to three decimals, its live numbers and model
card at the top; the prediction log to three decimals and read-only."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from ml_pipeline.schema import default_passenger
from survival.models import ModelActivation, Prediction
from survival.predictions.services import predict_survival

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:survival_modelversion_changelist")
SAVE_BUTTON = re.compile(r'<input[^>]*type="submit"[^>]*name="_(save|continue|addanother)"')
LONG_REASON = (
    "Trying the forest for a week because the calibration of the active version drifted on "
    "third-class passengers after the data refresh; roll back if the live Brier score rises "
    "above 0.150."
)


def header_texts(html: str) -> list[str]:
    """The result list's column headers, in order, without the selection checkbox."""
    head = re.search(r'<table id="result_list">.*?<thead>(.*?)</thead>', html, re.S).group(1)
    cells = re.findall(r'<th scope="col"\s+class="([^"]*)">(.*?)</th>', head, re.S)
    return [
        re.sub(r"<[^>]+>|\s+", " ", text).strip()
        for classes, text in cells
        if "action-checkbox-column" not in classes
    ]


def test_the_state_is_the_second_column_after_the_version(admin_client, active_version):
    html = admin_client.get(CHANGELIST).content.decode()
    headers = header_texts(html)
    assert headers[:2] == ["Version", "State"]
    row = re.search(r"<tbody>\s*<tr>(.*?)</tr>", html, re.S).group(1)
    assert re.search(r'<td class="field-state">Active</td>', row)


def test_the_list_shows_metrics_to_three_decimals_under_short_headers(admin_client, active_version):
    html = admin_client.get(CHANGELIST).content.decode()
    assert header_texts(html)[2:] == [
        "Algorithm",
        "CV AUC",
        "AUC",
        "Accuracy",
        "Brier",
        "Rows",
        "Trained",
        "Pages",
    ]
    brier = active_version.metric("holdout", "brier")
    assert f'<td class="field-holdout_brier">{brier:.3f}</td>' in html
    assert "Live numbers of version" in re.sub(r"<[^>]+>", "", html)


def test_the_activation_history_shows_each_reason_in_full(admin_client, active_version):
    ModelActivation.objects.create(
        from_version=None,
        to_version=active_version,
        by=None,
        at=timezone.now(),
        reason=LONG_REASON,
    )
    listed = admin_client.get(reverse("admin:survival_modelactivation_changelist"))
    assert f'<td class="field-reason">{LONG_REASON}</td>' in listed.content.decode()
    page = admin_client.get(reverse("admin:survival_modelversion_change", args=[active_version.pk]))
    assert f"<td>{LONG_REASON}</td>" in page.content.decode()
    # The stylesheet that lets the reason column wrap instead of shrinking to a sliver.
    assert "css/admin-registry.css" in listed.content.decode()


def test_a_versions_page_has_no_save_buttons(admin_client, active_version):
    url = reverse("admin:survival_modelversion_change", args=[active_version.pk])
    response = admin_client.get(url)
    assert response.status_code == 200
    assert not SAVE_BUTTON.search(response.content.decode())
    assert "Save" not in re.sub(r"<[^>]+>", "", response.content.decode())


def test_a_versions_page_opens_with_the_model_card_and_the_live_numbers(
    admin_client, active_version
):
    url = reverse("admin:survival_modelversion_change", args=[active_version.pk])
    html = admin_client.get(url).content.decode()
    card = reverse("survival:model_card", args=[active_version.version])
    card_at = html.index(f'<a href="{card}">Model card of version {active_version.version}</a>')
    live_at = html.index('<section id="live-numbers"')
    first_field = html.index('class="form-row field-version"')
    assert card_at < live_at < first_field
    assert f'href="{reverse("ops:version", args=[active_version.version])}"' in html[:live_at]


def test_a_versions_json_reads_as_tables_with_the_raw_json_behind_a_disclosure(
    admin_client, active_version
):
    url = reverse("admin:survival_modelversion_change", args=[active_version.pk])
    html = admin_client.get(url).content.decode()
    cv = active_version.cv_metrics["roc_auc"]
    assert f'<th scope="row">roc_auc</th><td>{cv["mean"]:.3f} ± {cv["std"]:.3f}</td>' in html
    accuracy = active_version.holdout_metrics["accuracy"]
    assert f'<th scope="row">accuracy</th><td>{accuracy:.3f}</td>' in html
    assert html.count("<summary>Raw JSON</summary>") >= 10
    # Sixteen-decimal floats appear only inside the disclosures.
    outside = re.sub(r'<details class="raw-json">.*?</details>', "", html, flags=re.S)
    assert str(accuracy) not in outside
    assert str(accuracy) in html
    for name in ("params", "search", "evaluation", "candidates"):
        assert not re.search(rf'name="{name}"', html)


def test_tiny_parameters_are_not_rounded_to_zero(admin_client, active_version):
    active_version.params = {**active_version.params, "tol": 0.0001}
    active_version.save()
    url = reverse("admin:survival_modelversion_change", args=[active_version.pk])
    html = admin_client.get(url).content.decode()
    assert '<th scope="row">tol</th><td>0.0001</td>' in html


def test_the_prediction_log_shows_three_decimals_and_no_save_buttons(admin_client, active_version):
    predict_survival(passenger=default_passenger())
    logged = Prediction.objects.get()
    listed = admin_client.get(reverse("admin:survival_prediction_changelist")).content.decode()
    assert f'<td class="field-probability_shown">{logged.probability:.3f}</td>' in listed
    assert str(logged.probability) not in listed
    page = admin_client.get(reverse("admin:survival_prediction_change", args=[logged.pk]))
    html = page.content.decode()
    assert f"{logged.probability:.3f}" in html
    assert str(logged.probability) not in html
    assert not SAVE_BUTTON.search(html)
