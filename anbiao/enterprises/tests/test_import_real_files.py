"""Real ledgers, first time right: headers by meaning, ignored columns said out loud, a missing
scope column flagged, and a station's own communities created on a fresh install."""

import json

import pytest
import xlsxwriter
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from anbiao.accounts.models import Region
from anbiao.core.models import ChangeLog, ImportJob
from anbiao.enterprises.importers import import_ledger
from anbiao.enterprises.models import Enterprise
from anbiao.testing.factories import make_uscc

pytestmark = pytest.mark.django_db
ON = "2026-03-01"


def workbook(path, header, rows):
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, header)
    for index, row in enumerate(rows, start=1):
        sheet.write_row(index, 0, row)
    book.close()
    return path


def run(path, user, **options):
    from datetime import date

    return import_ledger(path, user=user, effective_on=date(2026, 3, 1), **options)


def test_header_variants_map_to_their_fields(station_officer, tmp_path):
    header = [
        "企业名称",
        "统一社会信用代码",
        "行业",
        "是否属于火炬高新区",
        "企业规模(大/中/小/微)",
        "从业人员(人)",
        "年营业收入(万元)",
        "经营状态",
        "是否符合创建条件",
    ]
    code = make_uscc()
    path = workbook(
        tmp_path / "a.xlsx", header, [["甲公司", code, "机械", "是", "小", 45, 800, "在营", "是"]]
    )
    outcome = run(path, station_officer)
    assert (outcome.created, outcome.invalid, outcome.ignored_columns) == (1, 0, []), outcome.errors
    enterprise = Enterprise.objects.get(uscc=code)
    assert (enterprise.in_torch_zone, enterprise.size, enterprise.employees) == (True, "small", 45)

    other = make_uscc()
    header[3] = "火炬区(是/否)"
    path = workbook(
        tmp_path / "b.xlsx", header, [["乙公司", other, "机械", "是", "微", 5, 80, "在营", "是"]]
    )
    assert run(path, station_officer).created == 1
    assert Enterprise.objects.get(uscc=other).in_torch_zone is True


def test_an_unknown_column_is_reported_in_the_preview_the_json_and_the_record(
    login, station_officer, tmp_path
):
    header = [
        "企业名称",
        "统一社会信用代码",
        "行业",
        "企业规模",
        "火炬高新区",
        "经营状态",
        "符合创建条件",
        "网格员",
    ]
    row = ["甲公司", make_uscc(), "机械", "小型", "否", "在营", "是", "张三"]
    path = workbook(tmp_path / "c.xlsx", header, [row])
    assert run(path, station_officer, dry_run=True).ignored_columns == ["网格员"]

    call_command("import", "ledger", str(path), "--as", "minan", "--dry-run", "--json")
    # (the JSON shape is asserted on the captured output below)
    client = login(station_officer)
    client.post(
        reverse("imports:upload", args=["ledger"]),
        {"file": SimpleUploadedFile("c.xlsx", path.read_bytes()), "effective_on": ON},
    )
    job = ImportJob.objects.get()
    assert job.report["ignored_columns"] == ["网格员"]
    page = client.get(reverse("imports:detail", args=[job.pk])).content.decode()
    assert "未识别的列,已忽略:</strong>网格员" in page


def test_the_json_lists_ignored_columns(station_officer, tmp_path, capsys):
    header = ["企业名称", "统一社会信用代码", "行业", "企业规模", "网格员"]
    path = workbook(tmp_path / "d.xlsx", header, [["甲公司", make_uscc(), "机械", "小型", "张三"]])
    call_command("import", "ledger", str(path), "--as", "minan", "--dry-run", "--json")
    result = json.loads(capsys.readouterr().out)
    assert result["ignored_columns"] == ["网格员"]
    assert result["missing_columns"] == ["是否位于火炬高新区", "经营状态", "是否符合创建条件"]
    assert set(result) >= {"errors", "warnings", "total", "created", "written"}


def test_a_missing_scope_column_is_flagged_before_anything_is_written(
    login, station_officer, tmp_path
):
    header = ["企业名称", "统一社会信用代码", "行业", "企业规模", "经营状态", "是否符合创建条件"]
    path = workbook(
        tmp_path / "e.xlsx", header, [["甲公司", make_uscc(), "机械", "小型", "在营", "是"]]
    )
    client = login(station_officer)
    client.post(
        reverse("imports:upload", args=["ledger"]),
        {"file": SimpleUploadedFile("e.xlsx", path.read_bytes()), "effective_on": ON},
    )
    job = ImportJob.objects.get()
    assert job.report["missing_columns"] == ["是否位于火炬高新区"]
    page = client.get(reverse("imports:detail", args=[job.pk])).content.decode()
    assert "缺少决定统计范围的列:</strong>是否位于火炬高新区" in page
    assert not Enterprise.objects.exists()


def test_a_mapped_header_is_read_and_remembered_for_the_next_import_of_the_subdistrict(
    login, station_officer, tmp_path
):
    header = [
        "企业名称",
        "统一社会信用代码",
        "行业",
        "企业规模",
        "高企园区内",
        "经营状态",
        "是否符合创建条件",
    ]
    path = workbook(
        tmp_path / "f.xlsx", header, [["甲公司", make_uscc(), "机械", "小型", "是", "在营", "是"]]
    )
    client = login(station_officer)
    upload = {"file": SimpleUploadedFile("f.xlsx", path.read_bytes()), "effective_on": ON}
    client.post(reverse("imports:upload", args=["ledger"]), upload)
    job = ImportJob.objects.get()
    assert job.report["ignored_columns"] == ["高企园区内"]
    client.post(
        reverse("imports:remap", args=[job.pk]),
        {"header": "高企园区内", "map-高企园区内": "in_torch_zone"},
    )
    job.refresh_from_db()
    assert (job.status, job.report["ignored_columns"], job.report["missing_columns"]) == (
        "checked",
        [],
        [],
    )
    upload = {"file": SimpleUploadedFile("g.xlsx", path.read_bytes()), "effective_on": ON}
    client.post(reverse("imports:upload", args=["ledger"]), upload)
    again = ImportJob.objects.exclude(pk=job.pk).get()
    assert again.mapping == {"高企园区内": "in_torch_zone"}
    assert again.report["ignored_columns"] == []
    client.post(reverse("imports:confirm", args=[again.pk]))
    assert Enterprise.objects.get().in_torch_zone is True


def test_on_a_fresh_install_a_stations_communities_are_created_and_every_row_imported(
    login, station_officer, tmp_path
):
    assert not Region.objects.filter(level="community").exists()  # reference data only
    header = [
        "企业名称",
        "统一社会信用代码",
        "所属镇街",
        "所属社区",
        "行业",
        "企业规模",
        "是否位于火炬高新区",
        "经营状态",
        "是否符合创建条件",
    ]
    rows = [
        [f"民安{i}号公司", make_uscc(), "民安街道", community, "机械", "小型", "否", "在营", "是"]
        for i, community in enumerate(["山亭社区", "大宅社区", "山亭社区", "大宅社区", "云头社区"])
    ]
    path = workbook(tmp_path / "民安台账.xlsx", header, rows)
    client = login(station_officer)
    client.post(
        reverse("imports:upload", args=["ledger"]),
        {"file": SimpleUploadedFile("民安台账.xlsx", path.read_bytes()), "effective_on": ON},
    )
    job = ImportJob.objects.get()
    assert (job.status, job.invalid_count) == ("checked", 0)
    page = client.get(reverse("imports:detail", args=[job.pk])).content.decode()
    assert "将新增社区:</strong>山亭社区、大宅社区、云头社区" in page
    assert not Region.objects.filter(level="community").exists()  # the check writes nothing

    client.post(reverse("imports:confirm", args=[job.pk]))
    job.refresh_from_db()
    assert (job.status, job.created_count) == ("done", 5)
    communities = Region.objects.filter(level="community", parent__name="民安街道")
    assert sorted(communities.values_list("name", flat=True)) == [
        "云头社区",
        "大宅社区",
        "山亭社区",
    ]
    assert all(c.code.startswith("350213007") and len(c.code) == 12 for c in communities)
    assert Enterprise.objects.filter(region__name="山亭社区").count() == 2
    assert ChangeLog.objects.filter(object_type="accounts.region").count() == 3


def test_an_unknown_subdistrict_stays_an_error_and_another_subdistrict_gets_no_communities(
    other_station_officer, station_officer, tmp_path
):
    header = ["企业名称", "统一社会信用代码", "所属镇街", "所属社区", "行业", "企业规模"]
    rows = [
        ["甲公司", make_uscc(), "民安街道", "山亭社区", "机械", "小型"],
        ["乙公司", make_uscc(), "东园镇", "", "机械", "小型"],
    ]
    path = workbook(tmp_path / "h.xlsx", header, rows)
    outcome = run(path, other_station_officer)
    assert [(e.row, e.column) for e in outcome.errors] == [(2, "所属镇街"), (3, "所属镇街")]
    assert outcome.new_communities == []
    outcome = run(path, station_officer, dry_run=True)
    assert [(e.row, e.column) for e in outcome.errors] == [(3, "所属镇街")]
    assert outcome.new_communities == ["山亭社区"]
