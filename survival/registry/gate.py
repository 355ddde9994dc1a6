"""The promotion gate: the rules a version must pass before it answers predictions.

The numbers it judges are the held-out ones the pipeline measured; the limits are
settings.PROMOTION_GATE. `registry.services.model_version_activate` applies it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser

from ml_pipeline.errors import ConflictError
from ml_pipeline.schema import schema_fingerprint
from survival.models import ModelVersion

# The permission that lets a user activate a version the promotion gate refuses.
OVERRIDE_PERMISSION = "survival.override_promotion_gate"

GATE_AUC_DROP = (
    "held-out ROC AUC {candidate:.3f} is {gap:.3f} below the active v{active}'s "
    "{reference:.3f}; the gate allows {allowed:.3f}"
)
GATE_BRIER_RISE = (
    "held-out Brier score {candidate:.3f} is {gap:.3f} above the active v{active}'s "
    "{reference:.3f}; the gate allows {allowed:.3f}"
)
GATE_AUC_FLOOR = "held-out ROC AUC {candidate:.3f} is below the gate's minimum of {limit:.3f}"
GATE_BRIER_CEILING = (
    "held-out Brier score {candidate:.3f} is above the gate's maximum of {limit:.3f}"
)
GATE_METRIC_MISSING = "held-out {label} is not recorded for v{version}, so the gate cannot judge it"
GATE_SCHEMA_MISMATCH = (
    "v{version} was trained on another feature schema (fingerprint {theirs:.12}…) than this "
    "code's ({ours:.12}…), so it can never be activated here, not even with an override; "
    "retrain it"
)
GATE_REFUSED = "the promotion gate refuses v{version}: {failures}."
OVERRIDE_NEEDS_PERMISSION = (
    "Overriding the gate needs the permission “Can activate a version the promotion gate "
    "refuses”, which {user} does not have."
)
OVERRIDE_NEEDS_REASON = "Overriding the gate needs a reason: the reason field is empty."
OVERRIDE_NOT_POSSIBLE = "No one may override a feature schema mismatch."


@dataclass(frozen=True)
class GateFailure:
    """One rule of the promotion gate that a candidate version fails.

    Attributes:
        rule: which rule: "schema", "auc_drop", "brier_rise", "auc_floor", "brier_ceiling"
            or "metric_missing".
        message: the failure in words, with the numbers.
        overridable: whether a user with OVERRIDE_PERMISSION may activate the version anyway
            (never for a schema mismatch: the model would be fed the wrong inputs).
    """

    rule: str
    message: str
    overridable: bool = True

    def as_record(self) -> dict[str, Any]:
        return {"rule": self.rule, "message": self.message, "overridable": self.overridable}


class PromotionRefusedError(ConflictError):
    """The promotion gate refused an activation; nothing changed in production.

    Attributes:
        version: the refused version.
        failures: the rules it fails.
        problem: why an override, when asked for, was refused too ("" otherwise).
    """

    def __init__(self, *, version: ModelVersion, failures: list[GateFailure], problem: str = ""):
        self.version = version
        self.failures = failures
        self.problem = problem
        text = GATE_REFUSED.format(
            version=version.version, failures="; ".join(f.message for f in failures)
        )
        super().__init__(f"{text} {problem}".strip(), rule="promotion_gate")

    @property
    def overridable(self) -> bool:
        return all(failure.overridable for failure in self.failures)


def promotion_gate_check(
    *, candidate: ModelVersion, active: ModelVersion | None
) -> list[GateFailure]:
    """The rules of the promotion gate (settings.PROMOTION_GATE) that `candidate` fails.

    A version trained on another feature schema than the running code's always fails. Its
    held-out ROC AUC must reach `min_auc` and its Brier score stay under `max_brier`; when
    another version is active, it may also be at most `max_auc_drop` below that version's
    ROC AUC and at most `max_brier_rise` above its Brier score. The held-out numbers are the
    ones the pipeline measured; a metric the active version lacks is not compared.
    """
    gate = settings.PROMOTION_GATE
    ours = schema_fingerprint()
    if candidate.schema_fingerprint != ours:
        message = GATE_SCHEMA_MISMATCH.format(
            version=candidate.version, theirs=candidate.schema_fingerprint or "none", ours=ours
        )
        # Nothing else matters: the version's numbers describe a model of other inputs.
        return [GateFailure(rule="schema", message=message, overridable=False)]

    failures: list[GateFailure] = []
    auc = candidate.metric("holdout", "roc_auc")
    brier = candidate.metric("holdout", "brier")
    for value, label in ((auc, "ROC AUC"), (brier, "Brier score")):
        if value is None:
            message = GATE_METRIC_MISSING.format(label=label, version=candidate.version)
            failures.append(GateFailure(rule="metric_missing", message=message))
    if auc is not None and auc < gate["min_auc"]:
        message = GATE_AUC_FLOOR.format(candidate=auc, limit=gate["min_auc"])
        failures.append(GateFailure(rule="auc_floor", message=message))
    if brier is not None and brier > gate["max_brier"]:
        message = GATE_BRIER_CEILING.format(candidate=brier, limit=gate["max_brier"])
        failures.append(GateFailure(rule="brier_ceiling", message=message))
    if active is None or active.pk == candidate.pk:
        return failures

    active_auc = active.metric("holdout", "roc_auc")
    active_brier = active.metric("holdout", "brier")
    # Rounded so that a difference printed as 0.020 is never refused for "exceeding" 0.020.
    if auc is not None and active_auc is not None:
        drop = round(active_auc - auc, 9)
        if drop > gate["max_auc_drop"]:
            message = GATE_AUC_DROP.format(
                candidate=auc,
                gap=drop,
                active=active.version,
                reference=active_auc,
                allowed=gate["max_auc_drop"],
            )
            failures.append(GateFailure(rule="auc_drop", message=message))
    if brier is not None and active_brier is not None:
        rise = round(brier - active_brier, 9)
        if rise > gate["max_brier_rise"]:
            message = GATE_BRIER_RISE.format(
                candidate=brier,
                gap=rise,
                active=active.version,
                reference=active_brier,
                allowed=gate["max_brier_rise"],
            )
            failures.append(GateFailure(rule="brier_rise", message=message))
    return failures


def override_problem(
    *, failures: list[GateFailure], by: AbstractBaseUser | None, reason: str
) -> str:
    """Why an override of these failures is not allowed, or "" when it is."""
    if not all(failure.overridable for failure in failures):
        return OVERRIDE_NOT_POSSIBLE
    # by=None is the system itself (a command run on the server), trusted like a superuser.
    if by is not None and not by.has_perm(OVERRIDE_PERMISSION):
        return OVERRIDE_NEEDS_PERMISSION.format(user=by.get_username())
    if not reason.strip():
        return OVERRIDE_NEEDS_REASON
    return ""
