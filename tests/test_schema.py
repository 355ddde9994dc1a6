"""The feature schema is the single definition used by training, the form and the data."""

from __future__ import annotations

from django import forms

from ml_pipeline.schema import FEATURE_NAMES, FEATURES, default_passenger, to_frame
from survival.predictions.forms import PassengerForm


def test_form_fields_are_the_schema_features_in_order():
    assert list(PassengerForm().fields) == list(FEATURE_NAMES)


def test_form_fields_carry_the_schema_labels_ranges_and_choices():
    fields = PassengerForm().fields
    for feature in FEATURES:
        field = fields[feature.name]
        assert field.label == feature.label
        # An empty fare means the class's typical fare, and the form says so.
        assert field.help_text.startswith(feature.help_text)
        assert field.required == (feature.name != "fare")
        if feature.kind == "category":
            assert isinstance(field, forms.TypedChoiceField)
            assert [value for value, _ in field.choices] == [str(v) for v in feature.choice_values]
        else:
            assert field.min_value == feature.minimum
            assert field.max_value == feature.maximum
            numeric = "numeric" if feature.kind == "integer" else "decimal"
            assert field.widget.attrs["inputmode"] == numeric
        if feature.kind == "integer":
            assert isinstance(field, forms.IntegerField)


def test_training_data_columns_are_the_schema_features(titanic):
    assert list(titanic.features.columns) == list(FEATURE_NAMES)


def test_the_fitted_pipeline_expects_exactly_the_schema_columns(trained_logreg):
    assert list(trained_logreg.pipeline.feature_names_in_) == list(FEATURE_NAMES)


def test_the_default_passenger_is_a_valid_form_submission():
    form = PassengerForm(data={name: str(value) for name, value in default_passenger().items()})
    assert form.is_valid(), form.errors


def test_to_frame_gives_the_same_dtypes_for_form_input_and_training_data(titanic):
    form = PassengerForm(data={name: str(value) for name, value in default_passenger().items()})
    assert form.is_valid()
    one_row = to_frame([form.cleaned_data])
    assert list(one_row.columns) == list(FEATURE_NAMES)
    assert dict(one_row.dtypes) == dict(titanic.features.dtypes)
