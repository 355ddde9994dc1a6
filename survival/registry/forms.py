"""The forms an admin fills in to change the answering version: the reason recorded with
the change and, to activate, for those allowed to, the promotion gate's override."""

from __future__ import annotations

from typing import Any

from django import forms

REASON_REQUIRED = "Reason is required: say why the model in production changes."
REASON_TOO_LONG = "Reason must be at most {limit} characters (it has {length})."
REASON_MAX_LENGTH = 2000


class ReasonForm(forms.Form):
    """The reason for a change of the answering version, recorded with it (deactivating
    asks for nothing more)."""

    reason = forms.CharField(
        label="Reason (recorded with the change)",
        max_length=REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60, "autofocus": True}),
        error_messages={"required": REASON_REQUIRED},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Django's own "max_length" message does not name the field.
        self.fields["reason"].error_messages["max_length"] = REASON_TOO_LONG.format(
            limit=REASON_MAX_LENGTH, length="%(show_value)d"
        )
        self.fields["reason"].widget.attrs["aria-describedby"] = "id_reason_error"


class ActivationForm(ReasonForm):
    """What the admin types to activate a version or roll back: the reason and (for those
    allowed to) whether to override the promotion gate."""

    override_gate = forms.BooleanField(
        label="Activate anyway: override the promotion gate",
        required=False,
    )
