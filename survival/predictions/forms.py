"""The passenger form, generated from the feature schema so the two cannot drift apart."""

from __future__ import annotations

from typing import Any

from crispy_forms.helper import FormHelper
from django import forms

from ml_pipeline.schema import FEATURES, Feature


def _number_text(value: float | None) -> str:
    return f"{value:g}" if value is not None else ""


def _error_messages(feature: Feature) -> dict[str, str]:
    low, high = _number_text(feature.minimum), _number_text(feature.maximum)
    messages = {"required": f"{feature.label} is required."}
    if feature.kind == "category":
        allowed = ", ".join(label for _, label in feature.choices)
        messages["invalid_choice"] = f"{feature.label} must be one of: {allowed}."
    else:
        kind = "a whole number" if feature.kind == "integer" else "a number"
        messages["invalid"] = f"{feature.label} must be {kind} between {low} and {high}."
        messages["min_value"] = f"{feature.label} must be at least {low}."
        messages["max_value"] = f"{feature.label} must be at most {high}."
    return messages


def field_for(feature: Feature) -> forms.Field:
    """The form field for one schema feature: its label, help, range and choices."""
    common: dict[str, Any] = {
        "label": feature.label,
        "help_text": feature.help_text,
        "error_messages": _error_messages(feature),
    }
    if feature.kind == "category":
        sample = feature.choices[0][0]
        return forms.TypedChoiceField(
            choices=[(str(value), label) for value, label in feature.choices],
            coerce=type(sample),
            **common,
        )
    attrs = {
        "step": feature.step,
        "inputmode": "numeric" if feature.kind == "integer" else "decimal",
    }
    if feature.kind == "integer":
        return forms.IntegerField(
            min_value=int(feature.minimum),
            max_value=int(feature.maximum),
            widget=forms.NumberInput(attrs=attrs),
            **common,
        )
    # FloatField already refuses NaN and infinities ("must be a number").
    return forms.FloatField(
        min_value=feature.minimum,
        max_value=feature.maximum,
        widget=forms.NumberInput(attrs=attrs),
        **common,
    )


class PassengerForm(forms.Form):
    """One passenger's seven inputs; fields are added from the schema in its order."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for feature in FEATURES:
            self.fields[feature.name] = field_for(feature)
        for name, field in self.fields.items():
            auto_id = self[name].auto_id
            # The error slot always exists (empty when valid), so a live update can fill it
            # without replacing the input the visitor is typing in.
            field.widget.attrs["aria-describedby"] = f"{auto_id}_helptext {auto_id}_error"
        # The template writes the <form> element itself (with its htmx attributes); each
        # field is drawn by our own template, which keeps a stable error slot per field.
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        self.helper.field_template = "survival/field.html"
