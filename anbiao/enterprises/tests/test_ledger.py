"""The ledger as of a date, its 附件3 export, and the web import flow."""

import io
from datetime import date

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from anbiao.core.models import ImportJob
from anbiao.enterprises import ledger, services
from anbiao.enterprises.choices import Size
from anbiao.enterprises.models import Enterprise
from anbiao.testing.factories import make_enterprise, make_uscc, region

pytestmark = pytest.mark.django_db


def names(qs):
    return sorted(e.name for e in qs)


def test_the_ledger_as_of_a_date_follows_the_dated_facts(station_officer):
    base = make_enterprise(name="基础", ledger_since=date(2025, 2, 28))
    late = make_enterprise(name="新增", ledger_since=date(2025, 9, 1))
    make_enterprise(name="高新区", in_torch_zone=True)
    make_enterprise(name="中型", size=Size.MEDIUM)
    make_enterprise(name="不符合", eligible=False, eligibility_reason="仅办公")
    closed = make_enterprise(name="注销")
    services.enterprise_change_status(
        actor=station_officer,
        enterprise=closed,
        status="deregistered",
        on=date(2025, 6, 30),
        reason="注销",
    )
    services.enterprise_update(
        actor=station_officer,
        enterprise=base,
        data={"size": Size.MEDIUM},
        effective_on=date(2026, 1, 1),
    )
    all_ = Enterprise.objects.all()
    assert names(ledger.eligible(all_, date(2025, 3, 1))) == ["基础", "注销"]
    assert names(ledger.eligible(all_, date(2025, 9, 1))) == ["基础", "新增"]
    assert names(ledger.eligible(all_, date(2026, 1, 1))) == ["新增"]
    assert names(ledger.in_scope(all_, date(2025, 9, 1))) == ["不符合", "基础", "新增"]
    assert names(
        ledger.new_since(ledger.eligible(all_, date(2025, 12, 31)), date(2025, 2, 28))
    ) == ["新增"]
    assert late.pk  # used above by name


def test_the_ledger_respects_the_region_as_of_the_date(station_officer, admin_user):
    moved = make_enterprise(name="迁址")
    services.enterprise_update(
        actor=None,
        enterprise=moved,
        data={"region": region("350213002")},
        effective_on=date(2025, 10, 1),
    )
    minan = region("350213007")
    all_ = Enterprise.objects.all()
    assert names(ledger.eligible(all_, date(2025, 9, 30), minan)) == ["迁址"]
    assert names(ledger.eligible(all_, date(2025, 10, 1), minan)) == []


def test_the_ledger_page_shows_the_date_picker_result(login, station_officer):
    make_enterprise(name="厦门早期机械有限公司", ledger_since=date(2025, 2, 28))
    make_enterprise(name="厦门后来机械有限公司", ledger_since=date(2025, 9, 1))
    client = login(station_officer)
    early = client.get(reverse("enterprises:ledger"), {"as_of": "2025-06-30"}).content.decode()
    assert "厦门早期机械有限公司" in early and "厦门后来机械有限公司" not in early
    new = client.get(reverse("enterprises:ledger"), {"as_of": "2025-12-31", "view": "new"})
    assert "厦门后来机械有限公司" in new.content.decode()
    assert "厦门早期机械有限公司" not in new.content.decode()


def test_the_attachment_3_export_is_in_filing_layout(login, station_officer, xindian_enterprise):
    make_enterprise(name="=厦门公式机械有限公司", size=Size.SMALL, ledger_since=date(2025, 2, 28))
    make_enterprise(
        name="厦门新增纺织有限公司",
        industry="textile",
        size=Size.MICRO,
        ledger_since=date(2025, 9, 1),
    )
    response = login(station_officer).get(
        reverse("enterprises:ledger_export"), {"as_of": "2025-12-31"}
    )
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[0][0] == "应创安全生产标准化非火炬高新区小微企业情况统计表"
    assert "填报单位(盖章):民安街道安监站" in values[1][0]
    assert "2025年12月31日" in "".join(str(v) for v in values[1] if v)
    assert values[3][:3] == ["序号", "企业名称", "统一社会信用代码"]
    data = [row for row in values[4:] if isinstance(row[0], int | float)]
    assert [(row[0], row[1]) for row in data] == [
        (1, "=厦门公式机械有限公司"),
        (2, "厦门新增纺织有限公司"),
    ]
    assert sheet.cell(row=5, column=2).data_type == "s"
    totals = next(row[0] for row in values if row[0] and str(row[0]).startswith("合计"))
    assert "应创企业2家(其中新增企业1家)" in totals
    assert "小型1家,微型1家" in totals and "机械1家,纺织1家" in totals
    assert any(row[0] == "填表人:" for row in values)
    assert xindian_enterprise.name not in str(values)


def upload(client, content: bytes, name: str, **extra):
    file = SimpleUploadedFile(name, content)
    return client.post(
        reverse("imports:upload", args=["ledger"]),
        {"file": file, "effective_on": "2026-03-01", **extra},
    )


def test_web_import_previews_then_commits_and_keeps_the_file(login, station_officer):
    client = login(station_officer)
    text = (
        "企业名称,统一社会信用代码,行业,企业规模\n"
        f"厦门网页导入机械有限公司,{make_uscc()},机械,小型\n"
    )
    response = upload(client, text.encode("gb18030"), "台账.csv")
    job = ImportJob.objects.get()
    assert response.url == reverse("imports:detail", args=[job.pk])
    assert (job.status, job.created_count, job.created_by) == ("checked", 1, station_officer)
    assert not Enterprise.objects.exists()  # the preview writes nothing
    page = client.get(response.url).content.decode()
    assert "确认导入" in page and "将新增" in page
    client.post(reverse("imports:confirm", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == "done"
    assert Enterprise.objects.get().region == region("350213007")  # the officer's 街道
    download = client.get(reverse("imports:file", args=[job.pk]))
    assert b"".join(download.streaming_content) == text.encode("gb18030")
    assert client.post(reverse("imports:confirm", args=[job.pk])).status_code == 302
    assert Enterprise.objects.count() == 1  # confirming twice imports once


def test_web_import_with_errors_cannot_be_confirmed(login, station_officer):
    client = login(station_officer)
    text = "企业名称,统一社会信用代码,行业,企业规模\n坏码公司,91330100716105852E,机械,小型\n"
    response = upload(client, text.encode(), "bad.csv")
    page = client.get(response.url).content.decode()
    assert "第 2 行" in page and "校验位错误" in page and "确认导入" not in page
    job = ImportJob.objects.get()
    client.post(reverse("imports:confirm", args=[job.pk]))
    assert not Enterprise.objects.exists()


def test_an_upload_that_is_not_a_spreadsheet_is_refused(login, station_officer):
    client = login(station_officer)
    response = upload(client, b"%PDF-1.4 not a workbook", "台账.xlsx")
    assert "不是Excel" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_an_unreadable_header_is_reported_not_crashed(login, station_officer):
    client = login(station_officer)
    response = upload(client, "甲,乙\n1,2\n".encode(), "x.csv")
    job = ImportJob.objects.get()
    assert job.status == "check_failed"
    assert "没有找到表头行" in client.get(response.url).content.decode()


def test_the_template_has_the_columns_and_an_example(login, station_officer):
    response = login(station_officer).get(reverse("imports:template", args=["ledger"]))
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    header = [c.value for c in book["导入数据"][1]]
    assert header[:2] == ["企业名称*", "统一社会信用代码*"]
    assert book["导入数据"]["A2"].value == "厦门示例机械有限公司"


def test_imports_of_another_subdistrict_are_invisible(
    login, station_officer, other_station_officer
):
    text = f"企业名称,统一社会信用代码,行业,企业规模\n厦门某机械有限公司,{make_uscc()},机械,小型\n"
    upload(login(station_officer), text.encode(), "minan.csv")
    job = ImportJob.objects.get()
    client = login(other_station_officer)
    assert client.get(reverse("imports:detail", args=[job.pk])).status_code == 404
    assert client.get(reverse("imports:file", args=[job.pk])).status_code == 404
    assert "minan.csv" not in client.get(reverse("imports:list")).content.decode()


def test_attachment_3_counts_new_enterprises_from_the_campaigns_baseline(
    login, station_officer, settings
):
    """The setting says 2025-06-30; the 民安 campaign's baseline (2025-02-28) decides."""
    from anbiao.campaigns.models import Campaign

    settings.ANBIAO_LEDGER_BASELINE = "2025-06-30"
    make_enterprise(name="厦门早期机械有限公司", ledger_since=date(2025, 2, 28))
    make_enterprise(name="厦门四月机械有限公司", ledger_since=date(2025, 4, 1))
    shrunk = make_enterprise(
        name="厦门缩小机械有限公司", size="medium", ledger_since=date(2024, 1, 1)
    )
    services.enterprise_update(
        actor=None, enterprise=shrunk, data={"size": "small"}, effective_on=date(2025, 9, 1)
    )
    assert Campaign.objects.get(slug="minan-2025").baseline_on == date(2025, 2, 28)
    response = login(station_officer).get(
        reverse("enterprises:ledger_export"), {"as_of": "2025-12-31"}
    )
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    new = {row[1]: row[-3] for row in values[4:] if isinstance(row[0], int | float)}
    assert new == {
        "厦门早期机械有限公司": "否",
        "厦门四月机械有限公司": "是",
        "厦门缩小机械有限公司": "是",  # 中型 → 小型 on 2025-09-01: new from that day
    }
    text = str(values)
    assert "应创企业3家(其中新增企业2家)" in text
    assert "基线日2025年02月28日" in text
