"""The passenger form, generated from the feature schema so the two cannot drift apart."""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from django import forms
from django.forms.boundfield import BoundField

from ml_pipeline.schema import FEATURES, FEATURES_BY_NAME, Feature

FIELD_TEMPLATE = "survival/field.html"

# An empty fare means "typical for the ticket class": the form fills in the class's median
# fare from the answering version's training data (see `typical_fare`).
FARE = "fare"
FARE_EMPTY_HELP = "Empty means the typical fare of the ticket class."
CLASS_NAMES = {1: "1st-class", 2: "2nd-class", 3: "3rd-class"}
FARE_HINT_TYPICAL = "The typical {klass} fare."
FARE_HINT_EMPTY = "Empty: the typical {klass} fare, £{fare}, is used."
FARE_HINT_OTHER = "The typical {klass} fare is £{fare}."
# Versions registered before their training data's summary was recorded know no fare per
# class: the schema's default (the median of all fares) stands in for every class.
FARE_HINT_EMPTY_UNKNOWN = "Empty: a typical fare, £{fare}, is used."


def number_text(value: float | None) -> str:
    """A number as the form and its links write it: 8.05, 60, 0.5."""
    return f"{value:.10g}" if value is not None else ""


def _error_messages(feature: Feature) -> dict[str, str]:
    low, high = number_text(feature.minimum), number_text(feature.maximum)
    messages = {"required": f"{feature.label} is required."}
    if feature.kind == "category":
        allowed = ", ".join(label for _, label in feature.choices)
        messages["invalid_choice"] = f"{feature.label} must be one of: {allowed}."
    else:
        kind = "a whole number" if feature.kind == "integer" else "a number"
        messages["invalid"] = (
            f"Enter the {feature.label.lower()} as {kind}, e.g. {feature.example}."
        )
        messages["min_value"] = f"{feature.label} must be at least {low}."
        messages["max_value"] = f"{feature.label} must be at most {high}."
    return messages


class PassengerBoundField(BoundField):
    """A passenger field as Bootstrap draws it: the widget is marked `is-invalid` while the
    field has errors; the fare also has a hint slot saying what its value means."""

    @property
    def hint(self) -> str | None:
        return self.form.fare_hint() if self.name == FARE else None

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
    # A text input with a numeric keyboard rather than <input type="number">: a number input
    # sends nothing at all for "abc", so the visitor would be told the age is missing instead
    # of being shown what they typed and what to type instead.
    attrs = {
        "class": "form-control",
        "inputmode": "numeric" if feature.kind == "integer" else "decimal",
        "autocomplete": "off",
        "spellcheck": "false",
    }
    if feature.kind == "integer":
        return forms.IntegerField(
            min_value=int(feature.minimum),
            max_value=int(feature.maximum),
            widget=forms.TextInput(attrs=attrs),
            **common,
        )
    # FloatField already refuses NaN and infinities (the "invalid" message).
    return forms.FloatField(
        min_value=feature.minimum,
        max_value=feature.maximum,
        widget=forms.TextInput(attrs=attrs),
        **common,
    )


@lru_cache(maxsize=32)
def _fields_for(
    typical_fares: tuple[tuple[int, float], ...], auto_id: str | bool, prefix: str | None
) -> dict[str, forms.Field]:
    """The form's fields for one set of typical fares, built once per process and shared by
    every form with those fares (a version's fares never change, so that is once per
    version): every page and every preview would otherwise build the seven fields anew.

    Sharing is safe because nothing changes a field once it is built: a bound field draws
    its per-request state (the value, `is-invalid`) on copies of the widget's attributes
    (`PassengerBoundField.build_widget_attrs`), and cleaning reads a field, never writes it.
    """
    fields = {feature.name: field_for(feature) for feature in FEATURES}
    fare = fields[FARE]
    fare.required = False
    fare.help_text = f"{fare.help_text} {FARE_EMPTY_HELP}"
    if typical_fares:
        # static/js/app.js moves an untouched fare to the new class's typical fare.
        fare.widget.attrs["data-typical-fares"] = ",".join(
            f"{pclass}:{number_text(value)}" for pclass, value in typical_fares
        )
    for name, field in fields.items():
        html_name = f"{prefix}-{name}" if prefix else name
        auto = (auto_id % html_name if "%s" in str(auto_id) else html_name) if auto_id else ""
        # The error slot always exists (empty when valid), so a live update can fill it
        # without replacing the input the visitor is typing in.
        described = [f"{auto}_helptext", f"{auto}_error"]
        if name == FARE:
            described.insert(1, f"{auto}_hint")
        field.widget.attrs["aria-describedby"] = " ".join(described)
    return fields


class PassengerForm(forms.Form):
    """One passenger's seven inputs; fields are added from the schema in its order. The
    template writes the <form> element itself (with its htmx attributes) and draws each
    field with `{{ field.as_field_group }}`.

    `typical_fares` ({ticket class: median fare}, from the answering version's training
    data) fills an empty fare; without it every class gets the schema's default fare.
    """

    bound_field_class = PassengerBoundField

    def __init__(
        self, *args: Any, typical_fares: Mapping[int, float] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.typical_fares = dict(typical_fares or {})
        # Whether the visitor left the fare empty and the class's typical fare was used.
        self.fare_filled = False
        self.fields = dict(
            _fields_for(tuple(sorted(self.typical_fares.items())), self.auto_id, self.prefix)
        )

    def typical_fare(self, pclass: int) -> float:
        return self.typical_fares.get(pclass, FEATURES_BY_NAME[FARE].default)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if cleaned.get(FARE) is None and FARE not in self.errors and "pclass" in cleaned:
            cleaned[FARE] = self.typical_fare(cleaned["pclass"])
            self.fare_filled = True
        return cleaned

    def fare_hint(self) -> str:
        """What the fare field's value means for the chosen class, from the values as the
        visitor sent them (so it can be said even while another field is invalid)."""
        try:
            pclass = int(self["pclass"].value())
        except (TypeError, ValueError):
            return ""
        raw = self[FARE].value()
        raw = "" if raw is None else str(raw).strip()
        typical = self.typical_fare(pclass)
        if pclass not in self.typical_fares:
            return FARE_HINT_EMPTY_UNKNOWN.format(fare=f"{typical:.2f}") if not raw else ""
        words = {"klass": CLASS_NAMES.get(pclass, ""), "fare": f"{typical:.2f}"}
        if not raw:
            return FARE_HINT_EMPTY.format(**words)
        try:
            same = round(float(raw), 2) == round(typical, 2)
        except ValueError:
            return ""
        return (FARE_HINT_TYPICAL if same else FARE_HINT_OTHER).format(**words)
