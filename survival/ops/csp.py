"""The Content-Security-Policy header, written out once per process.

django-csp's middleware builds the header from CONTENT_SECURITY_POLICY on every response;
on the visitor's live previews that was a noticeable share of the request. The policy only
changes with the setting, so this middleware keeps the built header and reuses it while the
setting is the same object. Any response that asks for something of its own (a view's
`@csp` or `@csp_update`, an exemption, a nonce, a report-only policy, a debug page) is left
to django-csp, which then does exactly what it always does.
"""

from __future__ import annotations

import http.client
from typing import Any

from csp.constants import HEADER
from csp.middleware import CheckableLazyObject, CSPMiddleware
from csp.utils import build_policy
from django.conf import settings
from django.http import HttpRequest, HttpResponseBase

# What a view sets on its response (or on the request) to change the policy for itself.
_OWN_POLICY_ATTRIBUTES = frozenset(
    (
        "_csp_config",
        "_csp_update",
        "_csp_replace",
        "_csp_exempt",
        "_csp_config_ro",
        "_csp_update_ro",
        "_csp_replace_ro",
        "_csp_exempt_ro",
    )
)
# django-csp leaves DEBUG's own error pages without a policy.
_DEBUG_PAGES = (http.client.INTERNAL_SERVER_ERROR, http.client.NOT_FOUND)


class PolicyHeaderMiddleware(CSPMiddleware):
    """django-csp's middleware, with the common case's header built once."""

    def __init__(self, get_response: Any) -> None:
        super().__init__(get_response)
        # (the CONTENT_SECURITY_POLICY object it was built from, the header).
        self._built: tuple[object, str] | None = None

    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        if not self._common(request, response):
            return super().process_response(request, response)
        source = settings.CONTENT_SECURITY_POLICY
        built = self._built
        if built is None or built[0] is not source:
            built = self._built = (source, build_policy())
        if built[1] and HEADER not in response:
            response[HEADER] = built[1]
        # As django-csp does: a nonce asked for after the header is written is an error.
        request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)
        return response

    @staticmethod
    def _common(request: HttpRequest, response: HttpResponseBase) -> bool:
        """Whether this response takes the site's policy as it is and nothing else."""
        if getattr(request, "_csp_nonce", None) is not None:
            return False
        if not _OWN_POLICY_ATTRIBUTES.isdisjoint(vars(response)):
            return False
        if settings.DEBUG and response.status_code in _DEBUG_PAGES:
            return False
        policy = getattr(settings, "CONTENT_SECURITY_POLICY", None) or {}
        if policy.get("EXCLUDE_URL_PREFIXES"):
            return False
        return not getattr(settings, "CONTENT_SECURITY_POLICY_REPORT_ONLY", None)
