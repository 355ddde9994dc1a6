"""A bounded fuzz run of the JSON API, driven by its own OpenAPI document: schemathesis
generates valid and invalid requests for every operation and checks that no answer is a
server error and every answer matches the documented status codes, headers and schemas."""

from __future__ import annotations

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings

# Bounded so that `make test` stays quick: about 650 requests in all, in under 15 s here.
EXAMPLES_PER_OPERATION = 200


# The document is fetched from the app itself, as a client would (it reads no database).
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())


@pytest.fixture
def keep_the_test_connection():
    """Plain WSGI calls end by closing database connections left inside a transaction, and
    the test's own transaction is one: an on-disk or PostgreSQL test database would then be
    closed under the test. Django's test client avoids it the same way."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.mark.usefixtures("keep_the_test_connection", "active_version")
@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_the_api_never_fails_and_keeps_to_its_documented_schema(case):
    case.call_and_validate()
