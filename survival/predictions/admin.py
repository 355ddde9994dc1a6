"""The prediction log in the admin: every logged prediction, read-only, its probabilities to
three decimals."""

from __future__ import annotations

from django.contrib import admin

from survival.models import Prediction
from survival.registry.admin_display import number_text, value_html
from survival.registry.admin_records import RecordAdmin


@admin.register(Prediction)
class PredictionAdmin(RecordAdmin):
    list_display = [
        "created_at",
        "model_version",
        "channel",
        "probability_shown",
        "survived",
        "challenger",
        "challenger_probability_shown",
        "outcome",
        "api_key_name",
    ]
    list_filter = ["channel", "api_key_name", "survived", "model_version", "challenger", "outcome"]
    list_select_related = ["model_version", "challenger"]
    date_hierarchy = "created_at"
    # The stored floats carry sixteen decimals; the page shows the three that mean something.
    fields = [
        "created_at",
        "model_version",
        "channel",
        "inputs_shown",
        "probability_shown",
        "survived",
        "challenger",
        "challenger_probability_shown",
        "outcome",
        "outcome_at",
        "api_key_name",
    ]
    readonly_fields = fields

    @admin.display(description="probability", ordering="probability")
    def probability_shown(self, prediction: Prediction) -> str:
        return number_text(prediction.probability)

    @admin.display(description="challenger probability", ordering="challenger_probability")
    def challenger_probability_shown(self, prediction: Prediction) -> str:
        return number_text(prediction.challenger_probability)

    @admin.display(description="inputs")
    def inputs_shown(self, prediction: Prediction) -> str:
        return value_html(prediction.inputs)
