"""The operations page's one input: how many days its per-day charts cover."""

from __future__ import annotations

from django import forms

DAYS_CHOICES = (7, 30, 90)
DEFAULT_DAYS = 30
DAYS_INVALID = "Days shown must be 7, 30 or 90."


class PeriodForm(forms.Form):
    """The period of the per-day charts, from the page's query (?days=30); without it,
    DEFAULT_DAYS."""

    days = forms.TypedChoiceField(
        label="Days shown",
        choices=[(days, f"the last {days} days") for days in DAYS_CHOICES],
        coerce=int,
        required=False,
        empty_value=DEFAULT_DAYS,
        initial=DEFAULT_DAYS,
        error_messages={"invalid_choice": DAYS_INVALID},
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["days"].widget.attrs["aria-describedby"] = "id_days_error"

    def chosen_days(self) -> int:
        """The valid choice, or DEFAULT_DAYS for an unbound or refused form."""
        if self.is_bound and self.is_valid():
            return self.cleaned_data["days"]
        return DEFAULT_DAYS
