"""Supervision figures as of two dates on a scripted history, and the hazard list's bounded
query count."""

from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from anbiao.enterprises.models import Enterprise
from anbiao.supervision import services
from anbiao.supervision.metrics import supervision_metrics
from anbiao.supervision.models import Checklist, InspectionPlan, PlanEntry
from anbiao.testing.factories import make_enterprise, region

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def close(hazard, started, reviewed, closed):
    services.hazard_transition(actor=None, hazard=hazard, kind="start", on=started)
    services.hazard_transition(
        actor=None,
        hazard=hazard,
        kind="request_review",
        on=reviewed,
        files=[SimpleUploadedFile("整改.png", PNG)],
    )
    services.hazard_transition(actor=None, hazard=hazard, kind="pass", on=closed)


def inspect(enterprise, on):
    checklist = Checklist.objects.get(code="gm-general", version=1)
    inspection = services.inspection_start(
        actor=None, enterprise=enterprise, checklist=checklist, inspected_on=on, inspectors="甲"
    )
    for item in checklist.items.all():
        services.inspection_save_result(actor=None, inspection=inspection, item=item, outcome="na")
    services.inspection_finish(
        actor=None, inspection=inspection, contact_name="乙", contact_phone="13800000000"
    )


@pytest.fixture
def history(reference):
    a, b = make_enterprise(), make_enterprise()
    plan = InspectionPlan.objects.create(region=region("350213007"), year=2026)
    for enterprise, klass, months in ((a, "B", (2, 8)), (b, "C", (1, 4, 7, 10))):
        for month in months:
            PlanEntry.objects.create(plan=plan, enterprise=enterprise, month=month, klass=klass)
    inspect(a, date(2026, 2, 1))
    inspect(b, date(2026, 4, 1))
    h1 = services.hazard_register(
        actor=None, enterprise=a, level="general", description="护罩缺失", found_on=date(2026, 2, 1)
    )
    close(h1, date(2026, 2, 3), date(2026, 2, 9), date(2026, 2, 11))  # 10 days
    services.hazard_register(
        actor=None,
        enterprise=b,
        level="major",
        description="除尘器无泄爆",
        found_on=date(2026, 3, 1),
        deadline=date(2026, 4, 30),
    )
    h3 = services.hazard_register(
        actor=None, enterprise=b, level="general", description="通道堵塞", found_on=date(2026, 4, 1)
    )
    close(h3, date(2026, 4, 2), date(2026, 4, 20), date(2026, 5, 1))  # 30 days
    services.hazard_register(  # last year: outside the period of both dates
        actor=None, enterprise=a, level="general", description="旧隐患", found_on=date(2025, 12, 1)
    )
    return Enterprise.objects.filter(pk__in=[a.pk, b.pk])


def test_figures_as_of_two_dates(history):
    march = supervision_metrics(history, date(2026, 3, 15))
    assert march == {
        "inspections_planned": 2,  # February (a) and January (b)
        "inspections_done": 1,
        "plan_rate": 0.5,
        "hazards_found": 2,
        "hazards_closed": 1,
        "hazards_overdue": 1,  # last year's hazard, still open, past its 30-day deadline
        "rectification_rate": 0.5,
        "median_days_to_close": 10,
        "major_open": 1,
    }
    may = supervision_metrics(history, date(2026, 5, 10))
    assert may == {
        "inspections_planned": 3,  # and April (b)
        "inspections_done": 2,
        "plan_rate": 0.6667,
        "hazards_found": 3,
        "hazards_closed": 2,
        "hazards_overdue": 2,  # the major one passed its 30 April deadline
        "rectification_rate": 0.6667,
        "median_days_to_close": 20,
        "major_open": 1,
    }


def test_a_rate_with_nothing_to_divide_is_not_applicable(reference):
    figures = supervision_metrics(Enterprise.objects.none(), date(2026, 3, 1))
    assert figures["plan_rate"] is None and figures["rectification_rate"] is None
    assert figures["median_days_to_close"] is None


def test_the_metrics_page_shows_the_figures_as_of_the_date(history, station_officer, login):
    response = login(station_officer).get("/supervision/", {"on": "2026-03-15"})
    assert response.status_code == 200
    text = response.content.decode()
    assert "挂牌督办重大隐患" in text and "2026年3月15日" in text


@pytest.mark.parametrize("count", [3, 30])
def test_the_hazard_list_uses_a_bounded_number_of_queries(
    count, station_officer, minan_enterprise, login, django_assert_max_num_queries
):
    for n in range(count):
        services.hazard_register(
            actor=None,
            enterprise=minan_enterprise,
            level="major" if n % 3 == 0 else "general",
            description=f"隐患{n}",
            found_on=date(2026, 3, 1),
        )
    client = login(station_officer)
    with django_assert_max_num_queries(12):
        response = client.get("/supervision/hazards/", {"state": "open"})
    assert response.status_code == 200
    assert response.content.decode().count('class="hazard-link"') == min(count, 20)
    with django_assert_max_num_queries(12):
        export = client.get("/supervision/hazards/export/")
    assert export.status_code == 200


def test_the_hazard_ledger_exports_in_filing_layout(station_officer, minan_enterprise, login):
    import io

    import openpyxl

    services.hazard_register(
        actor=None,
        enterprise=minan_enterprise,
        level="major",
        description='=HYPERLINK("x")除尘器无泄爆',
        found_on=date(2026, 3, 1),
    )
    response = login(station_officer).get("/supervision/hazards/export/")
    body = b"".join(response.streaming_content)
    sheet = openpyxl.load_workbook(io.BytesIO(body)).active
    cells = [c for row in sheet.iter_rows(values_only=True) for c in row if c]
    assert cells[0] == "生产安全事故隐患排查治理台账"
    assert any(str(c).startswith("填报单位") for c in cells)
    assert '=HYPERLINK("x")除尘器无泄爆' in cells  # text, never a formula
    assert any("合计:隐患 1 项,其中重大隐患 1 项" in str(c) for c in cells)
    assert "单位负责人:" in cells


def test_the_plan_ticks_off_planned_inspections_in_month_order(history, station_officer, login):
    """Each finished inspection of the year ticks off the enterprise's next planned one; an
    unticked one is 逾期 once its month has ended, 待检查 until then; the .xlsx lists the same."""
    import io

    from openpyxl import load_workbook

    from anbiao.supervision.selectors import plan_rows, plan_summary

    plan = InspectionPlan.objects.get(year=2026)
    rows = plan_rows(user=station_officer, plan=plan, on=date(2026, 5, 15))
    status = {(e.enterprise.pk, e.month): e.status for e in rows}
    a, b = sorted(history, key=lambda e: e.pk)
    assert status == {
        (a.pk, 2): "done",  # inspected 2026-02-01
        (a.pk, 8): "due",
        (b.pk, 1): "done",  # the April inspection ticks off January's first
        (b.pk, 4): "overdue",  # … so April's is still open, and April is over
        (b.pk, 7): "due",
        (b.pk, 10): "due",
    }
    summary = {row["klass"]: row for row in plan_summary(rows)}
    assert (summary["C"]["done"], summary["C"]["overdue"], summary["C"]["total"]) == (1, 1, 4)

    overdue = plan_rows(
        user=station_officer, plan=plan, on=date(2026, 5, 15), params={"status": "overdue"}
    )
    assert [(e.enterprise.pk, e.month) for e in overdue] == [(b.pk, 4)]

    response = login(station_officer).get(f"/supervision/plans/{plan.pk}/export/")
    assert response.status_code == 200
    sheet = load_workbook(
        io.BytesIO(b"".join(response.streaming_content) if response.streaming else response.content)
    ).active
    text = "\n".join(str(c.value) for row in sheet.iter_rows() for c in row if c.value)
    assert text.count(a.name) == 2 and text.count(b.name) == 4
