"""Activations and predictions at the same time, in threads with their own database
connections: real concurrent transactions on whichever database the suite runs against
(SQLite by default, PostgreSQL with DATABASE_URL)."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from http import HTTPStatus

import pytest
from django.db import connections
from django.test import Client

from ml_pipeline.schema import default_passenger
from survival.models import ModelActivation, ModelVersion, Prediction
from survival.registry.services import model_version_activate, model_version_register

pytestmark = pytest.mark.django_db(transaction=True)

# Bounds, so that a broken run ends instead of hanging.
JOIN_SECONDS = 120
MAX_REQUESTS_PER_CLIENT = 300


def run_in_threads(*targets: Callable[[], None]) -> list[BaseException]:
    """Runs each target in its own thread (each with its own database connection) and
    returns what they raised."""
    errors: list[BaseException] = []

    def wrapped(target: Callable[[], None]) -> None:
        try:
            target()
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=wrapped, args=(target,)) for target in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(JOIN_SECONDS)
        assert not thread.is_alive(), "a thread did not finish"
    return errors


def test_two_simultaneous_activations_leave_exactly_one_active(trained_logreg, trained_forest):
    model_version_register(result=trained_logreg, activate=True)
    contenders = [
        model_version_register(result=trained_logreg),
        model_version_register(result=trained_forest),
    ]
    for _ in range(5):
        start = threading.Barrier(len(contenders))

        def activate(version: ModelVersion, start: threading.Barrier) -> Callable[[], None]:
            def go() -> None:
                start.wait()
                model_version_activate(version=version, reason="race")

            return go

        errors = run_in_threads(*(activate(version, start) for version in contenders))
        assert errors == []
        active = list(ModelVersion.objects.filter(is_active=True))
        assert len(active) == 1
        assert active[0] in contenders
        # They ran one after the other: the second saw the first one's result, and the
        # record says so.
        second, first = ModelActivation.objects.order_by("-at", "-pk")[:2]
        assert {first.to_version, second.to_version} == set(contenders)
        assert second.from_version == first.to_version
        assert second.to_version == active[0]


def test_predictions_while_versions_switch_all_succeed_and_are_all_logged(
    trained_logreg, trained_forest
):
    first = model_version_register(result=trained_logreg, activate=True)
    second = model_version_register(result=trained_forest)
    # (version number, monotonic time before the switch began, after it returned)
    switches: list[tuple[int, float, float]] = [(first.version, float("-inf"), float("-inf"))]
    answers: list[tuple[float, float, int, int | None]] = []
    switching_done = threading.Event()
    begin = threading.Barrier(4)

    def switch() -> None:
        begin.wait()
        try:
            for round_number in range(6):
                target = second if round_number % 2 == 0 else first
                before = time.monotonic()
                model_version_activate(version=target, reason="switch under load")
                switches.append((target.version, before, time.monotonic()))
        finally:
            switching_done.set()

    def predict() -> None:
        client = Client()
        begin.wait()
        sent = 0
        # Keep the load on until the last switch is done.
        while sent < MAX_REQUESTS_PER_CLIENT and (not switching_done.is_set() or sent < 5):
            started = time.monotonic()
            response = client.post(
                "/api/v1/predict", default_passenger(), content_type="application/json"
            )
            version = response.json().get("model_version")
            answers.append((started, time.monotonic(), response.status_code, version))
            sent += 1

    errors = run_in_threads(switch, predict, predict, predict)
    assert errors == []
    assert answers
    assert {status for _, _, status, _ in answers} == {HTTPStatus.OK}

    def was_active_during(version: int, started: float, ended: float) -> bool:
        # Version k of the switch list was active at the latest from when its switch
        # returned, at the earliest from when it began, until the next switch returned.
        for k, (number, began, _) in enumerate(switches):
            until = switches[k + 1][2] if k + 1 < len(switches) else float("inf")
            if number == version and began <= ended and until >= started:
                return True
        return False

    for started, ended, _, version in answers:
        assert was_active_during(version, started, ended), (version, started, ended, switches)
    # Both versions answered: the switches really happened under load.
    assert {version for *_, version in answers} == {first.version, second.version}
    # N answers, N log rows, each by the version that the answer named.
    assert Prediction.objects.count() == len(answers)
    logged = Counter(Prediction.objects.values_list("model_version__version", flat=True).iterator())
    assert logged == Counter(version for *_, version in answers)
