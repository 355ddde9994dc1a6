from __future__ import annotations

import pytest

from survival.models import Prediction
from survival.ops.warmup import warm_up
from survival.registry import artifacts as inference


def test_warm_up_loads_the_active_model_and_logs_nothing(active_version):
    inference.clear_loaded_models()
    warm_up()
    assert (active_version.pk, active_version.artifact_sha256) in inference._loaded
    assert not Prediction.objects.exists()


@pytest.mark.django_db
def test_warm_up_without_a_model_does_not_fail():
    warm_up()
    assert not inference._loaded
