"""`python manage.py train`: train, evaluate and register a new model version."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError, CommandParser

from ml_pipeline.constants import (
    ALGORITHM_LABELS,
    AUTO,
    DEFAULT_METRIC,
    DEFAULT_SEED,
    METRIC_LABELS,
)
from ml_pipeline.errors import PredictorError
from survival.management.base import PredictorCommand, after
from survival.registry import selectors
from survival.registry.gate import PromotionRefusedError
from survival.registry.services import (
    model_version_activate,
    model_version_make_challenger,
    model_version_register,
)

ACTIVATED_BY_TRAIN = "Trained and activated by `manage.py train --activate`."


class Command(PredictorCommand):
    help = (
        "Train a model on the bundled titanic3 data (or --data CSV), evaluate it, and register "
        "it as a new version."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--data",
            metavar="CSV",
            help="training data in the titanic3 or Kaggle train.csv layout "
            "(default: the bundled titanic3 data)",
        )
        parser.add_argument(
            "--algorithm",
            default=AUTO,
            choices=[AUTO, *ALGORITHM_LABELS],
            help="auto (default) tries every candidate and keeps the best by --metric",
        )
        parser.add_argument(
            "--metric",
            default=DEFAULT_METRIC,
            choices=list(METRIC_LABELS),
            help="the cross-validated metric that selects settings and candidates "
            f"(default: {DEFAULT_METRIC})",
        )
        parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed")
        parser.add_argument(
            "--activate", action="store_true", help="make the new version the active one"
        )
        parser.add_argument(
            "--challenger",
            action="store_true",
            help="make the new version the challenger: it scores every prediction beside the "
            "active version, logged but never shown",
        )
        parser.add_argument(
            "--skip-if-active",
            action="store_true",
            help="do nothing when a version is already active (used by `make run`)",
        )
        parser.add_argument(
            "--override-gate",
            metavar="REASON",
            help="with --activate: activate even when the promotion gate refuses the version "
            "(recorded with REASON); never past a feature schema mismatch",
        )
        parser.add_argument(
            "--quiet", action="store_true", help="no progress display; print only the result"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["activate"] and options["challenger"]:
            raise CommandError("Choose --activate or --challenger: the active version answers.")
        if options["skip_if_active"]:
            active = selectors.model_version_get_active()
            if active is not None:
                self.stdout.write(f"Version {active.version} is active; not training.")
                return
        # Imported after the check above, so that `--skip-if-active` returns at once.
        from ml_pipeline.data import load_dataset
        from ml_pipeline.training import train

        progress = None if options["quiet"] else self.stdout.write
        # Bad data raises DataValidationError: its message and exit status 1, nothing
        # registered.
        dataset = load_dataset(options["data"])
        result = train(
            dataset,
            algorithm=options["algorithm"],
            seed=options["seed"],
            metric=options["metric"],
            progress=progress,
        )
        version = model_version_register(result=result)
        if options["activate"]:
            override_reason = options["override_gate"]
            try:
                version = model_version_activate(
                    version=version,
                    reason=ACTIVATED_BY_TRAIN if override_reason is None else override_reason,
                    override_gate=override_reason is not None,
                )
            except PromotionRefusedError as exc:
                # The version stays registered: an admin may still judge it, or override.
                raise CommandError(
                    f"Registered version {version.version}, but it was not activated: {exc} "
                    "To activate it anyway, pass --override-gate REASON."
                ) from exc
            except PredictorError as exc:
                raise after("The new version could not be activated", exc) from exc
        if options["challenger"]:
            try:
                version = model_version_make_challenger(version=version)
            except PredictorError as exc:
                done = f"Registered version {version.version}, but it is not the challenger"
                raise after(done, exc) from exc

        if not options["quiet"]:
            self.stdout.write(
                "Candidates (best setting of each, cross-validated on the training split, "
                "mean ± std):"
            )
            for name, scores in result.candidates.items():
                marker = "*" if name == result.algorithm else " "
                self.stdout.write(f" {marker} {name:<24} {_cv_line(scores)}")
        cv, holdout = result.cv_metrics, result.holdout_metrics
        calibration = result.evaluation["calibration"]
        self.stdout.write(
            self.style.SUCCESS(
                f"Registered version {version.version} ({version.get_algorithm_display()})"
                + (" and activated it" if version.is_active else "")
                + (" and made it the challenger" if version.is_challenger else "")
                + f" in {result.duration_seconds:.1f} s."
            )
        )
        self.stdout.write(
            f"  selected by {METRIC_LABELS[result.selection_metric]}; "
            + (
                f"calibrated ({calibration['method']}): it lowered the CV Brier score"
                if calibration["used"]
                else "not calibrated: calibrating did not lower the CV Brier score"
            )
        )
        self.stdout.write(f"  cross-validation: {_cv_line(cv)}")
        self.stdout.write(
            f"  held-out ({result.holdout_rows} rows): ROC AUC {holdout['roc_auc']:.3f}, "
            f"accuracy {holdout['accuracy']:.3f} (majority-class baseline "
            f"{holdout['baseline_accuracy']:.3f}), Brier {holdout['brier']:.3f} "
            f"(baseline {holdout['baseline_brier']:.3f})"
        )


def _cv_line(scores: dict[str, dict[str, float]]) -> str:
    return "   ".join(
        f"{label} {scores[metric]['mean']:.3f} ± {scores[metric]['std']:.3f}"
        for metric, label in (("roc_auc", "ROC AUC"), ("accuracy", "accuracy"), ("brier", "Brier"))
    )
