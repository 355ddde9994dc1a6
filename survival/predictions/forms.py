"""The passenger form, generated from the feature schema so the two cannot drift apart."""

from __future__ import annotations

from typing import Any

from django import forms
from django.forms.boundfield import BoundField

from ml_pipeline.schema import FEATURES, Feature

FIELD_TEMPLATE = "survival/field.html"


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


class PassengerBoundField(BoundField):
    """A passenger field as Bootstrap draws it: the widget is marked `is-invalid` while the
    field has errors."""

    def value(self) -> Any:
        # A number field given text ("abc") is drawn empty, as a browser would show it: a
        # number input's value must be a number. Its error says what to type.
        value = super().value()
        if self.errors and isinstance(self.field.widget, forms.NumberInput):
            try:
                float(value)
            except (TypeError, ValueError):
                return None
        return value

    def build_widget_attrs(self, attrs: dict[str, Any], widget: Any = None) -> dict[str, Any]:
        attrs = super().build_widget_attrs(attrs, widget)
        if self.errors:
            widget = widget or self.field.widget
            attrs["class"] = f"{widget.attrs.get('class', '')} is-invalid".strip()
        return attrs


def field_for(feature: Feature) -> forms.Field:
    """The form field for one schema feature: its label, help, range and choices, drawn by
    templates/survival/field.html (which keeps a stable error slot per field)."""
    common: dict[str, Any] = {
        "label": feature.label,
        "help_text": feature.help_text,
        "error_messages": _error_messages(feature),
        "template_name": FIELD_TEMPLATE,
    }
    if feature.kind == "category":
        sample = feature.choices[0][0]
        return forms.TypedChoiceField(
            choices=[(str(value), label) for value, label in feature.choices],
            coerce=type(sample),
            widget=forms.Select(attrs={"class": "form-select"}),
            **common,
        )
    attrs = {
        "class": "form-control",
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
    """One passenger's seven inputs; fields are added from the schema in its order. The
    template writes the <form> element itself (with its htmx attributes) and draws each
    field with `{{ field.as_field_group }}`."""

    bound_field_class = PassengerBoundField

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for feature in FEATURES:
            self.fields[feature.name] = field_for(feature)
        for name, field in self.fields.items():
            auto_id = self[name].auto_id
            # The error slot always exists (empty when valid), so a live update can fill it
            # without replacing the input the visitor is typing in.
            field.widget.attrs["aria-describedby"] = f"{auto_id}_helptext {auto_id}_error"
