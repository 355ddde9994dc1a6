"""The admin's "Train a new version" form: algorithm, metric, seed, data (the bundled set or
an uploaded CSV, checked here so a bad file is refused with its line numbers before anything
is queued) and whether to activate the version when the promotion gate passes."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings

from ml_pipeline.constants import (
    ALGORITHM_LABELS,
    AUTO,
    DEFAULT_METRIC,
    DEFAULT_SEED,
    METRIC_LABELS,
)
from ml_pipeline.errors import DataValidationError

BUNDLED = "bundled"
UPLOAD = "upload"
UPLOAD_REQUIRED = "Data: choose a CSV file to upload, or train on the bundled data."
UPLOAD_NOT_CSV = "Data: {name} is not a CSV file; choose a file whose name ends in .csv."
UPLOAD_TOO_LARGE = "Data: the file is {size:.1f} MB; files up to {limit:.0f} MB are accepted."
ACTIVATE_NEEDS_PERMISSION = (
    "Activating needs the permission “Can activate or deactivate a model version”; untick "
    "“Activate if the promotion gate passes” to train only."
)
MEGABYTE = 1024 * 1024


class TrainingForm(forms.Form):
    algorithm = forms.ChoiceField(
        choices=[
            (AUTO, "Auto: every candidate, the best by the metric"),
            *ALGORITHM_LABELS.items(),
        ],
        initial=AUTO,
    )
    metric = forms.ChoiceField(
        label="Selection metric (cross-validated)",
        choices=list(METRIC_LABELS.items()),
        initial=DEFAULT_METRIC,
    )
    seed = forms.IntegerField(initial=DEFAULT_SEED, min_value=0, max_value=2**32 - 1)
    data = forms.ChoiceField(
        choices=[
            (BUNDLED, "The bundled titanic3 data (1,309 passengers)"),
            (UPLOAD, "An uploaded CSV file (titanic3 or Kaggle train.csv layout)"),
        ],
        initial=BUNDLED,
        widget=forms.RadioSelect,
    )
    file = forms.FileField(label="CSV file", required=False)
    activate = forms.BooleanField(
        label="Activate the new version if the promotion gate passes", required=False
    )

    def __init__(self, *args: Any, may_activate: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.may_activate = may_activate
        self.dataset_rows: int | None = None
        self.fields["file"].widget.attrs["accept"] = ".csv,text/csv"
        if not may_activate:
            self.fields["activate"].disabled = True
            self.fields["activate"].help_text = ACTIVATE_NEEDS_PERMISSION

    def clean(self) -> dict[str, Any]:
        from ml_pipeline.data import parse_dataset

        cleaned = super().clean()
        upload = cleaned.get("file")
        if cleaned.get("activate") and not self.may_activate:
            self.add_error("activate", ACTIVATE_NEEDS_PERMISSION)
        if cleaned.get("data") != UPLOAD:
            cleaned["file"] = None
            return cleaned
        if upload is None:
            self.add_error("file", UPLOAD_REQUIRED)
            return cleaned
        if not upload.name.lower().endswith(".csv"):
            self.add_error("file", UPLOAD_NOT_CSV.format(name=upload.name))
            return cleaned
        if upload.size > settings.BATCH_MAX_UPLOAD_BYTES:
            limit = settings.BATCH_MAX_UPLOAD_BYTES / MEGABYTE
            self.add_error(
                "file", UPLOAD_TOO_LARGE.format(size=upload.size / MEGABYTE, limit=limit)
            )
            return cleaned
        raw = upload.read()
        try:
            # The same checks the worker runs: a refusal names the columns, the rules and the
            # lines, and nothing is queued.
            dataset = parse_dataset(raw, source=upload.name)
        except DataValidationError as exc:
            self.add_error("file", exc.message)
            return cleaned
        self.dataset_rows = dataset.rows
        cleaned["upload_bytes"] = raw
        return cleaned
