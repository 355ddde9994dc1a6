"""The registry's records in the admin: every change of the active version and every
activation the promotion gate refused. Records are listed and read, never edited."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from survival.models import GateRefusal, ModelActivation, ModelVersion


class RecordAdmin(admin.ModelAdmin):
    """A record of what happened: listed and readable, never added, changed or deleted
    through the admin."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ModelActivation)
class ModelActivationAdmin(RecordAdmin):
    """Every change of the active version, newest first; a record nobody can edit."""

    # Short columns for who, when and which versions, so the reason gets the width to be
    # read in full (its column wraps; see static/css/admin-registry.css).
    list_display = ["at", "from_label", "to_label", "by", "reason", "rollback", "gate_override"]
    list_filter = ["to_version", "rollback", "gate_overridden"]
    list_select_related = ["from_version", "to_version", "by"]
    date_hierarchy = "at"
    readonly_fields = [field.name for field in ModelActivation._meta.fields]

    @admin.display(description="gate overridden", boolean=True, ordering="gate_overridden")
    def gate_override(self, record: ModelActivation) -> bool:
        return record.gate_overridden

    @admin.display(description="from", ordering="from_version__version")
    def from_label(self, record: ModelActivation) -> str:
        return _version_label(record.from_version)

    @admin.display(description="to", ordering="to_version__version")
    def to_label(self, record: ModelActivation) -> str:
        return _version_label(record.to_version)


@admin.register(GateRefusal)
class GateRefusalAdmin(RecordAdmin):
    """Every activation the promotion gate refused, with the failing numbers; read-only."""

    list_display = ["at", "candidate", "active", "by", "override_requested", "failure_list"]
    list_filter = ["override_requested", "candidate"]
    list_select_related = ["candidate", "active", "by"]
    date_hierarchy = "at"
    readonly_fields = [*(field.name for field in GateRefusal._meta.fields), "failure_list"]

    @admin.display(description="failures")
    def failure_list(self, refusal: GateRefusal) -> str:
        return "; ".join(failure.get("message", "") for failure in refusal.failures)


def _version_label(version: ModelVersion | None) -> str:
    return "none" if version is None else f"v{version.version}"
