"""A bounded fuzz run of the JSON API, driven by its own OpenAPI document: schemathesis
generates valid and invalid requests for every operation and checks that no answer is a
server error and every answer matches the documented status codes, headers and schemas."""

from __future__ import annotations

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, settings

# Bounded so that `make test` stays quick: about 650 requests in all, in under 15 s here.
EXAMPLES_PER_OPERATION = 200


# The document is fetched from the app itself, as a client would (it reads no database).
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())


# Transactional: the WSGI handler closes the database connection after each request, as in
# production (it cannot tell it is inside a test's transaction, unlike Django's test client),
# which on PostgreSQL would end the test's own transaction.
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("active_version")
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
