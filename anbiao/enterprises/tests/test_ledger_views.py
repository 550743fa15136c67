"""The ledger page (应创台账) at scale: the ledger's rows, a fixed number of queries."""

from datetime import date

import pytest
from django.db import connection
from django.urls import reverse

from anbiao.enterprises import ledger, services
from anbiao.enterprises.choices import Size
from anbiao.enterprises.models import Enterprise
from anbiao.testing.factories import make_enterprise

pytestmark = pytest.mark.django_db


def on_this_database(queries: int) -> int:
    """A page's pinned queries: PostgreSQL adds the session's row (sessions are kept in the
    database there) and the region filter's choices read through a server-side cursor (DECLARE,
    FETCH, CLOSE)."""
    return queries + (4 if connection.vendor == "postgresql" else 0)


REGIONS = ("350213007", "350213002", "350213003")  # 民安, 新店, 马巷


def spread_ledger(count: int) -> None:
    """`count` enterprises over three 街道: some entered after the baseline, some medium-sized
    (out of scope), some not eligible, one grown out of scope in 2026."""
    for i in range(count):
        grown = make_enterprise(
            REGIONS[i % 3],
            name=f"厦门{(i * 7) % count}号{'甲乙丙丁'[i % 4]}有限公司",
            ledger_since=date(2025, 9, 1) if i % 5 == 0 else date(2025, 2, 28),
            size=Size.MEDIUM if i % 7 == 3 else Size.SMALL,
            eligible=i % 6 != 1,
        )
        if i % 11 == 2:
            services.enterprise_update(
                actor=None,
                enterprise=grown,
                data={"size": Size.MEDIUM},
                effective_on=date(2026, 1, 1),
            )


def walk_pages(client, params) -> list[tuple[str, bool, str]]:
    rows, number = [], 1
    while True:
        page = client.get(reverse("enterprises:ledger"), {**params, "page": number}).context["page"]
        rows += [(e.name, e.is_new, e.on_size) for e in page]
        if not page.has_next():
            return rows
        number += 1


@pytest.mark.parametrize("view", ["eligible", "new", "scope"])
@pytest.mark.parametrize("on", [date(2025, 6, 30), date(2025, 12, 31), date(2026, 3, 1)])
def test_paging_the_ledger_shows_the_ledger_rules_rows_in_region_then_pinyin_order(
    login, district_officer, settings, view, on, sort_below
):
    settings.ANBIAO_PAGE_SIZE = 4
    spread_ledger(26)
    everyone = Enterprise.objects.all()
    qs = ledger.in_scope(everyone, on) if view == "scope" else ledger.eligible(everyone, on)
    qs = ledger.annotate_new(qs, date(2025, 2, 28))
    if view == "new":
        qs = qs.filter(is_new=True)
    expected = [
        (e.name, e.is_new, e.on_size) for e in qs.order_by("region__path", "name_pinyin", "id")
    ]
    assert expected or (view == "new" and on < date(2025, 9, 1))  # none new before September
    seen = walk_pages(login(district_officer), {"as_of": on.isoformat(), "view": view})
    assert seen == expected


@pytest.mark.parametrize(
    "params",
    [
        {"as_of": "2025-12-31"},
        {"as_of": "2025-12-31", "page": 3},
        {"as_of": "2025-12-31", "view": "new"},
        {"as_of": "2025-12-31", "view": "scope", "page": 2},
    ],
    ids=["first", "later", "new", "scope"],
)
def test_the_ledger_page_pins_its_queries_whatever_the_number_of_enterprises(
    login, district_officer, settings, params, django_assert_num_queries, sort_below
):
    settings.ANBIAO_PAGE_SIZE = 4
    client = login(district_officer)
    spread_ledger(15)
    client.get(reverse("enterprises:ledger"), params)
    # user, region, the campaigns (baseline), groups (the count), the page's rows, the bell,
    # the region filter's choices
    with django_assert_num_queries(on_this_database(7)):
        client.get(reverse("enterprises:ledger"), params)
    spread_ledger(45)
    with django_assert_num_queries(on_this_database(7)):
        client.get(reverse("enterprises:ledger"), params)
