"""Standards an office loads: from Excel exactly as from YAML, with row-numbered errors, their
own grade ladder, and the corrected sample labelled 示例标准."""

import io
from decimal import Decimal

import openpyxl
import pytest
import yaml
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from anbiao.cases import scoring, selectors, services, standards
from anbiao.cases.models import Assessment, Standard
from anbiao.core.reference_data import REFERENCE_DIR
from anbiao.enterprises.choices import Industry
from anbiao.testing.factories import make_enterprise

pytestmark = pytest.mark.django_db
SHIPPED = yaml.safe_load((REFERENCE_DIR / "standards" / "gm-xiaowei.yaml").read_text("utf-8"))
HEADER = ["一级要素", "二级要素", "编号", "评定内容", "分值", "否决项", "可为空项", "扣分标准"]
LABELS = dict(Industry.choices)


def sheet_of(data: dict, *, extra_rows=()) -> bytes:
    """The standard as the Excel sheet an office would fill in."""
    book = openpyxl.Workbook()
    ws = book.active
    ws.append([*HEADER, "否决适用行业"])
    for top in data["elements"]:
        for child in top["children"]:
            for item in child["items"]:
                ws.append(
                    [
                        f"{top['code']} {top['name']}",
                        f"{child['code']} {child['name']}",
                        item["code"],
                        item["text"],
                        item["points"],
                        "是" if item.get("veto") else "",
                        "是" if item.get("na_allowed") else "否",
                        item.get("method", ""),
                        "、".join(LABELS[c] for c in item.get("veto_industries", [])),
                    ]
                )
    for row in extra_rows:
        ws.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def header_of(data: dict, **changes) -> dict:
    keys = ("code", "version", "name", "issued_by", "effective_on", "description", "sample")
    return {k: data.get(k) for k in keys} | changes


def test_the_excel_sheet_of_the_shipped_standard_is_the_same_standard(reference):
    result = standards.load_xlsx(sheet_of(SHIPPED), filename="示例.xlsx", header=header_of(SHIPPED))
    assert result.outcome == "unchanged"  # same content, same fingerprint as the YAML


def test_an_excel_standard_scores_an_assessment_exactly_as_the_yaml_one(reference):
    from_excel = standards.load_xlsx(
        sheet_of(SHIPPED), header=header_of(SHIPPED, code="xl-copy")
    ).standard
    from_yaml = standards.current("gm-xiaowei")
    enterprise = make_enterprise(industry=Industry.METALLURGY)
    case = services.current_case(enterprise)
    results = []
    for standard in (from_yaml, from_excel):
        assessment = Assessment.objects.create(case=case, kind="self", standard=standard)
        items = {i.code: i for i in standard.items.all()}
        for code, kw in {
            "1.1.1": {"deducted": "1.5", "reason": "未分解"},
            "2.2.1": {"deducted": "4", "reason": "缺制度"},  # all its points
            "7.1.1": {"not_applicable": True, "reason": "未发生事故"},
            "3.2.1": {"veto_failed": True, "reason": "未经考核"},  # a veto for 冶金
        }.items():
            services.assessment_save_item(actor=None, assessment=assessment, item=items[code], **kw)
        result = selectors.assessment_result(assessment)
        grade = scoring.grade_for(result.score, result.veto_failed, scoring.rules_of(standard))
        results.append((result, grade))
    assert results[0] == results[1]
    result, grade = results[0]
    assert result.veto_failed and grade is None
    assert result.applicable == from_yaml.total_points - 4


def test_errors_name_their_rows_and_nothing_is_written(reference):
    bad = sheet_of(
        SHIPPED,
        extra_rows=[
            ["9 其他", "9.1 其他", "1.1.1", "重复编号", 2, "", "", ""],
            ["9 其他", "9.1 其他", "9.1.2", "", "两分", "也许", "", ""],
            ["9 其他", "9.1 其他", "9.1.3", "行业不对", 2, "是", "", "", "钢铁"],
        ],
    )
    before = Standard.objects.count()
    with pytest.raises(standards.StandardError) as refused:
        standards.load_xlsx(bad, header=header_of(SHIPPED, code="xl-bad"))
    text = str(refused.value)
    last = sum(len(c["items"]) for t in SHIPPED["elements"] for c in t["children"]) + 1
    assert f"第{last + 1}行「编号」:与第" in text
    assert f"第{last + 2}行「评定内容」" in text and f"第{last + 2}行「分值」" in text
    assert f"第{last + 2}行「否决项」" in text
    assert f"第{last + 3}行「否决适用行业」" in text and "钢铁" in text
    assert Standard.objects.count() == before


def test_a_standard_may_declare_a_single_grade(reference):
    data = header_of(
        SHIPPED, code="xm-dabiao", sample=False, grades=[{"name": "达标", "min_score": 60}]
    )
    standard = standards.load_xlsx(sheet_of(SHIPPED), header=data).standard
    rules = scoring.rules_of(standard)
    assert [(r.code, r.name, r.min_score) for r in rules] == [("达标", "达标", Decimal(60))]
    assert scoring.grade_for(Decimal("60.0"), False, rules).name == "达标"
    assert scoring.grade_for(Decimal("59.9"), False, rules) is None


def test_the_sample_is_labelled_and_corrected(reference):
    sample = standards.current("gm-xiaowei")
    assert sample.sample and "示例标准" in str(sample)
    items = {i.code: i for i in sample.items.all()}
    assert "五落实" in items["5.3.2"].text and "五落实" not in items["5.3.3"].text
    assert "每年至少演练一次" in items["6.1.3"].text and "每半年" in items["6.1.3"].text
    veto = items["3.2.1"]
    assert veto.is_veto_for(Industry.METALLURGY) and not veto.is_veto_for(Industry.MACHINERY)
    assert items["7.1.1"].na_allowed and items["7.2.1"].na_allowed


def test_a_limited_veto_cannot_be_failed_outside_its_industries(reference):
    from django.core.exceptions import ValidationError

    standard = standards.current("gm-xiaowei")
    case = services.current_case(make_enterprise(industry=Industry.MACHINERY))
    assessment = Assessment.objects.create(case=case, kind="self", standard=standard)
    with pytest.raises(ValidationError, match="不是否决项"):
        services.assessment_save_item(
            actor=None,
            assessment=assessment,
            item=standard.items.get(code="3.2.1"),
            veto_failed=True,
            reason="未考核",
        )


def test_the_cli_loads_an_excel_standard(reference, tmp_path, capsys):
    path = tmp_path / "厦门标准.xlsx"
    path.write_bytes(sheet_of(SHIPPED))
    call_command(
        "load_standard", str(path), "--code=xm-gm", "--name=厦门小微标准", "--grades=达标:60"
    )
    assert Standard.objects.get(code="xm-gm").grades[0]["name"] == "达标"
    with pytest.raises(CommandError, match="--code"):
        call_command("load_standard", str(path))


def test_an_admin_loads_a_standard_on_the_web_and_others_may_not(
    login, admin_user, station_officer
):
    upload = SimpleUploadedFile("标准.xlsx", sheet_of(SHIPPED))
    form = {"code": "xm-web", "version": 1, "name": "厦门评定标准", "grades": "达标:60"}
    assert (
        login(station_officer).post(reverse("cases:standards"), form | {"file": upload}).status_code
        == 403
    )
    client = login(admin_user)
    upload = SimpleUploadedFile("标准.xlsx", sheet_of(SHIPPED))
    response = client.post(reverse("cases:standards"), form | {"file": upload})
    assert response.status_code == 302
    page = client.get(reverse("cases:standards")).content.decode()
    assert "厦门评定标准" in page and "示例标准" in page and "达标≥60" in page
    broken = SimpleUploadedFile(
        "标准.xlsx", sheet_of(SHIPPED, extra_rows=[["9 其他", "9.1 其他", "9.1.1", "x", "-1"]])
    )
    response = client.post(reverse("cases:standards"), form | {"code": "xm-bad", "file": broken})
    assert response.status_code == 200 and "「分值」" in response.content.decode()
    assert not Standard.objects.filter(code="xm-bad").exists()
