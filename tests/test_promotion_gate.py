"""The promotion gate: a version clearly worse than the active one, or below the floors, is
refused with its numbers; an override needs the permission and a reason; a version of
another feature schema is never activated; refusals and overrides are recorded."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth.models import Permission, User
from django.core.management import CommandError, call_command

from ml_pipeline.schema import schema_fingerprint
from survival.models import GateRefusal, ModelActivation, ModelVersion
from survival.registry.gate import (
    OVERRIDE_NEEDS_PERMISSION,
    OVERRIDE_NEEDS_REASON,
    OVERRIDE_NOT_POSSIBLE,
    PromotionRefusedError,
    promotion_gate_check,
)
from survival.registry.services import model_version_activate, model_version_register

pytestmark = pytest.mark.django_db

PROJECT_DIR = Path(__file__).resolve().parent.parent
OTHER_SCHEMA = "0" * 64


def user_with(*codenames: str) -> User:
    user = User.objects.create_user(f"user-{len(codenames)}-{'-'.join(codenames)}"[:150])
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    # A fresh instance: Django caches permissions on the object.
    return User.objects.get(pk=user.pk)


@pytest.fixture
def active_good(version_with) -> ModelVersion:
    good = version_with(roc_auc=0.793, brier=0.130)
    return model_version_activate(version=good, reason="baseline")


def test_a_clearly_worse_version_is_refused_with_the_failing_numbers(active_good, version_with):
    weak = version_with(roc_auc=0.702, brier=0.160)
    operator = user_with("activate_modelversion")
    with pytest.raises(PromotionRefusedError) as refused:
        model_version_activate(version=weak, by=operator, reason="try it")
    message = str(refused.value)
    v = active_good.version
    assert (
        f"held-out ROC AUC 0.702 is 0.091 below the active v{v}'s 0.793; the gate allows 0.020"
        in message
    )
    assert (
        f"held-out Brier score 0.160 is 0.030 above the active v{v}'s 0.130; the gate allows 0.020"
        in message
    )
    assert "held-out ROC AUC 0.702 is below the gate's minimum of 0.750" in message
    assert {f.rule for f in refused.value.failures} == {"auc_drop", "brier_rise", "auc_floor"}

    assert list(ModelVersion.objects.filter(is_active=True)) == [active_good]
    assert not ModelActivation.objects.filter(to_version=weak).exists()
    refusal = GateRefusal.objects.get()
    assert (refusal.candidate, refusal.active, refusal.by, refusal.reason) == (
        weak,
        active_good,
        operator,
        "try it",
    )
    assert refusal.override_requested is False
    assert [f["rule"] for f in refusal.failures] == ["auc_floor", "auc_drop", "brier_rise"]


def test_a_version_within_the_margins_is_activated(active_good, version_with):
    # 0.015 lower and 0.015 higher: inside the default margins of 0.02.
    close = version_with(roc_auc=0.778, brier=0.145)
    model_version_activate(version=close, reason="close enough")
    record = ModelActivation.objects.first()
    assert (record.to_version, record.gate_overridden, record.gate_failures) == (close, False, [])
    assert not GateRefusal.objects.exists()


def test_a_difference_exactly_at_the_margin_passes(active_good, version_with):
    assert (
        promotion_gate_check(candidate=version_with(roc_auc=0.773, brier=0.150), active=active_good)
        == []
    )


def test_with_none_active_only_the_floors_apply(version_with):
    below = version_with(roc_auc=0.74, brier=0.21)
    failures = promotion_gate_check(candidate=below, active=None)
    assert [f.message for f in failures] == [
        "held-out ROC AUC 0.740 is below the gate's minimum of 0.750",
        "held-out Brier score 0.210 is above the gate's maximum of 0.200",
    ]
    with pytest.raises(PromotionRefusedError):
        model_version_activate(version=below)
    assert not ModelVersion.objects.filter(is_active=True).exists()
    # Far below any other model, but nothing active to compare with: the floors pass it.
    model_version_activate(version=version_with(roc_auc=0.76, brier=0.19))


def test_the_gate_settings_are_used(settings, active_good, version_with):
    settings.PROMOTION_GATE = {**settings.PROMOTION_GATE, "max_auc_drop": 0.1, "min_auc": 0.7}
    weak = version_with(roc_auc=0.702, brier=0.140)
    assert promotion_gate_check(candidate=weak, active=active_good) == []


def test_the_bundled_models_pass_the_default_gate(db, trained_logreg, trained_forest):
    # `make run` activates its first trained model: the defaults must let a real one through.
    logreg = model_version_register(result=trained_logreg, activate=True)
    forest = model_version_register(result=trained_forest)
    assert promotion_gate_check(candidate=forest, active=logreg) == []
    model_version_activate(version=forest)
    assert promotion_gate_check(candidate=logreg, active=forest) == []


def test_an_override_with_the_permission_and_a_reason_activates_and_is_recorded(
    active_good, version_with
):
    weak = version_with(roc_auc=0.760, brier=0.140)
    lead = user_with("activate_modelversion", "override_promotion_gate")
    model_version_activate(
        version=weak, by=lead, reason="the active model is leaking", override_gate=True
    )
    assert list(ModelVersion.objects.filter(is_active=True)) == [weak]
    record = ModelActivation.objects.first()
    assert (record.from_version, record.to_version, record.by, record.reason) == (
        active_good,
        weak,
        lead,
        "the active model is leaking",
    )
    assert record.gate_overridden is True
    assert [f["message"] for f in record.gate_failures] == [
        f"held-out ROC AUC 0.760 is 0.033 below the active v{active_good.version}'s 0.793; "
        "the gate allows 0.020"
    ]
    assert not GateRefusal.objects.exists()


def test_an_override_without_the_permission_is_refused_and_recorded(active_good, version_with):
    weak = version_with(roc_auc=0.760, brier=0.140)
    operator = user_with("activate_modelversion")
    with pytest.raises(PromotionRefusedError) as refused:
        model_version_activate(version=weak, by=operator, reason="please", override_gate=True)
    assert refused.value.problem == OVERRIDE_NEEDS_PERMISSION.format(user=operator.username)
    assert str(refused.value).endswith(refused.value.problem)
    assert list(ModelVersion.objects.filter(is_active=True)) == [active_good]
    refusal = GateRefusal.objects.get()
    assert refusal.override_requested is True
    assert refusal.by == operator


@pytest.mark.parametrize("reason", ["", "   \n"])
def test_an_override_without_a_reason_is_refused(active_good, version_with, reason):
    weak = version_with(roc_auc=0.760, brier=0.140)
    lead = user_with("activate_modelversion", "override_promotion_gate")
    with pytest.raises(PromotionRefusedError) as refused:
        model_version_activate(version=weak, by=lead, reason=reason, override_gate=True)
    assert refused.value.problem == OVERRIDE_NEEDS_REASON
    assert list(ModelVersion.objects.filter(is_active=True)) == [active_good]
    assert GateRefusal.objects.get().override_requested is True


def test_a_version_of_another_feature_schema_is_never_activated(version_with, active_good):
    stranger = version_with(roc_auc=0.95, brier=0.05, schema_fingerprint=OTHER_SCHEMA)
    superuser = User.objects.create_superuser("root", "root@localhost", "a long password 1")
    with pytest.raises(PromotionRefusedError) as refused:
        model_version_activate(
            version=stranger, by=superuser, reason="I know better", override_gate=True
        )
    (failure,) = refused.value.failures
    assert failure.rule == "schema"
    assert not failure.overridable
    assert refused.value.problem == OVERRIDE_NOT_POSSIBLE
    message = str(refused.value)
    assert "trained on another feature schema (fingerprint 000000000000…)" in message
    assert f"than this code's ({schema_fingerprint()[:12]}…)" in message
    assert "not even with an override" in message
    assert list(ModelVersion.objects.filter(is_active=True)) == [active_good]
    # Nor as the first version, with nothing to compare against; nor by the system itself.
    ModelVersion.objects.update(is_active=False)
    with pytest.raises(PromotionRefusedError):
        model_version_activate(version=stranger, reason="system", override_gate=True)
    assert not ModelVersion.objects.filter(is_active=True).exists()


def test_train_activate_keeps_a_refused_version_and_an_override_activates_it(
    version_with, small_titanic_csv
):
    # An active version no model trained on a quarter of the data comes close to.
    strong = model_version_activate(version=version_with(roc_auc=0.999, brier=0.01))
    train = ["train", "--data", str(small_titanic_csv), "--algorithm", "logreg", "--quiet"]
    with pytest.raises(CommandError) as refused:
        call_command(*train, "--activate")
    assert "was not activated: the promotion gate refuses" in str(refused.value)
    assert "pass --override-gate REASON" in str(refused.value)
    newest = ModelVersion.objects.order_by("-version").first()
    assert newest.version == strong.version + 1
    assert not newest.is_active
    assert GateRefusal.objects.get().candidate == newest

    call_command(*train, "--activate", "--override-gate", "retrained on the new export")
    record = ModelActivation.objects.first()
    assert record.to_version.version == strong.version + 2
    assert (record.by, record.reason, record.gate_overridden) == (
        None,
        "retrained on the new export",
        True,
    )


def test_the_gate_is_configured_from_the_environment():
    code = "from django.conf import settings; print(sorted(settings.PROMOTION_GATE.items()))"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "site_config.settings",
        "PROMOTION_GATE_MAX_AUC_DROP": "0.05",
        "PROMOTION_GATE_MIN_AUC": "0.8",
    }
    shown = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "('max_auc_drop', 0.05)" in shown
    assert "('min_auc', 0.8)" in shown
    assert "('max_brier', 0.2)" in shown

    env["PROMOTION_GATE_MAX_BRIER"] = "a fifth"
    broken = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
    )
    assert broken.returncode != 0
    # Named, with what is wrong, before anything else starts.
    message = 'Environment variable "PROMOTION_GATE_MAX_BRIER" invalid: Not a valid number.'
    assert message in broken.stderr
