"""Property-based fuzzing of the whole OpenAPI document with schemathesis: whatever a client
sends to any operation, the API never answers 5xx and every answer matches its schema.

The example count is kept modest (FUZZ_EXAMPLES per operation) so the run stays within a couple
of minutes on a small machine; raise it locally with ANBIAO_FUZZ_EXAMPLES=200.
"""

import os
from datetime import date, timedelta

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.utils import timezone
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
)

from anbiao.api.services import token_create
from anbiao.testing.factories import (
    AgencyFactory,
    assign_agency,
    attend,
    certify,
    choose_benchmark,
    make_session,
    record_steps,
)

# Runs once in CI (on SQLite), not again on PostgreSQL: see .ci/run.
pytestmark = pytest.mark.slow


FUZZ_EXAMPLES = int(os.environ.get("ANBIAO_FUZZ_EXAMPLES", "12"))


@pytest.fixture
def api_schema(db):
    """The schema, called through Django's WSGI handler. Like Django's test client, keep the
    handler from closing the database connection after each request: that would end the test's
    transaction on PostgreSQL."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


schema = schemathesis.pytest.from_fixture("api_schema")


@pytest.fixture
def fuzz_token(settings, station_officer, minan_enterprise, xindian_enterprise):
    """A read-write token of the 民安 station officer, with data of every kind to read."""
    settings.ANBIAO_API_RATE_LIMIT = 1_000_000
    certify(minan_enterprise, date(2025, 8, 1), number="FUZZ-1")
    record_steps(xindian_enterprise, ("start", date(2025, 4, 1)))
    choose_benchmark(minan_enterprise, date(2025, 9, 1))
    attend(make_session(), minan_enterprise)
    assign_agency(AgencyFactory(), minan_enterprise)
    later = timezone.localdate() + timedelta(days=30)
    _, secret = token_create(
        actor=None, user=station_officer, name="fuzz", expires_on=later, read_only=False
    )
    return secret


@schema.parametrize()
@settings(
    max_examples=FUZZ_EXAMPLES,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
)
def test_no_operation_answers_5xx_or_breaks_its_schema(case, fuzz_token):
    case.call_and_validate(
        headers={"Authorization": f"Bearer {fuzz_token}"},
        checks=[not_a_server_error, response_schema_conformance, content_type_conformance],
    )
