"""`python manage.py train`: train, evaluate and register a new model version."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ml_pipeline.constants import ALGORITHM_LABELS, AUTO, DEFAULT_SEED
from survival import selectors
from survival.inference import ModelUnavailableError
from survival.services import model_version_register


class Command(BaseCommand):
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
            help="auto (default) picks the best candidate by cross-validated ROC AUC",
        )
        parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed")
        parser.add_argument(
            "--activate", action="store_true", help="make the new version the active one"
        )
        parser.add_argument(
            "--skip-if-active",
            action="store_true",
            help="do nothing when a version is already active (used by `make run`)",
        )
        parser.add_argument("--quiet", action="store_true", help="print only the result")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["skip_if_active"]:
            active = selectors.model_version_get_active()
            if active is not None:
                self.stdout.write(f"Version {active.version} is active; not training.")
                return
        # Imported after the check above, so that `--skip-if-active` returns at once.
        from ml_pipeline.data import DataValidationError, load_dataset
        from ml_pipeline.training import train

        progress = None if options["quiet"] else self.stdout.write
        try:
            dataset = load_dataset(options["data"])
        except DataValidationError as exc:
            # CommandError: a clear message and exit status 1, nothing registered.
            raise CommandError(str(exc)) from exc
        result = train(
            dataset, algorithm=options["algorithm"], seed=options["seed"], progress=progress
        )
        try:
            version = model_version_register(result=result, activate=options["activate"])
        except ModelUnavailableError as exc:
            raise CommandError(f"The new version could not be activated: {exc}") from exc

        if not options["quiet"] and len(result.candidates) > 1:
            self.stdout.write("Candidates (cross-validated on the training split):")
            for name, scores in result.candidates.items():
                marker = "*" if name == result.algorithm else " "
                self.stdout.write(
                    f" {marker} {name:<24} ROC AUC {scores['roc_auc']['mean']:.3f} "
                    f"± {scores['roc_auc']['std']:.3f}   accuracy {scores['accuracy']['mean']:.3f}"
                    f"   Brier {scores['brier']['mean']:.3f}"
                )
        cv, holdout = result.cv_metrics, result.holdout_metrics
        self.stdout.write(
            self.style.SUCCESS(
                f"Registered version {version.version} ({version.get_algorithm_display()})"
                + (" and activated it" if version.is_active else "")
                + f" in {result.duration_seconds:.1f} s."
            )
        )
        self.stdout.write(
            f"  cross-validation: ROC AUC {cv['roc_auc']['mean']:.3f} "
            f"± {cv['roc_auc']['std']:.3f}, "
            f"accuracy {cv['accuracy']['mean']:.3f}, Brier {cv['brier']['mean']:.3f}"
        )
        self.stdout.write(
            f"  held-out ({result.holdout_rows} rows): ROC AUC {holdout['roc_auc']:.3f}, "
            f"accuracy {holdout['accuracy']:.3f} (majority-class baseline "
            f"{holdout['baseline_accuracy']:.3f}), Brier {holdout['brier']:.3f}"
        )
