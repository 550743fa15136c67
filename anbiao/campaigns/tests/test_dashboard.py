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


def test_a_second_visit_reads_every_figure_from_the_cache(login, station_officer):
    client = login(station_officer)
    grow(5)
    cold = dashboard_queries(client)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("home"), {"as_of": "2026-06-30"})
    assert response.status_code == 200
    # Sessions live in the database on PostgreSQL and in files on SQLite: not counted.
    warm = [
        q["sql"]
        for q in ctx.captured_queries
        if "django_session" not in q["sql"] and not q["sql"].startswith(("SAVEPOINT", "RELEASE"))
    ]
    # Only the user, the campaign, the data version, the filings and the tasks due are read.
    assert len(warm) == WARM_QUERIES, warm
    assert cold > len(warm)
    assert not [sql for sql in warm if "enterprise_counts" in sql or '"cases_case"."' in sql]
    # A write makes every cached figure stale at once.
    grow(1)
    assert dashboard_queries(client) == cold


WARM_QUERIES = 12


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
    assert "非火炬高新区小型、微型工贸企业" in text  # no stray space in the Chinese
    targets, _, pending, _ = doc.tables
    assert len(targets.rows) == 1 + 8
    assert len(pending.rows) == 1 + 2  # the two enterprises not started


@pytest.fixture
def supervision_history(reference):
    """Two 民安 enterprises: 3 planned inspections up to June 2026, 2 done; 3 hazards found in
    2026 (two closed after 10 and 30 days, one 重大 open past its deadline) and one from 2025
    still open past its deadline."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from anbiao.supervision import services as supervision
    from anbiao.supervision.models import Checklist, InspectionPlan, PlanEntry
    from anbiao.testing.factories import region

    a, b = make_enterprise(), make_enterprise()
    plan = InspectionPlan.objects.create(region=region("350213007"), year=2026)
    for enterprise, klass, months in ((a, "B", (2, 8)), (b, "C", (1, 4, 7))):
        for month in months:
            PlanEntry.objects.create(plan=plan, enterprise=enterprise, month=month, klass=klass)
    checklist = Checklist.objects.get(code="gm-general", version=1)
    for enterprise, on in ((a, date(2026, 2, 1)), (b, date(2026, 4, 1))):
        inspection = supervision.inspection_start(
            actor=None, enterprise=enterprise, checklist=checklist, inspected_on=on, inspectors="甲"
        )
        for item in checklist.items.all():
            supervision.inspection_save_result(
                actor=None, inspection=inspection, item=item, outcome="na"
            )
        supervision.inspection_finish(
            actor=None, inspection=inspection, contact_name="乙", contact_phone="13800000000"
        )

    def register(enterprise, level, found_on, closed=None, **kw):
        hazard = supervision.hazard_register(
            actor=None,
            enterprise=enterprise,
            level=level,
            description="隐患",
            found_on=found_on,
            **kw,
        )
        if closed:
            png = SimpleUploadedFile("整改.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
            for kind, files in (("start", ()), ("request_review", [png]), ("pass", ())):
                supervision.hazard_transition(
                    actor=None, hazard=hazard, kind=kind, on=closed, files=files
                )

    register(a, "general", date(2026, 2, 1), closed=date(2026, 2, 11))  # 10 days
    register(b, "major", date(2026, 3, 1), deadline=date(2026, 4, 30))
    register(b, "general", date(2026, 4, 1), closed=date(2026, 5, 1))  # 30 days
    register(a, "general", date(2025, 12, 1))  # last year's, open, past its 30-day deadline


def test_the_dashboard_shows_the_supervision_figures_of_its_date(
    login, station_officer, supervision_history
):
    response = login(station_officer).get(reverse("home"), {"as_of": "2026-06-30"})
    figures = {f["key"]: f for f in response.context["board"].supervision}
    assert {k: f["text"] for k, f in figures.items()} == {
        "inspections_planned": "3",
        "inspections_done": "2",
        "plan_rate": "66.7%",
        "hazards_found": "3",
        "hazards_closed": "2",
        "hazards_overdue": "2",
        "rectification_rate": "66.7%",
        "median_days_to_close": "20",
        "major_open": "1",
    }
    html = response.content.decode()
    assert "监管检查" in html and 'href="/supervision/hazards/?listed=1"' in html
    # each figure opens its list, and the list holds what the figure counts
    overdue = login(station_officer).get(figures["hazards_overdue"]["url"])
    assert overdue.context["page"].paginator.count == 2
    # an earlier date gives that date's figures
    march = login(station_officer).get(reverse("home"), {"as_of": "2026-03-15"})
    assert {f["key"]: f["text"] for f in march.context["board"].supervision}["hazards_found"] == "2"


def test_the_progress_report_has_the_supervision_section(
    login, station_officer, supervision_history
):
    import io

    import openpyxl

    response = login(station_officer).get(
        reverse("campaigns:report", args=["minan-2025"]), {"as_of": "2026-06-30"}
    )
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    line = next(
        c.value for r in sheet.iter_rows() for c in r if str(c.value).startswith("监管检查")
    )
    assert "已完成检查2次(计划完成率66.7%)" in line
    assert "发现隐患3项,已销号2项(整改率66.7%)" in line and "中位数20天" in line
    assert "逾期未整改隐患2项,挂牌督办重大隐患1项" in line


def test_a_far_forecast_is_cut_at_the_campaigns_end_and_named_in_the_legend(login, station_officer):
    import json
    import re

    enterprises = [make_enterprise(ledger_since=date(2025, 2, 28)) for _ in range(40)]
    for e, on in ((enterprises[0], date(2025, 9, 1)), (enterprises[1], date(2026, 5, 1))):
        cases.case_record_event(actor=None, enterprise=e, kind="start", on=on)
    page = login(station_officer).get(reverse("home"), {"as_of": "2026-06-30"}).content.decode()
    data = json.loads(re.search(r'id="dashboard-data"[^>]*>(.*?)</script>', page, re.S)[1])
    assert data["axis_end"] == "2026-12-31"  # the campaign's last deadline
    start = next(t for t in data["targets"] if t["metric"] == "start_rate")
    assert start["forecast"] > "2030"  # years away at this pace
    assert start["forecast_points"][-1][0] == "2026-12-31"  # but drawn only to the axis end
    assert start["forecast_legend"].startswith("按当前进度预计 20")
    assert start["forecast_legend"].endswith("达成(超出图表)")
