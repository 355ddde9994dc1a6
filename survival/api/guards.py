"""What a request must pass before an API endpoint runs: the per-client rate limits and
the body's size and type."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from http import HTTPStatus
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from ninja.parser import Parser

from survival.api.keys import key_of
from survival.api.rate_window import WindowThrottle

BODY_TOO_LARGE = "The request body is larger than {limit} bytes."
NOT_JSON = "The request body must be JSON (Content-Type: application/json)."
NOT_JSON_CONTENT_TYPE = "The request body must be sent with Content-Type: application/json."
# Where limit_json_body leaves the body it parsed, for GuardedBodyParser.
_PARSED_BODY = "_guarded_json_body"
_UNPARSED = object()


class PredictThrottle(WindowThrottle):
    """The per-client limit (client = address, see NINJA_NUM_PROXIES) at
    settings.API_PREDICT_RATE: a client may send that many requests in a window that opens
    with its first request and lasts the rate's period (rate_window says exactly what that
    allows). The rate is read on each request, so it can change without rebuilding the API;
    the counts live in Django's default cache, so the limit holds across workers and hosts
    that share it. A call with an API key is limited by its key instead (keys.KeyThrottle)."""

    scope = "predict"

    def rate(self, request: HttpRequest) -> str:
        return settings.API_PREDICT_RATE

    def cache_key(self, request: HttpRequest) -> str | None:
        if key_of(request) is not None:
            return None
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class FeedbackThrottle(PredictThrottle):
    """The predict limit, counted separately so reporting outcomes never uses up a client's
    predictions (or the other way round)."""

    scope = "feedback"


def limit_json_body(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Refuses bodies over settings.API_MAX_BODY_BYTES (413) and bodies that are not JSON
    (400) with a clear message, before anything else reads them."""

    @wraps(view)
    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        limit = settings.API_MAX_BODY_BYTES
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        if declared > limit or len(request.body) > limit:
            return JsonResponse(
                {"detail": BODY_TOO_LARGE.format(limit=limit)},
                status=HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
            )
        if request.body:
            # A plain HTML form on another site can post form-encoded, multipart or
            # text/plain bodies (even ones that parse as JSON) with a visitor's browser, but
            # not application/json: refusing the others keeps such pages out.
            content_type = request.content_type or ""
            if content_type != "application/json" and not content_type.endswith("+json"):
                return JsonResponse(
                    {"detail": NOT_JSON_CONTENT_TYPE}, status=HTTPStatus.UNSUPPORTED_MEDIA_TYPE
                )
            try:
                setattr(request, _PARSED_BODY, json.loads(request.body))
            except ValueError:
                return JsonResponse({"detail": NOT_JSON}, status=HTTPStatus.BAD_REQUEST)
        return view(request, *args, **kwargs)

    return guarded


class GuardedBodyParser(Parser):
    """ninja's JSON parser, which takes the body limit_json_body parsed rather than parsing
    it a second time."""

    def parse_body(self, request: HttpRequest) -> Any:
        parsed = getattr(request, _PARSED_BODY, _UNPARSED)
        return super().parse_body(request) if parsed is _UNPARSED else parsed
