"""The model pages: the list, the model card with its stored numbers and plots, and the
held-out metrics recomputed from the stored artifact and the recorded split."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.urls import reverse

from ml_pipeline.data import load_dataset
from ml_pipeline.evaluation import evaluate
from survival.models import ModelVersion
from survival.registry.artifacts import artifact_storage, load_pipeline
from survival.registry.services import model_version_make_challenger, model_version_register

pytestmark = pytest.mark.django_db


@pytest.fixture
def auto_version(trained_auto):
    return model_version_register(result=trained_auto, activate=True)


def test_the_held_out_metrics_recompute_from_the_stored_artifact_and_split(auto_version):
    dataset = load_dataset()
    assert dataset.sha256 == auto_version.data_sha256
    pipeline = load_pipeline(auto_version)
    holdout = auto_version.holdout_index
    train_rows = dataset.target.drop(index=holdout)
    recomputed = evaluate(
        pipeline,
        dataset.features.loc[holdout],
        dataset.target.loc[holdout],
        majority_class=int(train_rows.mode().iloc[0]),
        training_rate=float(train_rows.mean()),
    )
    assert recomputed == pytest.approx(auto_version.holdout_metrics, abs=1e-12)
    assert set(recomputed) == set(auto_version.holdout_metrics)


def test_the_list_shows_every_version_and_links_to_its_card(client, trained_logreg, auto_version):
    first = model_version_register(result=trained_logreg)
    response = client.get(reverse("survival:model_list"))
    assert response.status_code == HTTPStatus.OK
    page = response.content.decode()
    for version in (first, auto_version):
        assert reverse("survival:model_card", args=[version.version]) in page
    assert f"{auto_version.holdout_metrics['roc_auc']:.3f}" in page
    assert "active" in page


def test_the_card_shows_the_stored_numbers(client, auto_version):
    response = client.get(reverse("survival:model_card", args=[auto_version.version]))
    assert response.status_code == HTTPStatus.OK
    page = response.content.decode()
    assert f"Model card: version {auto_version.version}" in page
    assert auto_version.get_algorithm_display() in page
    cv, holdout = auto_version.cv_metrics, auto_version.holdout_metrics
    assert f"{cv['roc_auc']['mean']:.3f} ± {cv['roc_auc']['std']:.3f}" in page
    for metric in ["roc_auc", "accuracy", "brier", "average_precision", "log_loss", "f1"]:
        assert f"{holdout[metric]:.3f}" in page
    assert f"{holdout['baseline_accuracy']:.3f}" in page
    matrix = auto_version.evaluation["confusion_matrix"]
    assert f"<td>{matrix['tn']}</td><td>{matrix['fp']}</td>" in page
    # Every setting tried is listed, and the data and code it came from.
    for tried in auto_version.search["logreg"]:
        assert f"C={tried['params']['C']}" in page
    assert auto_version.data_sha256 in page
    assert auto_version.git_commit in page
    assert "Intended use and limits" in page
    assert "1st class (upper): " in page  # the data summary speaks the schema's words


def test_the_pages_say_when_a_version_is_broken_or_the_challenger(
    client, trained_logreg, auto_version
):
    # auto_version is the active one; an older version shadows it, and the active one's
    # file has gone missing.
    older = model_version_make_challenger(version=model_version_register(result=trained_logreg))
    reason = f"The model file for version {auto_version.version} cannot be read."
    ModelVersion.objects.filter(pk=auto_version.pk).update(broken_reason=reason)

    listing = client.get(reverse("survival:model_list")).content.decode()
    assert '<span class="badge text-bg-danger">broken</span>' in listing
    assert '<span class="badge text-bg-info">challenger</span>' in listing
    card_url = reverse("survival:model_card", args=[auto_version.version])
    assert f"Broken:</strong> {reason}" in client.get(card_url).content.decode()
    card = client.get(reverse("survival:model_card", args=[older.version])).content.decode()
    assert "its answers are logged, never shown" in card
    assert "Broken:" not in card


def test_the_card_shows_each_plot_from_the_storage(client, auto_version):
    page = client.get(reverse("survival:model_card", args=[auto_version.version])).content
    for name in ["roc", "calibration", "confusion", "importance"]:
        url = reverse("survival:model_plot", args=[auto_version.version, name])
        assert url.encode() in page
        response = client.get(url)
        assert response.status_code == HTTPStatus.OK
        assert response["Content-Type"] == "image/svg+xml"
        with artifact_storage().open(auto_version.plots[name], "rb") as stored:
            assert response.content == stored.read()
        # Opened on its own, a plot may draw itself with inline styles and do nothing else.
        directives = {part.strip() for part in response["Content-Security-Policy"].split(";")}
        assert directives == {"default-src 'none'", "style-src 'unsafe-inline'"}


def test_an_unknown_plot_or_version_is_not_found(client, auto_version):
    response = client.get(reverse("survival:model_plot", args=[auto_version.version, "secret"]))
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert client.get(reverse("survival:model_card", args=[99])).status_code == (
        HTTPStatus.NOT_FOUND
    )


def test_model_artifacts_are_never_reachable_over_http(client, auto_version):
    stem = auto_version.artifact_name.removesuffix(".joblib")
    for path in [
        f"/models/{auto_version.version}/plots/{stem}.svg",
        f"/models/{auto_version.version}/plots/{auto_version.artifact_name}",
        f"/models/{auto_version.version}/plots/..%2F{auto_version.artifact_name}",
        f"/artifacts/{auto_version.artifact_name}",
        f"/media/{auto_version.artifact_name}",
    ]:
        assert client.get(path).status_code == HTTPStatus.NOT_FOUND, path


def test_the_admin_links_to_each_card(admin_client, auto_version):
    response = admin_client.get(reverse("admin:survival_modelversion_changelist"))
    card = reverse("survival:model_card", args=[auto_version.version])
    assert f'href="{card}"' in response.content.decode()
    change = admin_client.get(reverse("admin:survival_modelversion_change", args=[auto_version.pk]))
    assert f'href="{card}"' in change.content.decode()


def test_the_header_links_to_the_model_list(client):
    page = client.get(reverse("survival:home")).content.decode()
    assert f'href="{reverse("survival:model_list")}"' in page
