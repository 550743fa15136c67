import io
from datetime import date

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from anbiao.core.models import ImportJob
from anbiao.enterprises import ledger
from anbiao.enterprises.choices import Size
from anbiao.enterprises.models import Enterprise
from anbiao.surveys import services
from anbiao.surveys.models import SurveyRound
from anbiao.testing.factories import make_enterprise, make_uscc, region

pytestmark = pytest.mark.django_db
START, END = date(2025, 7, 1), date(2025, 8, 31)


def open_round(actor, code="350213007"):
    return services.survey_round_create(
        actor=actor,
        name="2025年下半年摸排",
        region=region(code),
        period_start=START,
        period_end=END,
    )


def names(qs):
    return sorted(e.name for e in qs)


def test_a_round_lists_the_open_enterprises_of_its_subdistrict(station_officer, xindian_enterprise):
    make_enterprise(name="在营")
    closed = make_enterprise(name="已注销")
    closed.status = "deregistered"
    closed.save()
    survey_round = open_round(station_officer)
    assert [f.enterprise.name for f in survey_round.findings.all()] == ["在营"]


def test_closing_on_aug_31_changes_the_ledger_from_then_on_only(station_officer):
    stays = make_enterprise(name="不变")
    shrinks = make_enterprise(name="转中型", size=Size.SMALL)
    exits = make_enterprise(name="停产")
    not_eligible = make_enterprise(name="不再符合")
    survey_round = open_round(station_officer)
    findings = {f.enterprise.name: f for f in survey_round.findings.select_related("enterprise")}
    record = {"surveyor": "林志明", "surveyed_on": date(2025, 8, 15)}
    services.survey_finding_record(
        actor=station_officer,
        finding=findings["不变"],
        data={"status": "operating", "size": "small", **record},
    )
    services.survey_finding_record(
        actor=station_officer, finding=findings["转中型"], data={"size": "medium", **record}
    )
    services.survey_finding_record(
        actor=station_officer,
        finding=findings["停产"],
        data={"status": "suspended", "note": "订单不足", **record},
    )
    services.survey_finding_record(
        actor=station_officer,
        finding=findings["不再符合"],
        data={"eligible": False, "eligibility_reason": "改为仓库", **record},
    )
    new_code = make_uscc()
    services.survey_finding_add_new(
        actor=station_officer,
        survey_round=survey_round,
        data={
            "new_name": "新发现",
            "new_uscc": new_code,
            "new_industry": "machinery",
            "size": "micro",
            "eligible": True,
            "status": "operating",
            **record,
        },
    )
    all_before = names(ledger.eligible(Enterprise.objects.all(), date(2025, 8, 30)))

    report = services.survey_round_close(
        actor=station_officer, survey_round=survey_round, on=date(2025, 8, 31)
    )

    all_ = Enterprise.objects.all()
    assert (
        names(ledger.eligible(all_, date(2025, 8, 30)))
        == all_before
        == ["不再符合", "不变", "停产", "转中型"]
    )
    assert names(ledger.eligible(all_, date(2025, 9, 1))) == ["不变", "新发现"]
    assert sorted((line["label"], line["name"]) for line in report) == [
        ("新增", "新发现"),
        ("条件变化", "不再符合"),
        ("规模变化", "转中型"),
        ("退出", "停产"),
    ]
    assert stays.pk and shrinks.pk and exits.pk and not_eligible.pk
    assert Enterprise.objects.get(uscc=new_code).ledger_since == date(2025, 8, 31)


def test_a_closed_round_is_read_only(station_officer):
    make_enterprise()
    survey_round = open_round(station_officer)
    finding = survey_round.findings.get()
    services.survey_round_close(actor=station_officer, survey_round=survey_round, on=END)
    with pytest.raises(ValidationError, match="已结束"):
        services.survey_finding_record(
            actor=station_officer, finding=finding, data={"size": "micro"}
        )
    with pytest.raises(ValidationError, match="已结束"):
        services.survey_round_close(actor=station_officer, survey_round=survey_round, on=END)


def test_a_station_cannot_survey_another_subdistrict(station_officer, other_station_officer, login):
    with pytest.raises(ValidationError, match="不在您的管辖范围内"):
        open_round(station_officer, code="350213002")
    make_enterprise()
    survey_round = open_round(station_officer)
    finding = survey_round.findings.get()
    with pytest.raises(PermissionDenied):
        services.survey_finding_record(
            actor=other_station_officer, finding=finding, data={"size": "micro"}
        )
    client = login(other_station_officer)
    assert client.get(reverse("surveys:detail", args=[survey_round.pk])).status_code == 404
    assert client.get(reverse("surveys:workbook", args=[survey_round.pk])).status_code == 404


def test_a_finding_outside_the_period_or_without_a_reason_is_refused(station_officer):
    make_enterprise()
    finding = open_round(station_officer).findings.get()
    with pytest.raises(ValidationError, match="本轮期间内"):
        services.survey_finding_record(
            actor=station_officer, finding=finding, data={"surveyed_on": date(2025, 12, 1)}
        )
    with pytest.raises(ValidationError, match="须填写原因"):
        services.survey_finding_record(
            actor=station_officer, finding=finding, data={"eligible": False}
        )


def test_the_prefilled_workbook_round_trips(login, station_officer):
    first = make_enterprise(name="厦门甲机械有限公司", size=Size.SMALL)
    make_enterprise(name="厦门乙机械有限公司")
    survey_round = open_round(station_officer)
    client = login(station_officer)
    response = client.get(reverse("surveys:workbook", args=[survey_round.pk]))
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    sheet = book.active
    header = [c.value for c in sheet[3]]
    assert header[1:3] == ["统一社会信用代码", "企业名称"]
    row = next(r for r in sheet.iter_rows(min_row=4) if r[2].value == first.name)
    status_col = header.index("摸排:经营状态")
    row[status_col].value = "在营"
    row[header.index("摸排:企业规模")].value = "微型企业"
    row[header.index("摸排人")].value = "林志明"
    row[header.index("摸排日期")].value = "2025-08-20"
    new_row = sheet.max_row + 1
    new_code = make_uscc()
    for key, value in {
        "统一社会信用代码": new_code,
        "企业名称": "厦门新发现食品有限公司",
        "行业": "轻工",
        "摸排:经营状态": "在营",
        "摸排:企业规模": "微型",
        "摸排:是否符合创建条件": "是",
        "摸排日期": "2025/8/21",
    }.items():
        sheet.cell(row=new_row, column=header.index(key) + 1, value=value)
    out = io.BytesIO()
    book.save(out)
    upload = SimpleUploadedFile("摸排表.xlsx", out.getvalue())
    response = client.post(reverse("surveys:import", args=[survey_round.pk]), {"file": upload})
    job = ImportJob.objects.get()
    assert (job.kind, job.invalid_count, job.created_count, job.updated_count) == (
        "survey",
        0,
        1,
        1,
    ), job.errors
    client.post(reverse("imports:confirm", args=[job.pk]))
    finding = survey_round.findings.get(enterprise=first)
    assert (finding.recorded, finding.size, finding.surveyor) == (True, "micro", "林志明")
    assert survey_round.findings.filter(new_uscc=new_code, recorded=True).exists()
    services.survey_round_close(actor=station_officer, survey_round=survey_round, on=END)
    page = client.get(reverse("surveys:report", args=[survey_round.pk])).content.decode()
    assert "厦门新发现食品有限公司" in page and "规模变化" in page


def test_the_report_exports(login, station_officer):
    make_enterprise(name="厦门丙机械有限公司", size=Size.SMALL)
    survey_round = open_round(station_officer)
    services.survey_finding_record(
        actor=station_officer, finding=survey_round.findings.get(), data={"size": "micro"}
    )
    services.survey_round_close(actor=station_officer, survey_round=survey_round, on=END)
    response = login(station_officer).get(reverse("surveys:report_export", args=[survey_round.pk]))
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = [[c.value for c in r] for r in sheet.iter_rows(min_row=4)]
    assert rows == [
        [1, "规模变化", "厦门丙机械有限公司", Enterprise.objects.get().uscc, "小型 → 微型"]
    ]
    assert SurveyRound.objects.get().status == "closed"


def test_findings_and_closing_dates_in_the_future_are_refused(station_officer):
    from datetime import timedelta

    from django.utils import timezone

    today = timezone.localdate()
    make_enterprise()
    survey_round = services.survey_round_create(
        actor=station_officer,
        name="本年摸排",
        region=region("350213007"),
        period_start=today - timedelta(days=30),
        period_end=today + timedelta(days=30),
    )
    finding = survey_round.findings.get()
    tomorrow = today + timedelta(days=1)
    with pytest.raises(ValidationError, match="摸排日期不能晚于今天"):
        services.survey_finding_record(
            actor=station_officer, finding=finding, data={"surveyed_on": tomorrow}
        )
    with pytest.raises(ValidationError, match="结束日期不能晚于今天"):
        services.survey_round_close(actor=station_officer, survey_round=survey_round, on=tomorrow)
    survey_round.refresh_from_db()
    assert survey_round.is_open and not survey_round.findings.filter(recorded=True).exists()


def test_a_second_round_while_one_is_open_is_warned_and_needs_confirmation(login, station_officer):
    make_enterprise()
    first = open_round(station_officer)
    client = login(station_officer)
    url = reverse("surveys:create")
    form = client.get(url).content.decode()
    assert 'id="open-rounds"' in form and "“2025年下半年摸排”" in form
    data = {
        "name": "第二轮",
        "region": region("350213007").pk,
        "period_start": "2025-09-01",
        "period_end": "2025-09-30",
    }
    page = client.post(url, data).content.decode()
    assert "仍在进行中,新一轮会重复摸排同一批企业" in page
    assert 'name="allow_overlap"' in page
    assert SurveyRound.objects.count() == 1
    response = client.post(url, data | {"allow_overlap": "on"})
    assert response.status_code == 302
    assert SurveyRound.objects.exclude(pk=first.pk).get().name == "第二轮"


def test_a_round_cannot_start_in_the_future(login, station_officer):
    page = (
        login(station_officer)
        .post(
            reverse("surveys:create"),
            {
                "name": "明年摸排",
                "region": region("350213007").pk,
                "period_start": "2099-01-01",
                "period_end": "2099-06-30",
            },
        )
        .content.decode()
    )
    assert "开始日期不能晚于今天" in page
    assert not SurveyRound.objects.exists()


def test_a_check_writes_nothing_and_opens_no_transaction_yet_tells_what_the_import_does(
    station_officer, tmp_path, transactions_opened
):
    """On SQLite every transaction takes the write lock: checking a surveyors' workbook must not
    make other users' saves wait, so it validates the rows in memory, as the services would."""
    from anbiao.surveys.importers import import_findings

    first = make_enterprise(name="厦门甲机械有限公司")
    second = make_enterprise(name="厦门乙机械有限公司")
    elsewhere = make_enterprise("350213002", name="厦门已登记机械有限公司")
    survey_round = open_round(station_officer)
    path = tmp_path / "摸排.csv"
    path.write_text(
        "统一社会信用代码,企业名称,行业,摸排:经营状态,摸排:企业规模,摸排:是否符合创建条件,"
        "摸排日期\n"
        f"{first.uscc},{first.name},,在营,微型,是,2025-08-20\n"
        f"{second.uscc},{second.name},,在营,,否,2025-08-20\n"  # 不符合 without a reason
        f"{make_uscc()},厦门新发现食品有限公司,轻工,在营,微型,是,2025-08-21\n"
        f"{elsewhere.uscc},{elsewhere.name},机械,在营,微型,是,2025-08-21\n",  # registered
        encoding="utf-8",
    )

    def run(dry_run: bool):
        outcome = import_findings(
            path,
            user=station_officer,
            dry_run=dry_run,
            skip_invalid=True,
            target_id=survey_round.pk,
        )
        errors = sorted((e.row, e.column, e.message) for e in outcome.errors)
        return (outcome.created, outcome.updated, outcome.unchanged, outcome.invalid), errors

    opened = transactions_opened()
    checked = run(dry_run=True)
    assert opened == []
    assert not survey_round.findings.filter(recorded=True).exists()
    assert checked == run(dry_run=False)
    counts, errors = checked
    assert counts == (1, 1, 0, 2)
    assert [message for _, _, message in errors] == [
        "不符合创建条件时须填写原因",
        "该统一社会信用代码已登记或已在本轮添加",
    ]
    assert survey_round.findings.filter(recorded=True).count() == 2
