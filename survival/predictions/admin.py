"""The prediction log in the admin: every logged prediction, read-only."""

from __future__ import annotations

from django.contrib import admin

from survival.models import Prediction
from survival.registry.admin_records import RecordAdmin


@admin.register(Prediction)
class PredictionAdmin(RecordAdmin):
    list_display = [
        "created_at",
        "model_version",
        "channel",
        "probability",
        "survived",
        "challenger",
        "challenger_probability",
        "outcome",
    ]
    list_filter = ["channel", "survived", "model_version", "challenger", "outcome"]
    list_select_related = ["model_version", "challenger"]
    date_hierarchy = "created_at"
    readonly_fields = [field.name for field in Prediction._meta.fields]
