"""axe-core finds no serious or critical violation on any page a person can reach, at a
desktop width (1280 px) and a phone's (360 px), in the light and the dark scheme."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from playwright.sync_api import Browser

from e2e.conftest import serious_violations
from ml_pipeline.schema import default_passenger
from survival.models import Job, Prediction
from survival.registry.services import model_version_activate

pytestmark = pytest.mark.django_db(transaction=True)

PUBLIC_PAGES = [
    "/",
    "/?pclass=1&sex=female&age=30&sibsp=0&parch=0&fare=80&embarked=S",
    "/models/",
    "/models/{version}/",
    "/batch/",
    "/no-such-page/",
]
ADMIN_PAGES = [
    "/admin/survival/modelversion/",
    "/admin/survival/modelversion/{pk}/change/",
    "/admin/survival/modelversion/{other}/activate/",
    "/admin/survival/modelversion/{pk}/deactivate/",
    "/admin/operations/",
    "/admin/operations/{version}/",
    "/admin/survival/job/",
    "/admin/survival/job/train/",
    "/admin/survival/apikey/",
    "/admin/survival/apikey/add/",
    "/jobs/{job}/",
]


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [1280, 360])
def test_no_page_has_a_serious_violation(
    browser: Browser, live_server, version_with, width, scheme
):
    version = model_version_activate(version=version_with(roc_auc=0.86, brier=0.13))
    other = version_with(roc_auc=0.86, brier=0.13)
    # Logged predictions, some with feedback: the operations page draws every chart.
    for probability, outcome in ((0.2, 0), (0.7, 1), (0.9, 0), (0.4, None)):
        Prediction.objects.create(
            model_version=version,
            inputs=default_passenger(),
            probability=probability,
            survived=probability >= 0.5,
            outcome=outcome,
        )
    User.objects.create_superuser("auditor", "a@example.com", "an-auditors-password")
    # A training job, half-way: its page shows the progress bar and the step.
    job = Job.objects.create(
        kind=Job.Kind.TRAIN,
        state=Job.State.RUNNING,
        started_at=timezone.now(),
        progress=0.5,
        progress_message="Random forest (candidate 2 of 4), setting 1/3, fold 4/10",
    )
    context = browser.new_context(viewport={"width": width, "height": 800}, color_scheme=scheme)
    page = context.new_page()
    found = {}
    try:
        for address in PUBLIC_PAGES:
            page.goto(live_server.url + address.format(version=version.version))
            found[address] = serious_violations(page)
        page.goto(live_server.url + "/admin/login/")
        page.fill("#id_username", "auditor")
        page.fill("#id_password", "an-auditors-password")
        page.click("input[type=submit]")
        for address in ADMIN_PAGES:
            filled = address.format(
                pk=version.pk, other=other.pk, version=version.version, job=job.pk
            )
            page.goto(live_server.url + filled)
            found[address] = serious_violations(page)
    finally:
        context.close()
    assert {address: problems for address, problems in found.items() if problems} == {}


# Swagger UI draws each operation's summary as a button holding other buttons (copy, lock):
# its own markup, which the page cannot change. Everything else must pass; see the README.
SWAGGER_UI_OWN_MARKUP = "nested-interactive"


@pytest.mark.parametrize("width", [1280, 360])
def test_the_api_documentation_has_no_other_serious_violation(browser: Browser, live_server, width):
    context = browser.new_context(viewport={"width": width, "height": 800})
    page = context.new_page()
    try:
        page.goto(live_server.url + "/api/v1/docs")
        page.wait_for_selector(".opblock")
        assert page.get_attribute("html", "lang") == "en"
        problems = [
            problem
            for problem in serious_violations(page)
            if not problem.startswith(SWAGGER_UI_OWN_MARKUP)
        ]
    finally:
        context.close()
    assert problems == []
