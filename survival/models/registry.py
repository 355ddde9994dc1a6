"""The model registry's tables: the versions, their files' bytes, the record of every
activation and the promotion gate's refusals."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from ml_pipeline.constants import ALGORITHM_LABELS

ALGORITHM_CHOICES = list(ALGORITHM_LABELS.items())


class ModelVersion(models.Model):
    """One trained model, registered by the training pipeline.

    Attributes:
        version: 1, 2, 3… in order of registration.
        algorithm: the candidate that was trained (see ml_pipeline.constants.ALGORITHM_LABELS).
        params: the model step's hyper-parameters.
        cv_metrics: {metric: {"mean", "std"}} from stratified cross-validation.
        holdout_metrics: metrics on the held-out split, with the majority-class baseline.
        candidates: every candidate's cross-validation metrics from the same run.
        seed: the random seed of the run.
        data_sha256, data_rows: the training file's hash and its number of rows.
        train_rows, holdout_rows: how those rows were split.
        library_versions: python, scikit-learn, numpy, pandas and joblib at training time.
        schema_fingerprint: hash of the feature schema the model was trained on.
        reference_passenger: the training split's typical passenger (median numbers, most
            frequent categories).
        artifact_name: the model file's name (its StoredArtifact, and its copy in each
            host's cache, the "artifacts" storage).
        artifact_sha256: the file's sha256; bytes that do not match are never unpickled.
        training_seconds: wall time of the training run.
        created_at: when the version was registered.
        is_active: whether it answers predictions; at most one row is active (a database
            constraint guarantees it).
        activated_at: when it was last activated.
        selection_metric: the cross-validated metric that chose the setting and candidate.
        search: every setting of every candidate tried, with its CV metrics.
        evaluation: held-out details: confusion matrix, ROC and reliability curves,
            permutation importance, and the calibration decision.
        holdout_index: the data rows (0-based; row i is on line i + 2) held out, so the
            held-out metrics can be recomputed from the artifact.
        data_summary: the training file described (survival rate, missing values, ranges).
        git_commit: the code's commit at training time ("…-dirty" with local changes).
        plots: {name: file name (a StoredArtifact)} of the model card's SVG plots.
        broken_reason: why the artifact was last refused (missing, unreadable, altered, or
            trained with another scikit-learn); empty while it verifies. A broken version
            answers nothing and cannot be activated; it mends itself once its file verifies.
        broken_at: when that refusal was recorded.
        is_challenger: whether it shadows the active version: it scores every prediction
            too, its answer is logged beside the champion's and never shown. At most one
            version is the challenger, and never the active one (database constraints).
        challenger_since: when it last became the challenger.
    """

    version = models.PositiveIntegerField(unique=True)
    algorithm = models.CharField(max_length=40, choices=ALGORITHM_CHOICES)
    params = models.JSONField(default=dict)
    cv_metrics = models.JSONField("cross-validation metrics", default=dict)
    holdout_metrics = models.JSONField("held-out metrics", default=dict)
    candidates = models.JSONField("candidates' CV metrics", default=dict)
    seed = models.IntegerField()
    data_sha256 = models.CharField("training data sha256", max_length=64)
    data_rows = models.PositiveIntegerField("training data rows")
    train_rows = models.PositiveIntegerField()
    holdout_rows = models.PositiveIntegerField()
    library_versions = models.JSONField(default=dict)
    schema_fingerprint = models.CharField(max_length=64)
    reference_passenger = models.JSONField(default=dict)
    # A fixed sample of training passengers: the background the additive explanation
    # averages over (its mean probability is the explanation's baseline). Empty for versions
    # registered before it: those explain against their reference passenger alone.
    explanation_background = models.JSONField(default=list, blank=True)
    # What the visitor's page tells about the training data: the base rate, each class's
    # median fare, and how many passengers of each class, sex and age band survived.
    training_context = models.JSONField(default=dict, blank=True)
    artifact_name = models.CharField(max_length=255, unique=True)
    artifact_sha256 = models.CharField(max_length=64)
    training_seconds = models.FloatField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    is_active = models.BooleanField(default=False, db_index=True)
    activated_at = models.DateTimeField(null=True, blank=True)
    selection_metric = models.CharField(max_length=40, blank=True)
    search = models.JSONField("settings tried", default=dict)
    evaluation = models.JSONField("held-out details", default=dict)
    holdout_index = models.JSONField("held-out rows", default=list)
    data_summary = models.JSONField(default=dict)
    git_commit = models.CharField(max_length=80, blank=True)
    plots = models.JSONField(default=dict)
    broken_reason = models.TextField(blank=True)
    broken_at = models.DateTimeField(null=True, blank=True)
    is_challenger = models.BooleanField(default=False)
    challenger_since = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-version"]
        # Staff status alone does not let anyone change which model answers.
        permissions = [
            ("activate_modelversion", "Can activate or deactivate a model version"),
            # Activating a version the promotion gate refuses is a further, separate trust.
            ("override_promotion_gate", "Can activate a version the promotion gate refuses"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["is_active"],
                condition=Q(is_active=True),
                name="at_most_one_active_model_version",
            ),
            models.UniqueConstraint(
                fields=["is_challenger"],
                condition=Q(is_challenger=True),
                name="at_most_one_challenger_model_version",
            ),
            # A version cannot shadow itself.
            models.CheckConstraint(
                condition=~Q(is_active=True, is_challenger=True),
                name="the_active_model_version_is_not_the_challenger",
            ),
        ]

    def __str__(self) -> str:
        return f"v{self.version} ({self.get_algorithm_display()})"

    def metric(self, group: str, name: str) -> float | None:
        """A stored number: metric("cv", "roc_auc") is the mean; metric("holdout", …) the value."""
        if group == "cv":
            return (self.cv_metrics.get(name) or {}).get("mean")
        return self.holdout_metrics.get(name)

    @property
    def is_broken(self) -> bool:
        return bool(self.broken_reason)


class StoredArtifact(models.Model):
    """The bytes of a version's model file or plot, written in the transaction that records
    the version: every host reads them here (registry/store.py), and keeps only a cache.
    A table of their own, so that no query for versions (admin lists, scoring) reads them.

    Attributes:
        name: the version's artifact_name or a plot's file name (also its name in a cache).
        sha256: of `content` when stored; a model file is checked against its version's
            artifact_sha256, the record that counts. size: len(content).
    """

    class Kind(models.TextChoices):
        MODEL = "model", "Model file"
        PLOT = "plot", "Plot"

    version = models.ForeignKey(
        ModelVersion, on_delete=models.CASCADE, related_name="stored_artifacts"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    name = models.CharField(max_length=255, unique=True)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveBigIntegerField()
    content = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ModelActivation(models.Model):
    """One change of the active version: every activation and deactivation is recorded here,
    by `services.model_version_activate` / `model_version_deactivate` and nowhere else.

    Attributes:
        from_version: the version that was active before (None: none was).
        to_version: the version active afterwards (None: a deactivation left none active).
        by: the user who made the change (None: the system, e.g. `train --activate`).
        at: when it happened.
        reason: why, in the words of whoever made the change (may be empty).
        rollback: whether the change was a "roll back to previous".
        gate_overridden: whether the promotion gate refused the version and someone allowed
            to override it activated it anyway (the reason says why).
        gate_failures: the gate's refusals that were overridden, as
            [{"rule": …, "message": …}]; empty when the gate passed.
    """

    from_version = models.ForeignKey(
        ModelVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    to_version = models.ForeignKey(
        ModelVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="activations"
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(db_index=True)
    reason = models.TextField(blank=True)
    rollback = models.BooleanField(default=False)
    gate_overridden = models.BooleanField("promotion gate overridden", default=False)
    gate_failures = models.JSONField("overridden gate failures", default=list, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        before = f"v{self.from_version.version}" if self.from_version else "none"
        after = f"v{self.to_version.version}" if self.to_version else "none"
        return f"{before} → {after} at {self.at:%Y-%m-%d %H:%M:%S}"

    @property
    def kind(self) -> str:
        """The change in words: an activation, a rollback or a deactivation, and whether it
        overrode the promotion gate."""
        if self.to_version_id is None:
            return "deactivation"
        kind = "rollback" if self.rollback else "activation"
        return f"{kind}, over the promotion gate" if self.gate_overridden else kind


class GateRefusal(models.Model):
    """One activation the promotion gate refused (see `services.promotion_gate_check`);
    nothing changed in production. Recorded by `services.model_version_activate` only.

    Attributes:
        candidate: the version someone tried to activate.
        active: the version active at that moment, that the candidate was compared with
            (None: none was active, so only the absolute floors applied).
        by: who tried (None: the system, e.g. `train --activate`).
        at: when.
        reason: the reason they typed (may be empty).
        override_requested: whether they asked to override the gate (refused all the same:
            no permission, no reason, or a failure no one may override).
        failures: [{"rule": …, "message": …, "overridable": …}], the numbers that failed.
    """

    candidate = models.ForeignKey(
        ModelVersion, on_delete=models.PROTECT, related_name="gate_refusals"
    )
    active = models.ForeignKey(
        ModelVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(db_index=True)
    reason = models.TextField(blank=True)
    override_requested = models.BooleanField(default=False)
    failures = models.JSONField(default=list)

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"v{self.candidate.version} refused at {self.at:%Y-%m-%d %H:%M:%S}"
