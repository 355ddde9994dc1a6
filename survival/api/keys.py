"""API keys at the door of the prediction endpoints: django-ninja's bearer authentication
and a rate limit per key.

A request without `Authorization: Bearer …` is anonymous: it passes (and is limited per
client address by guards.PredictThrottle) unless settings.API_REQUIRE_KEY is on, and costs
no database query. A request with a bearer key is looked up by the key's hash (one indexed
query, nothing cached, so a revocation holds on every host at once); an unknown or revoked
key is refused with 401 whatever API_REQUIRE_KEY says. Other Authorization schemes (a
proxy's Basic credentials, say) are not keys and are ignored.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from ninja import NinjaAPI
from ninja.openapi.schema import OpenAPISchema
from ninja.security import HttpBearer

from survival.api.rate_window import WindowThrottle
from survival.apikeys.services import (
    KEY_REQUIRED,
    ApiKeyMissingError,
    api_key_authenticate,
    api_key_rate,
)
from survival.models import ApiKey


class Anonymous:
    """request.auth of a call without a key (ninja needs a true value to let it pass)."""

    def __bool__(self) -> bool:
        return True

    def __str__(self) -> str:
        return "anonymous"


ANONYMOUS = Anonymous()


class ApiKeyBearer(HttpBearer):
    """`Authorization: Bearer <key>`: request.auth becomes the ApiKey, or ANONYMOUS for a
    call without a key when keys are optional. The OpenAPI document shows it as the bearer
    scheme "ApiKeyBearer"."""

    def __call__(self, request: HttpRequest) -> ApiKey | Anonymous:
        scheme, _, key = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
        if scheme.lower() != "bearer":
            if settings.API_REQUIRE_KEY:
                raise ApiKeyMissingError(KEY_REQUIRED)
            return ANONYMOUS
        return self.authenticate(request, key.strip())

    def authenticate(self, request: HttpRequest, token: str) -> ApiKey:
        return api_key_authenticate(key=token)


def key_of(request: HttpRequest) -> ApiKey | None:
    """The API key the request was sent with, or None."""
    auth = getattr(request, "auth", None)
    return auth if isinstance(auth, ApiKey) else None


def key_name_of(request: HttpRequest) -> str:
    """What the prediction log records of the caller: the key's name, or "" for none."""
    api_key = key_of(request)
    return api_key.name if api_key else ""


class KeyThrottle(WindowThrottle):
    """The rate limit of a keyed call: the key's own rate (or API_KEY_RATE), counted per key
    in Django's default cache (in windows, see rate_window), so the limit holds across
    workers and hosts that share it. Anonymous calls pass here (guards.PredictThrottle
    counts them)."""

    scope = "predict-key"

    def rate(self, request: HttpRequest) -> str:
        api_key = key_of(request)
        return api_key_rate(api_key) if api_key else settings.API_KEY_RATE

    def cache_key(self, request: HttpRequest) -> str | None:
        api_key = key_of(request)
        if api_key is None:
            return None
        return self.cache_format % {"scope": self.scope, "ident": api_key.pk}


class FeedbackKeyThrottle(KeyThrottle):
    """The key's limit, counted apart for feedback (as the anonymous limits are)."""

    scope = "feedback-key"


class NinjaAPIWithKeys(NinjaAPI):
    """django-ninja's API, whose OpenAPI document tells the truth about keys: while
    API_REQUIRE_KEY is off, the bearer key is one of two choices, the other being none
    (OpenAPI's empty security requirement)."""

    def get_openapi_schema(self, **kwargs: Any) -> OpenAPISchema:
        document = super().get_openapi_schema(**kwargs)
        if not settings.API_REQUIRE_KEY:
            for operations in document["paths"].values():
                for operation in operations.values():
                    if operation.get("security") == [{ApiKeyBearer.__name__: []}]:
                        operation["security"] = [{}, {ApiKeyBearer.__name__: []}]
        return document
