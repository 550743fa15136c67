"""Checklists as versioned files (idempotent load, a version in use is never edited), the
Excel import of a checklist and of risk points, and the yearly plan."""

import io
from datetime import date

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from anbiao.supervision import importers, services
from anbiao.supervision.models import Checklist, RiskPoint
from anbiao.supervision.reference import ChecklistError, load_checklists, save_checklist
from anbiao.supervision.selectors import four_colour


def xlsx(rows) -> SimpleUploadedFile:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return SimpleUploadedFile("表.xlsx", out.getvalue())


def test_loading_the_shipped_checklists_again_changes_nothing(reference):
    assert Checklist.objects.filter(code__in=["gm-general", "dust-explosion"]).count() == 2
    assert {r.outcome for r in load_checklists()} == {"unchanged"}


def test_a_checklist_version_in_use_is_not_edited(minan_enterprise):
    checklist = Checklist.objects.get(code="gm-general")
    services.inspection_start(
        actor=None,
        enterprise=minan_enterprise,
        checklist=checklist,
        inspected_on=date(2026, 1, 5),
        inspectors="甲",
    )
    data = {
        "code": "gm-general",
        "version": 1,
        "name": "改过的",
        "sections": [{"name": "甲", "items": [{"code": "X1", "text": "内容"}]}],
    }
    with pytest.raises(ChecklistError, match="提高版本号"):
        save_checklist(data)
    assert save_checklist(data | {"version": 2}).outcome == "created"


def test_a_checklist_is_imported_from_excel_and_a_bad_row_is_named(station_officer):
    upload = xlsx(
        [
            ["检查类别", "编号", "检查内容", "依据", "重大隐患"],
            ["涉氨制冷", "A1", "氨制冷机房设置泄漏报警和应急排风。", "GB 28009", "是"],
            ["涉氨制冷", "A2", "快速冻结装置未设置在单独作业间内。", "", ""],
        ]
    )
    data = importers.read_checklist(upload, code="ammonia", version=1, name="涉氨制冷检查表")
    result = services.checklist_import(actor=station_officer, data=data, source="表.xlsx")
    items = list(result.checklist.items.values_list("code", "major"))
    assert items == [("A1", True), ("A2", False)]
    bad = xlsx([["检查类别", "编号", "检查内容"], ["甲", "B1", ""], ["甲", "B2", "有内容"]])
    data = importers.read_checklist(bad, code="bad", version=1, name="坏表")
    with pytest.raises(ValidationError) as exc:
        services.checklist_import(actor=station_officer, data=data, source="坏表.xlsx")
    assert "第2行" in str(exc.value) and "检查内容" in str(exc.value)
    assert not Checklist.objects.filter(code="bad").exists()


def test_risk_points_import_all_or_nothing_with_row_numbers(minan_enterprise, enterprise_user):
    header = [
        "风险点",
        "部位",
        "风险等级",
        "主要危险因素",
        "管控措施",
        "管控责任人",
        "下次评估日期",
    ]
    bad = xlsx(
        [
            header,
            ["除尘系统", "打磨间", "红", "粉尘爆炸", "每日清扫", "李四", "2026-12-01"],
            ["叉车", "", "紫", "", "持证", "王五", ""],
        ]
    )
    with pytest.raises(ValidationError) as exc:
        services.risk_points_import(
            actor=enterprise_user, enterprise=minan_enterprise, rows=importers.read_risk_points(bad)
        )
    assert "第3行" in str(exc.value) and "红、橙、黄、蓝" in str(exc.value)
    assert not RiskPoint.objects.exists()
    good = xlsx(
        [
            header,
            ["除尘系统", "打磨间", "红色", "粉尘爆炸", "每日清扫", "李四", "2026-12-01"],
            ["叉车", "", "蓝", "", "持证", "王五", ""],
        ]
    )
    count = services.risk_points_import(
        actor=enterprise_user, enterprise=minan_enterprise, rows=importers.read_risk_points(good)
    )
    assert count == 2
    assert sorted(RiskPoint.objects.values_list("colour", flat=True)) == ["blue", "red"]
    by_subdistrict = four_colour(RiskPoint.objects.all(), "region")
    assert by_subdistrict == [{"name": "民安街道", "counts": [1, 0, 0, 1], "total": 2}]


def test_the_yearly_plan_follows_the_class_frequencies(station_officer, minan_enterprise):
    from django.utils import timezone

    year = timezone.localdate().year
    plan = services.plan_generate(actor=station_officer, region=minan_enterprise.region, year=year)
    months = list(plan.entries.filter(enterprise=minan_enterprise).values_list("month", flat=True))
    assert len(months) == 2  # class B: twice a year, six months apart
    assert months[1] - months[0] == 6
    with pytest.raises(ValidationError, match="已编制"):
        services.plan_generate(actor=station_officer, region=minan_enterprise.region, year=year)


def test_plan_months_spread_evenly():
    assert services.plan_months(1, 0) == [1]
    assert services.plan_months(4, 1) == [2, 5, 8, 11]
    assert services.plan_months(12, 7) == list(range(1, 13))


def test_an_oversized_sheet_is_refused_before_it_is_read(settings):
    """A checklist or risk-point workbook is measured from its zip index like every import: too
    many rows, or an unpacked size above the cap, is refused with a Chinese message."""
    long_sheet = xlsx(
        [["风险点", "风险等级", "管控措施", "管控责任人"]] + [["a", "红", "b", "c"]] * 5001
    )
    with pytest.raises(ValidationError) as exc:
        importers.read_risk_points(long_sheet)
    assert "超过5000行的上限" in str(exc.value)
    settings.ANBIAO_IMPORT_MAX_UNPACKED_MB = 0
    with pytest.raises(ValidationError) as exc:
        importers.read_checklist(
            xlsx([["检查类别", "编号", "检查内容"], ["甲", "B1", "有内容"]]),
            code="big",
            version=1,
            name="大表",
        )
    assert "超过0MB的上限" in str(exc.value)
    not_excel = SimpleUploadedFile("表.xlsx", b"PK\x03\x04 not really a zip")
    with pytest.raises(ValidationError) as exc:
        importers.read_risk_points(not_excel)
    assert "无法读取该Excel文件" in str(exc.value)
