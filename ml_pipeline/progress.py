"""Where a training run is, as data: which candidate, which setting, which fold, and the share
of the run's cross-validation folds done. A page can draw a progress bar from it; the text
progress lines (`manage.py train`) are unchanged. Imports no Django."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from ml_pipeline.evaluation import CV_FOLDS, CV_REPEATS, ProgressCallback

FOLDS_PER_RUN = CV_FOLDS * CV_REPEATS


@dataclass(frozen=True)
class TrainingStep:
    """One step of a training run.

    Attributes:
        stage: "search" (cross-validating a setting), "calibration" (the winner wrapped in
            calibration, cross-validated) or "final" (fitting and evaluating the winner).
        candidate: the algorithm's label, e.g. "Random forest".
        candidate_number, candidates: which candidate of how many (1-based).
        setting_number, settings: which of the candidate's settings (1-based; 0 outside
            the search).
        fold, folds: which cross-validation fold is being fitted (1-based; 0 outside CV).
        fraction: the share of all the run's cross-validation folds started so far (0–1);
            fitting the folds is nearly all of a run's time.
    """

    stage: str
    candidate: str
    candidate_number: int
    candidates: int
    setting_number: int
    settings: int
    fold: int
    folds: int
    fraction: float

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


StepCallback = Callable[[TrainingStep], None]


class StepTracker:
    """Counts the folds of a run as cross-validation reports them and tells `on_step`.

    `fold_progress` returns the callback to hand to `cross_validate_pipeline`: it forwards
    each text line to `text` and reports the fold as a TrainingStep.
    """

    def __init__(
        self,
        *,
        labels: list[str],
        settings_per_candidate: list[int],
        text: ProgressCallback | None,
        on_step: StepCallback | None,
    ) -> None:
        self.labels = labels
        self.settings = settings_per_candidate
        self.text = text
        self.on_step = on_step
        # Every setting of every candidate, then the calibrated winner.
        self.total_folds = (sum(settings_per_candidate) + 1) * FOLDS_PER_RUN
        self.folds_started = 0

    def fold_progress(
        self, *, stage: str, candidate: int, setting: int = 0
    ) -> ProgressCallback | None:
        if self.on_step is None:
            return self.text
        fold_in_run = 0

        def report(line: str) -> None:
            nonlocal fold_in_run
            fold_in_run += 1
            self.folds_started += 1
            if self.text:
                self.text(line)
            self._send(stage, candidate, setting, fold_in_run)

        return report

    def final(self, *, candidate: int) -> None:
        """The search and calibration are over: fitting and evaluating the winner."""
        if self.on_step is not None:
            self.folds_started = self.total_folds
            self._send("final", candidate, 0, 0)

    def _send(self, stage: str, candidate: int, setting: int, fold: int) -> None:
        assert self.on_step is not None
        self.on_step(
            TrainingStep(
                stage=stage,
                candidate=self.labels[candidate],
                candidate_number=candidate + 1,
                candidates=len(self.labels),
                setting_number=setting,
                settings=self.settings[candidate] if setting else 0,
                fold=fold,
                folds=FOLDS_PER_RUN if fold else 0,
                fraction=min(1.0, self.folds_started / self.total_folds),
            )
        )
