from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from anbiao.cases import services as cases
from anbiao.testing.factories import make_enterprise

pytestmark = pytest.mark.django_db


def dashboard_queries(client) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("home"), {"as_of": "2026-06-30"})
    assert response.status_code == 200
    assert "dashboard-data" in response.content.decode()
    return len(ctx.captured_queries)


def grow(n: int) -> None:
    for i in range(n):
        e = make_enterprise(ledger_since=date(2025, 2, 28))
        if i % 2:
            cases.case_record_event(actor=None, enterprise=e, kind="start", on=date(2025, 9, 1))


def test_the_dashboard_runs_a_bounded_number_of_queries(login, station_officer):
    client = login(station_officer)
    grow(5)
    few = dashboard_queries(client)
    grow(40)
    assert dashboard_queries(client) == few


def test_station_users_see_only_their_subdistricts_numbers(
    login, station_officer, other_station_officer, district_officer
):
    grow(3)
    make_enterprise("350213002", ledger_since=date(2025, 2, 28))
    minan = login(station_officer).get(reverse("home"), {"as_of": "2026-06-30"})
    assert minan.context["board"].values["eligible_total"] == 3
    # the other 街道's officer is outside the campaign's region (民安街道): no dashboard
    other = login(other_station_officer).get(reverse("home"))
    assert "board" not in (other.context or {})
    district = login(district_officer).get(reverse("home"), {"as_of": "2026-06-30"})
    board = district.context["board"]
    assert board.values["eligible_total"] == 3  # the campaign covers 民安 only
    assert [row["name"] for row in board.by_subdistrict] == ["民安街道"]


def test_each_number_opens_the_enterprises_behind_it(login, station_officer):
    grow(4)
    client = login(station_officer)
    response = client.get(
        reverse("campaigns:enterprises", args=["minan-2025", "started"]), {"as_of": "2026-06-30"}
    )
    assert response.context["page"].paginator.count == 2
    response = client.get(
        reverse("campaigns:enterprises", args=["minan-2025", "not_started"]),
        {"as_of": "2026-06-30"},
    )
    assert response.context["page"].paginator.count == 2


def test_the_progress_report_matches_the_dashboard(login, station_officer):
    import io

    import openpyxl

    grow(4)
    client = login(station_officer)
    response = client.get(reverse("campaigns:report", args=["minan-2025"]), {"as_of": "2026-06-30"})
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = [[c.value for c in r] for r in sheet.iter_rows()]
    assert "进度报表" in rows[0][0]
    subdistrict = next(r for r in rows if r[1] == "镇街")
    assert subdistrict[2:7] == ["民安街道", 4, 4, 2, "50.0%"]
    totals = next(r[0] for r in rows if r[0] and str(r[0]).startswith("合计"))
    assert "应创企业4家" in totals and "开展率50.0%" in totals


def test_the_print_view_renders(login, station_officer):
    grow(2)
    response = login(station_officer).get(reverse("campaigns:print", args=["minan-2025"]))
    assert "进展摘要" in response.content.decode()


def test_the_summary_draft_is_a_word_document_with_the_targets_and_the_lists(
    login, station_officer
):
    import io

    from docx import Document

    grow(4)
    response = login(station_officer).get(
        reverse("campaigns:summary", args=["minan-2025"]), {"as_of": "2026-06-30"}
    )
    assert response["Content-Disposition"].startswith("attachment")
    doc = Document(io.BytesIO(response.content))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "工作总结" in text and "应创企业4家" in text and "开展率50.0%" in text
    targets, _, pending, _ = doc.tables
    assert len(targets.rows) == 1 + 8
    assert len(pending.rows) == 1 + 2  # the two enterprises not started
