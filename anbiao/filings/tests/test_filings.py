"""信息报送: frozen snapshots, "as known at" recomputation, why a figure changed, the district's
answer and the roll-up (docs/filings.md)."""

import io
from datetime import date, datetime

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from anbiao.campaigns.asknown import as_known_at
from anbiao.campaigns.models import Campaign
from anbiao.cases.models import EvidenceFile
from anbiao.cases.services import case_correct_last
from anbiao.core.imports.jobs import import_job_commit, import_job_create
from anbiao.enterprises import services as registry
from anbiao.enterprises.models import EnterpriseFact
from anbiao.filings import services
from anbiao.filings.changes import compare
from anbiao.filings.models import Filing
from anbiao.filings.snapshot import comparable, figures
from anbiao.testing.factories import certify, make_enterprise, make_uscc, record_steps

pytestmark = pytest.mark.django_db
AS_OF = date(2025, 6, 30)


@pytest.fixture
def campaign(reference):
    return Campaign.objects.get(slug="minan-2025")


@pytest.fixture
def history(reference):
    """民安: A certified in May, B started in April, C not started, D (新店) outside the 镇街."""
    e = {key: make_enterprise(name=f"厦门报送{key}机械有限公司") for key in "ABC"}
    e["D"] = make_enterprise("350213002", name="厦门报送D食品有限公司")
    certify(e["A"], date(2025, 5, 20))
    record_steps(e["B"], ("start", date(2025, 4, 1)))
    return e


def filed(content: Filing) -> dict:
    return comparable({k: getattr(content, k) for k in ("values", "breakdowns", "enterprise_ids")})


def ledger_file(rows) -> SimpleUploadedFile:
    text = (
        "企业名称,统一社会信用代码,行业,企业规模,纳入台账日期,所属镇街,是否符合创建条件\n"
        + "".join(f"{name},{uscc},机械,小型,2025-03-01,民安街道,是\n" for name, uscc in rows)
    )
    return SimpleUploadedFile("补录台账.csv", text.encode())


def test_a_filing_freezes_the_figures_the_lists_and_the_report(
    campaign, history, station_officer, district_officer
):
    filing = services.filing_submit(actor=station_officer, campaign=campaign, as_of=AS_OF)
    assert filing.region == station_officer.region and filing.period == ""
    assert filing.values["eligible_total"] == 3
    assert filing.values["started"] == 2 and filing.values["completed"] == 1
    assert set(filing.enterprise_ids["completed"]) == {history["A"].pk}
    assert history["D"].pk not in filing.enterprise_ids["scope_total"]
    report = filing.files.get()
    assert report.name.endswith(".xlsx") and report.size > 0
    # the district is told
    assert district_officer.notifications.filter(rule="filing").exists()
    filing.values["completed"] = 99  # what was filed is never rewritten
    with pytest.raises(ValueError, match="报送的内容不可修改"):
        filing.save()
    with pytest.raises(ValueError):
        filing.save(update_fields=["values"])
    filing.refresh_from_db()
    assert filing.values["completed"] == 1


def test_the_filed_lists_download_names_the_enterprises_as_filed(
    client, campaign, history, station_officer
):
    filing = services.filing_submit(actor=station_officer, campaign=campaign, as_of=AS_OF)
    record_steps(history["C"], ("start", date(2025, 6, 1)))  # later: not in what was filed
    client.force_login(station_officer)
    response = client.get(reverse("filings:lists", args=[filing.pk]))
    body = b"".join(response.streaming_content)
    sheet = openpyxl.load_workbook(io.BytesIO(body)).active
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[2]
    by_name = {row[0]: dict(zip(header, row, strict=True)) for row in rows[3:]}
    assert set(by_name) == {history[k].name for k in "ABC"}
    assert by_name[history["A"].name]["已完成创建"] == "是"
    assert by_name[history["C"].name]["已开展创建"] in (None, "")


def test_a_snapshot_recomputed_as_known_at_its_filing_equals_what_was_filed(
    campaign, history, station_officer
):
    """After later imports, edits, back-dated steps, corrections and deleted evidence, the
    figures recomputed with what was known when it was filed are exactly those filed."""
    e = history
    evidence = EvidenceFile(case=e["A"].cases.get(), name="a.pdf", file_type="pdf", size=9)
    evidence.sha256 = "0"
    evidence.file.save("a.pdf", ContentFile(b"%PDF-1.4 "), save=True)
    filing = services.filing_submit(actor=station_officer, campaign=campaign, as_of=AS_OF)
    # --- later: a back-dated new enterprise, a back-dated step, a certificate withdrawn by a
    # correction, an enterprise leaving the ledger back-dated, an industry change, evidence gone
    make_enterprise(name="厦门补录机械有限公司", ledger_since=date(2025, 3, 1))
    record_steps(e["C"], ("start", date(2025, 6, 1)))
    case_correct_last(actor=station_officer, enterprise=e["A"], note="证书录错")
    registry.enterprise_change_status(
        actor=None, enterprise=e["B"], status="deregistered", on=date(2025, 5, 1), reason="注销"
    )
    registry.enterprise_update(
        actor=None,
        enterprise=e["C"],
        data={"industry": "tobacco"},
        effective_on=date(2025, 7, 1),
    )
    evidence.delete()
    facts_before = EnterpriseFact.objects.count()

    now = figures(campaign, filing.region, AS_OF, with_targets=False)
    assert comparable(now) != filed(filing)  # today's view of the same date differs
    again = as_known_at(
        filing.filed_at, lambda: figures(campaign, filing.region, AS_OF, with_targets=False)
    )
    assert comparable(again) == filed(filing)
    # nothing of the rewind is kept
    assert EnterpriseFact.objects.count() == facts_before
    assert comparable(figures(campaign, filing.region, AS_OF, with_targets=False)) == (
        comparable(now)
    )


def test_a_back_dated_import_is_warned_about_and_then_explained_by_exactly_its_records(
    client, campaign, history, station_officer, district_officer
):
    filing = services.filing_submit(actor=station_officer, campaign=campaign, as_of=AS_OF)
    new = [(f"厦门补录{i}号机械有限公司", make_uscc()) for i in range(3)]
    job = import_job_create(actor=station_officer, kind="ledger", upload=ledger_file(new))
    assert job.status == "checked", job.errors
    warnings = job.report["filed_changes"]
    assert len(warnings) == 1 and "应创企业 3 → 6" in warnings[0], warnings
    assert Filing.objects.get().values["eligible_total"] == 3  # the preview changed nothing
    client.force_login(station_officer)
    page = client.get(reverse("imports:detail", args=[job.pk])).content.decode()
    assert "将改变已报送的数据" in page and "应创企业 3 → 6" in page

    import_job_commit(actor=station_officer, job=job)
    comparison = compare(filing)
    changed = {d.key: (d.filed, d.now) for d in comparison.changed}
    assert changed["eligible_total"] == (3, 6)
    assert changed["completion_rate"] == (1 / 3, 1 / 6)
    (group,) = comparison.groups
    assert group.key == ("import", job.pk) and group.label.startswith(f"导入第 {job.pk} 号")
    assert {r.enterprise.uscc for r in group.records} == {uscc for _, uscc in new}
    assert group.moves["eligible_total"] == (3, 0)
    assert not comparison.unexplained
    client.force_login(district_officer)
    page = client.get(reverse("filings:detail", args=[filing.pk])).content.decode()
    assert f"导入第 {job.pk} 号" in page and "为什么变了" in page
    dashboard = client.get(
        reverse("campaigns:dashboard", args=[campaign.slug]),
        {"as_of": AS_OF.isoformat()},
    ).content.decode()
    assert 'id="filing-notice"' in dashboard and "查看变化原因" in dashboard


def test_the_verification_button_confirms_the_filing(client, campaign, history, station_officer):
    filing = services.filing_submit(actor=station_officer, campaign=campaign, as_of=AS_OF)
    record_steps(history["C"], ("start", date(2025, 6, 1)))
    client.force_login(station_officer)
    page = client.get(reverse("filings:detail", args=[filing.pk]), {"verify": "1"})
    assert page.context["verified"] is True
    assert "与报送的全部数字及企业名单一致" in page.content.decode()


# --- the workflow and its scope ---------------------------------------------------------------


def test_station_files_only_its_own_subdistrict(
    client, campaign, history, station_officer, other_station_officer, district_officer
):
    client.force_login(station_officer)
    response = client.post(
        reverse("filings:create"),
        {"campaign": campaign.slug, "period": "2025-06", "note": "6月数据"},
    )
    filing = Filing.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/{filing.pk}/")
    assert (filing.period, filing.as_of, filing.due_on) == ("2025-06", AS_OF, date(2025, 7, 5))
    assert filing.is_late  # filed now, long after 2025-07-05
    # 新店 is not in the campaign: it cannot file for it, nor see 民安's filing
    client.force_login(other_station_officer)
    assert client.post(reverse("filings:create"), {"campaign": campaign.slug}).status_code in (
        403,
        404,
    )
    assert client.get(reverse("filings:detail", args=[filing.pk])).status_code == 404
    assert (
        client.get(reverse("filings:file", args=[filing.pk, filing.files.get().pk])).status_code
        == 404
    )
    with pytest.raises(PermissionDenied):
        services.filing_submit(actor=other_station_officer, campaign=campaign, as_of=AS_OF)
    # the district cannot file; it reads
    with pytest.raises(PermissionDenied):
        services.filing_submit(actor=district_officer, campaign=campaign, as_of=AS_OF)
    client.force_login(district_officer)
    assert client.get(reverse("filings:detail", args=[filing.pk])).status_code == 200


def test_district_receives_or_returns_and_the_station_files_again(
    client, campaign, history, station_officer, district_officer
):
    filing = services.filing_submit(actor=station_officer, campaign=campaign, period="2025-06")
    with pytest.raises(ValidationError):  # filed already: not twice
        services.filing_submit(actor=station_officer, campaign=campaign, period="2025-06")
    client.force_login(station_officer)
    assert client.post(reverse("filings:receive", args=[filing.pk])).status_code == 403
    client.force_login(district_officer)
    client.post(reverse("filings:return", args=[filing.pk]), {"comment": ""})
    filing.refresh_from_db()
    assert filing.status == "filed"  # a return needs a comment
    client.post(reverse("filings:return", args=[filing.pk]), {"comment": "新增企业未核实"})
    filing.refresh_from_db()
    assert (filing.status, filing.comment) == ("returned", "新增企业未核实")
    assert station_officer.notifications.filter(title__contains="新增企业未核实").exists()
    client.force_login(station_officer)
    page = client.get(reverse("filings:detail", args=[filing.pk])).content.decode()
    assert 'id="returned-notice"' in page and "新增企业未核实" in page
    client.force_login(district_officer)
    again = services.filing_submit(actor=station_officer, campaign=campaign, period="2025-06")
    client.post(reverse("filings:receive", args=[again.pk]))
    again.refresh_from_db()
    assert again.status == "received" and again.answered_by == district_officer
    with pytest.raises(ValidationError):
        services.filing_return(actor=district_officer, filing=again, comment="晚了")


def test_the_list_shows_which_subdistricts_filed_and_which_are_late(
    client, campaign, history, station_officer, district_officer
):
    services.filing_submit(actor=station_officer, campaign=campaign, period="2025-06")
    client.force_login(district_officer)
    page = client.get(reverse("filings:list"), {"campaign": campaign.slug})
    (row,) = page.context["rows"]
    states = {cell.period.key: cell.state for cell in row.cells}
    assert states["2025-06"] == "filed" and states["2025-05"] == "late"
    (late,) = page.context["late"]
    assert "2025-05" in {cell.period.key for cell in late.late}
    assert "逾期未报" in page.content.decode()


def test_a_due_filing_is_reminded_to_the_station(campaign, station_officer, district_officer):
    from anbiao.notifications.services import evaluate_rules

    sent = evaluate_rules(on=date(2025, 7, 2), only="filing_due")  # 3 days before 07-05
    assert sent["filing_due"] == 1
    note = station_officer.notifications.get(rule="filing_due")
    assert "2025年6月" in note.title and "2025-07-05" in note.title
    assert evaluate_rules(on=date(2025, 7, 6), only="filing_overdue")["filing_overdue"] >= 1
    assert district_officer.notifications.filter(rule="filing_overdue").exists()


def test_the_demo_filings_are_built_once(reference, history):
    from anbiao.accounts.choices import Role
    from anbiao.filings.demo import build_filings_demo
    from anbiao.testing.factories import UserFactory, region

    UserFactory(username="minan", role=Role.STATION, region=region("350213007"))
    UserFactory(username="quzhuanban", role=Role.DISTRICT, region=region("350213"))
    assert build_filings_demo() == 2
    assert build_filings_demo() == 0
    first, latest = Filing.objects.order_by("as_of")
    assert (first.status, latest.status) == ("received", "filed")
    comparison = compare(first)
    assert {d.key for d in comparison.changed} >= {"started", "start_rate"}
    assert comparison.groups and not comparison.unexplained


def test_the_filing_list_reads_a_bounded_number_of_queries(
    client, campaign, history, station_officer, district_officer
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("filings:list")).status_code == 200
        return len(ctx.captured_queries)

    client.force_login(district_officer)
    services.filing_submit(actor=station_officer, campaign=campaign, period="2025-04")
    few = queries()
    for period in ("2025-05", "2025-06", "2025-07", "2025-08"):
        services.filing_submit(actor=station_officer, campaign=campaign, period=period)
    assert queries() == few


def test_the_form_offers_the_newest_period_not_yet_filed(
    client, campaign, history, station_officer
):
    from zoneinfo import ZoneInfo

    import time_machine

    moment = datetime(2026, 12, 10, 10, tzinfo=ZoneInfo("Asia/Shanghai"))
    with time_machine.travel(moment, tick=False):
        services.filing_submit(actor=station_officer, campaign=campaign, period="2026-11")
        client.force_login(station_officer)
        form = client.get(reverse("filings:list")).context["form"]
    keys = [key for key, _ in form.fields["period"].choices]
    assert keys[0] == "2026-10" and "2026-11" not in keys and keys[-1] == ""
    assert form["period"].value() == "2026-10"
