import io
from datetime import date

import openpyxl
import pytest
from django.urls import reverse

from anbiao.benchmarks import services
from anbiao.testing.factories import ALL_PILOT_STAGES, choose_benchmark, make_enterprise

pytestmark = pytest.mark.django_db


def sheet_of(response):
    body = b"".join(response.streaming_content)
    return openpyxl.load_workbook(io.BytesIO(body)).active


def rows_of(sheet):
    """Data rows (after the header on row 4) until the first row without a serial number."""
    rows = []
    for row in sheet.iter_rows(min_row=5, values_only=True):
        if not isinstance(row[0], int | float):
            break
        rows.append(row)
    return rows


def texts(sheet):
    return [str(v) for row in sheet.iter_rows(values_only=True) for v in row if v]


@pytest.fixture
def plan(reference):
    late = choose_benchmark(make_enterprise(name="厦门乙机械有限公司"), date(2025, 10, 28))
    early = choose_benchmark(
        make_enterprise(name="厦门甲食品有限公司", address="民安大道8号"),
        date(2025, 10, 10),
        *zip(
            ALL_PILOT_STAGES,
            [date(2025, 11, 1), date(2026, 1, 5), date(2026, 3, 1), date(2026, 6, 10)],
            strict=True,
        ),
    )
    services.benchmark_update_catalog(
        actor=None,
        benchmark=early,
        data={
            "highlights": "双重预防机制信息化",
            "visit_arrangement": "每周二上午,提前3天预约",
            "visit_contact": "林建华",
            "visit_phone": "13900000001",
        },
    )
    gone = choose_benchmark(make_enterprise(name="厦门丙纺织有限公司"), date(2025, 10, 20))
    services.benchmark_withdraw(actor=None, benchmark=gone, on=date(2025, 12, 1), reason="停产")
    make_enterprise("350213002", name="厦门新店建材有限公司")
    choose_benchmark(make_enterprise("350213002", name="厦门新店标杆有限公司"), date(2025, 10, 1))
    return early, late


def test_form4_lists_the_candidates_in_order_of_choosing_in_filing_layout(
    login, station_officer, plan
):
    response = login(station_officer).get(reverse("benchmarks:form4"), {"on": "2026-06-30"})
    assert response.status_code == 200
    assert (
        "附件4" in response["Content-Disposition"]
        or "%E9%99%84%E4%BB%B64" in response["Content-Disposition"]
    )
    sheet = sheet_of(response)
    assert sheet["A1"].value == "标杆企业培植对象名单"
    assert sheet["A2"].value == "填报单位(盖章):民安街道安监站"
    assert "2026年6月30日" in [c.value for c in sheet[2] if c.value][-1]
    assert [c.value for c in sheet[4]][:3] == ["序号", "企业名称", "统一社会信用代码"]
    rows = rows_of(sheet)
    assert [(r[0], r[1]) for r in rows] == [(1, "厦门甲食品有限公司"), (2, "厦门乙机械有限公司")]
    assert rows[0][11] == "已建成" and rows[1][11] == "培植对象"
    all_text = texts(sheet)
    assert "合计:培植对象2家。按阶段:培植对象1家,已建成1家。" in all_text
    assert "填表人:" in all_text and "审核人:" in all_text
    assert "厦门新店标杆有限公司" not in all_text  # another 街道's candidate
    assert "厦门丙纺织有限公司" not in all_text  # withdrawn before the date


def test_form4_as_of_an_earlier_date(login, station_officer, plan):
    response = login(station_officer).get(reverse("benchmarks:form4"), {"on": "2025-11-15"})
    rows = rows_of(sheet_of(response))
    assert [r[1] for r in rows] == [
        "厦门甲食品有限公司",
        "厦门丙纺织有限公司",
        "厦门乙机械有限公司",
    ]
    assert rows[0][11] == "创建试点"


def test_form5_lists_the_catalog_with_visiting_details(login, station_officer, plan):
    response = login(station_officer).get(reverse("benchmarks:form5"), {"on": "2026-06-30"})
    sheet = sheet_of(response)
    assert sheet["A1"].value == "标杆企业现场观摩企业目录"
    assert sheet["A2"].value.startswith("填报单位(盖章):")
    header = [c.value for c in sheet[4]]
    assert header[:4] == ["序号", "企业名称", "行业", "企业地址"]
    rows = rows_of(sheet)
    assert len(rows) == 1
    row = dict(zip(header, rows[0], strict=False))
    assert row["序号"] == 1 and row["企业名称"] == "厦门甲食品有限公司"
    assert (row["联系人"], row["联系电话"]) == ("林建华", "13900000001")
    assert row["创建亮点"] == "双重预防机制信息化"
    assert row["观摩安排"] == "每周二上午,提前3天预约"
    assert "合计:现场观摩企业1家。" in texts(sheet)
    before = rows_of(
        sheet_of(login(station_officer).get(reverse("benchmarks:form5"), {"on": "2026-06-09"}))
    )
    assert before == []
