from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from anbiao.testing.factories import attend, make_enterprise, make_session
from anbiao.training.models import Attendance, Session

pytestmark = pytest.mark.django_db


def queries(client, name, params=None, **kwargs) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse(name, kwargs=kwargs or None), params or {})
    assert response.status_code == 200
    return len(ctx.captured_queries)


def populate(n, session=None):
    for _ in range(n):
        firm = make_enterprise()
        s = session or make_session()
        attend(s, firm, "principal")
        attend(s, firm, "safety_manager", name="安全员")


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("training:list", {}),
        ("training:list", {"kind": "training", "q": "宣贯"}),
        ("training:coverage", {}),
        ("training:coverage", {"state": "covered", "start": "2025-01-01", "end": "2025-12-31"}),
    ],
)
def test_pages_run_the_same_number_of_queries_for_3_and_12_rows(
    login, station_officer, name, params
):
    client = login(station_officer)
    populate(3)
    few = queries(client, name, params)
    populate(9)
    assert queries(client, name, params) == few


def test_the_session_page_runs_the_same_number_of_queries_for_few_and_many_people(
    login, station_officer, reference
):
    client = login(station_officer)
    session = make_session()
    populate(2, session)
    few = queries(client, "training:detail", pk=session.pk)
    populate(10, session)
    assert queries(client, "training:detail", pk=session.pk) == few


def test_coverage_page_for_a_constructed_ledger(login, station_officer, reference):
    both, principal_only = make_enterprise(name="都参训"), make_enterprise(name="仅负责人")
    make_enterprise(name="未参训")
    session = make_session(held_on=date(2025, 6, 20))
    attend(session, both, "principal", name="甲")
    attend(session, both, "safety_manager", name="乙")
    attend(session, principal_only, "principal", name="丙")
    client = login(station_officer)
    params = {"start": "2025-01-01", "end": "2025-12-31"}
    response = client.get(reverse("training:coverage"), params)
    summary = response.context["summary"]
    assert (summary["total"], summary["covered"], summary["principal"], summary["never"]) == (
        3,
        1,
        1,
        1,
    )
    covered = client.get(reverse("training:coverage"), params | {"state": "covered"})
    assert [e.name for e in covered.context["page"]] == ["都参训"]
    never = client.get(reverse("training:coverage"), params | {"state": "never"})
    assert [e.name for e in never.context["page"]] == ["未参训"]


def test_a_session_is_registered_and_people_added_by_hand(login, station_officer, reference):
    firm = make_enterprise(name="厦门恒兴机械有限公司")
    client = login(station_officer)
    response = client.post(
        reverse("training:create"),
        {
            "topic": "评审指南宣贯",
            "kind": "publicity",
            "held_on": "2025-06-20",
            "hours": "3",
            "region": station_officer.region_id,
            "organiser": "民安街道安监站",
        },
    )
    session = Session.objects.get()
    assert response["Location"] == reverse("training:detail", kwargs={"pk": session.pk})
    client.post(
        reverse("training:attend", kwargs={"pk": session.pk}),
        {"name": "陈志明", "role": "principal", "enterprise": firm.uscc},
    )
    client.post(
        reverse("training:attend", kwargs={"pk": session.pk}),
        {"name": "陈志明", "role": "principal", "enterprise": firm.name},
    )
    assert Attendance.objects.get().enterprise == firm  # the second is a duplicate


def test_another_subdistrict_sees_neither_the_session_nor_its_people(
    login, other_station_officer, reference
):
    session = make_session()
    attend(session, make_enterprise(name="厦门民安保密有限公司"), "principal")
    client = login(other_station_officer)
    assert client.get(reverse("training:detail", kwargs={"pk": session.pk})).status_code == 404
    listed = client.get(reverse("training:list"))
    assert list(listed.context["page"]) == []
    assert "厦门民安保密有限公司" not in client.get(reverse("training:coverage")).content.decode()
