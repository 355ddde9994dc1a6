"""API keys in Django's admin: the list (name, prefix, rate, created, revoked, last used),
"Add" issues a key and shows it on the next page, once, and "Revoke" asks for confirmation.
A key's row is never edited or deleted: revoking keeps its name in the prediction log's
past meaningful. Its HTML lives in templates/admin/survival/apikey/."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from ml_pipeline.errors import InputError
from survival.apikeys.services import (
    NAME_MAX_LENGTH,
    api_key_create,
    api_key_rate,
    api_keys_revoke,
)
from survival.models import ApiKey

REVOKED = "Revoked {count} API key(s): every host refuses them from the next request on."
NOTHING_TO_REVOKE = "The selected API keys were already revoked; nothing changed."
ADD_TEMPLATE = "admin/survival/apikey/add.html"
ISSUED_TEMPLATE = "admin/survival/apikey/issued.html"
CONFIRM_REVOKE_TEMPLATE = "admin/survival/apikey/confirm_revoke.html"


class ApiKeyCreateForm(forms.Form):
    name = forms.CharField(
        max_length=NAME_MAX_LENGTH,
        help_text="Who or what uses the key, e.g. “Kaggle notebook”; unique, and kept in the "
        "prediction log with each prediction made with it.",
    )
    rate = forms.CharField(
        required=False,
        max_length=20,
        help_text="Its own limit, e.g. 600/min (count per s, min, hour or day). "
        "Empty: the API_KEY_RATE setting's.",
    )


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "prefix_shown",
        "rate_shown",
        "created_at",
        "revoked_at",
        "last_used_at",
    ]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "prefix"]
    actions = ["revoke"]
    fields = ["name", "prefix_shown", "rate_shown", "created_at", "revoked_at", "last_used_at"]
    readonly_fields = fields

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # The list's action needs the change permission; a key's own page is read-only.
        return obj is None and super().has_change_permission(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="prefix", ordering="prefix")
    def prefix_shown(self, api_key: ApiKey) -> str:
        return f"{api_key.prefix}…"

    @admin.display(description="rate", ordering="rate")
    def rate_shown(self, api_key: ApiKey) -> str:
        return api_key.rate or f"{api_key_rate(api_key)} (API_KEY_RATE)"

    def add_view(
        self, request: HttpRequest, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        """The form (GET), or the key it issues (POST), shown on the answer to that POST
        and nowhere else: no redirect, no message stored in the session or a cookie.
        Sending the form again is refused (the name is taken), so it cannot issue twice."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = ApiKeyCreateForm(request.POST or None)
        status = HTTPStatus.OK
        if request.method == "POST":
            if form.is_valid():
                try:
                    issued = api_key_create(**form.cleaned_data)
                except InputError as exc:
                    form.add_error(exc.field or None, exc.message)
                else:
                    self.log_addition(request, issued.api_key, [{"added": {}}])
                    context = self._context(request, f"API key “{issued.api_key.name}”")
                    response = TemplateResponse(
                        request,
                        ISSUED_TEMPLATE,
                        {**context, "api_key": issued.api_key, "key": issued.key},
                    )
                    response["Cache-Control"] = "no-store"
                    return response
            status = HTTPStatus.BAD_REQUEST
        context = {**self._context(request, "Add API key"), "form": form}
        return TemplateResponse(request, ADD_TEMPLATE, context, status=status)

    @admin.action(description="Revoke the selected API keys…", permissions=["change"])
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiKey]) -> HttpResponse | None:
        if request.POST.get("confirm") == "yes":
            count = api_keys_revoke(api_keys=queryset)
            if count:
                self.message_user(request, REVOKED.format(count=count), messages.SUCCESS)
            else:
                self.message_user(request, NOTHING_TO_REVOKE, messages.WARNING)
            return None
        context = {
            **self._context(request, "Revoke API keys"),
            "api_keys": list(queryset),
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, CONFIRM_REVOKE_TEMPLATE, context)

    def _context(self, request: HttpRequest, title: str) -> dict[str, Any]:
        return {**self.admin_site.each_context(request), "opts": self.opts, "title": title}
