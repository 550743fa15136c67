"""core/lookups.among selects what `__in` selects — by ids, by codes, across a relation, with
other conditions — on whichever database this run uses (PostgreSQL: one array parameter)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from anbiao.cases.models import Case
from anbiao.core.lookups import among
from anbiao.enterprises.models import Enterprise
from anbiao.testing.factories import make_enterprise

pytestmark = pytest.mark.django_db


def test_among_selects_what_in_selects(reference):
    firms = [make_enterprise() for _ in range(5)]
    for firm in firms[:3]:
        Case.objects.create(enterprise=firm, cycle=1)
    codes = [f.uscc for f in firms[1:4]] + ["91350213MA0000000X"]  # one code no firm has
    by_code = Enterprise.objects.filter(among("uscc", codes)).order_by("pk")
    assert list(by_code) == list(Enterprise.objects.filter(uscc__in=codes).order_by("pk"))
    assert [f.pk for f in by_code] == [f.pk for f in firms[1:4]]
    ids = [f.pk for f in firms]
    across = Case.objects.filter(among("enterprise_id", ids), cycle=1).order_by("pk")
    assert [c.enterprise_id for c in across] == [f.pk for f in firms[:3]]
    spanning = Case.objects.filter(among("enterprise__uscc", codes)).values_list("enterprise_id")
    assert sorted(pk for (pk,) in spanning) == [firms[1].pk, firms[2].pk]


def test_among_nothing_selects_nothing_without_a_query(reference):
    make_enterprise()
    with CaptureQueriesContext(connection) as queries:
        assert list(Enterprise.objects.filter(among("pk", []))) == []
    assert len(queries) == 0
