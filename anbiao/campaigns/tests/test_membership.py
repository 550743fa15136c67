"""The counts one enterprise at a time (membership.py) against the ORM definitions, on the history
of test_counts.py that has every edge they have, on many dates and for several campaigns."""

from collections import Counter
from datetime import date

import pytest

from anbiao.accounts.models import Region
from anbiao.campaigns import membership, metrics
from anbiao.campaigns.tests.test_counts import DAYS, campaign, orm_counts, world  # noqa: F401
from anbiao.enterprises.models import Enterprise
from anbiao.filings.snapshot import KEY_LISTS
from anbiao.testing.factories import region

pytestmark = pytest.mark.django_db


def assert_equal_to_the_orm(scope: metrics.Scope) -> None:
    ids = list(Enterprise.objects.values_list("pk", flat=True))
    records = membership.load_records(ids)
    for day in DAYS:
        at = scope.at(day)
        terms = membership.Terms.of(at)
        each = {pk: membership.counted(r, terms) for pk, r in records.items()}
        totals = sum((Counter(c) for c in each.values()), Counter())
        expected = orm_counts(at)
        assert {k: totals[k] for k in membership.COUNTED} == {
            k: expected[k] for k in membership.COUNTED
        }, day
        for key in KEY_LISTS:
            behind = set(metrics.enterprises_behind(at, key).values_list("pk", flat=True))
            assert {pk for pk, c in each.items() if c[key]} == behind, (day, key)


def test_one_enterprise_at_a_time_equals_the_orm_definitions_on_every_day(world):  # noqa: F811
    assert_equal_to_the_orm(metrics.Scope(campaign(), Enterprise.objects.all(), DAYS[0]))
    # The history reaches every count on some day.
    terms = membership.Terms.of(
        metrics.Scope(campaign(), Enterprise.objects.all(), date(2025, 12, 31))
    )
    records = membership.load_records(list(Enterprise.objects.values_list("pk", flat=True)))
    reached = Counter()
    for r in records.values():
        reached.update(membership.counted(r, terms))
    assert all(reached[key] for key in membership.COUNTED), reached


def test_and_for_another_region_and_a_campaign_that_keeps_the_torch_zone(world):  # noqa: F811
    wide = campaign()
    wide.region = Region.objects.get(code="350213")
    wide.industries = [i for i in wide.industries if i != "textile"]
    wide.save()
    for area in (wide.region, region("350213002")):
        assert_equal_to_the_orm(metrics.Scope(wide, Enterprise.objects.all(), DAYS[0], area))
    wide.exclude_torch_zone = False
    wide.sizes = ["small", "micro", "medium"]
    wide.save()
    assert_equal_to_the_orm(metrics.Scope(wide, Enterprise.objects.all(), DAYS[0]))
