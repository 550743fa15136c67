"""A large list's counts by region (GroupedRows, core/pagination.py) are kept under the data
version: paging through it counts once per write, not once per page, and a write is seen on the
next page (docs/enterprise-registry.md, "Large lists")."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from anbiao.core import pagination
from anbiao.enterprises import services as registry
from anbiao.testing.factories import make_enterprise

pytestmark = pytest.mark.django_db(transaction=True)


def visit(client, path: str, **params) -> tuple[int, int]:
    """The list's total and how many counts by group its request ran."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path, params)
    assert response.status_code == 200
    counted = [q for q in queries.captured_queries if '"order_key"' in q["sql"]]
    return response.context["page"].paginator.count, len(counted)


@pytest.mark.parametrize("path", ["/enterprises/", "/enterprises/ledger/"])
def test_paging_through_a_list_counts_it_once_per_write(reference, station_officer, client, path):
    for _ in range(3):
        make_enterprise()
    client.force_login(station_officer)
    total, counted = visit(client, path)
    assert (total, counted) == (3, 1)
    assert visit(client, path, page=2) == (3, 0)  # out of range: the last page, counts kept
    assert visit(client, path) == (3, 0)
    make_enterprise()
    assert visit(client, path) == (4, 1)  # a write moved the version: counted again
    enterprise = make_enterprise()
    registry.enterprise_change_status(
        actor=None,
        enterprise=enterprise,
        status="deregistered",
        on=timezone.localdate(),
        reason="注销",
    )
    total, counted = visit(client, path)
    assert counted == 1 and total == (5 if path == "/enterprises/" else 4)


def test_a_count_reading_what_does_not_move_the_version_is_not_kept():
    by_name = 'SELECT 1 FROM "enterprises_enterprise" WHERE "enterprises_enterprise"."name" = %s'
    assert not pagination._versioned(by_name)
    in_a_subquery = 'SELECT 1 FROM "accounts_region" WHERE 1 IN (SELECT 1 FROM "enterprises_enterprise" U0 WHERE U0."address" = %s)'  # noqa: E501
    assert not pagination._versioned(in_a_subquery)
    assert not pagination._versioned('SELECT 1 FROM "notifications_notification"')
    assert pagination._versioned(
        'SELECT 1 FROM "enterprises_enterprise" INNER JOIN "accounts_region" ON 1 = 1'
    )
