"""The registry and 附件3 exports read plain values in chunks (exports.py): what an officer gets
must be exactly what the model-instance export gave — every cell, its type and its format —
for enterprises in a community or directly under the 镇街, with and without risk tags, money,
missing numbers and every eligibility answer."""

from datetime import date
from decimal import Decimal

import openpyxl
import pytest

from anbiao.accounts.models import Region
from anbiao.core.excel import Column, write_table
from anbiao.core.official_forms import OfficialForm, write_official_form
from anbiao.enterprises.choices import Industry, OperatingStatus, Size
from anbiao.enterprises.exports import export_table
from anbiao.enterprises.ledger import annotate_new, eligible
from anbiao.enterprises.ledger_export import ledger_form
from anbiao.enterprises.models import Enterprise, RiskTag
from anbiao.testing.factories import make_enterprise, region

pytestmark = pytest.mark.django_db

# The export as it was written before: one model instance per row, one callable per cell.
REGISTRY_BEFORE = [
    Column("序号", lambda e: e.serial, 6),
    Column("企业名称", lambda e: e.name, 32),
    Column("统一社会信用代码", lambda e: e.uscc, 22),
    Column("镇街", lambda e: e.subdistrict.name, 12),
    Column("社区/村", lambda e: e.region.name if e.region.level == "community" else "", 12),
    Column("生产经营地址", lambda e: e.address, 30),
    Column("行业", lambda e: e.get_industry_display(), 8),
    Column("国民经济行业代码", lambda e: e.industry_code, 10),
    Column("企业规模", lambda e: e.get_size_display(), 8),
    Column("从业人员数", lambda e: e.employees, 8),
    Column("营业收入(万元)", lambda e: e.revenue, 12),
    Column("位于火炬高新区", lambda e: e.in_torch_zone, 8),
    Column("经营状态", lambda e: e.get_status_display(), 8),
    Column("状态日期", lambda e: e.status_since, 12),
    Column("纳入台账日期", lambda e: e.ledger_since, 12),
    Column("是否符合创建条件", lambda e: {True: "是", False: "否"}.get(e.eligible, "待确认"), 8),
    Column("不符合原因", lambda e: e.eligibility_reason, 20),
    Column("主要负责人", lambda e: e.principal_name, 10),
    Column("主要负责人电话", lambda e: e.principal_phone, 14),
    Column("安全管理人员", lambda e: e.safety_manager_name, 10),
    Column("安全管理人员电话", lambda e: e.safety_manager_phone, 14),
    Column("重点风险", lambda e: "、".join(t.name for t in e.risk_tags.all()), 20),
]
ATTACHMENT3_BEFORE = [
    Column("序号", lambda e: e.serial, 5),
    Column("企业名称", lambda e: e.name, 28),
    Column("统一社会信用代码", lambda e: e.uscc, 21),
    Column("所属社区(村)", lambda e: e.region.name if e.region.level == "community" else "", 11),
    Column("生产经营地址", lambda e: e.address, 26),
    Column("行业", lambda e: e.get_industry_display(), 6),
    Column("企业规模", lambda e: Size(e.on_size).label, 6),
    Column("从业人员数", lambda e: e.employees, 7),
    Column("主要负责人", lambda e: e.principal_name, 8),
    Column("联系电话", lambda e: e.principal_phone, 13),
    Column("安全管理人员", lambda e: e.safety_manager_name, 8),
    Column("联系电话", lambda e: e.safety_manager_phone, 13),
    Column("纳入台账日期", lambda e: e.ledger_since, 11),
    Column("是否新增企业", lambda e: "是" if e.is_new else "否", 7),
    Column("重点风险", lambda e: "、".join(t.name for t in e.risk_tags.all()), 16),
    Column("备注", lambda e: "", 10),
]


def numbered(queryset):
    for serial, enterprise in enumerate(queryset, start=1):
        enterprise.serial = serial
        yield enterprise


def sheet_cells(path) -> list[list[tuple]]:
    """Every cell: value, type, number format, border — what an officer sees and prints."""
    sheet = openpyxl.load_workbook(path).active
    return [
        [(c.value, c.data_type, c.number_format, c.border.left.style) for c in row]
        for row in sheet.iter_rows()
    ]


@pytest.fixture
def varied_ledger(reference):
    minan = region("350213007")
    community = Region.objects.create(
        code="350213007901", name="测试社区", level="community", parent=minan
    )
    tags = {t.code: t for t in RiskTag.objects.all()}
    make_enterprise(
        name="厦门社区机械有限公司",
        region=community,
        address="民安街道测试路1号",
        industry_code="C3311",
        revenue=Decimal("860.50"),
        risk_tags=[tags["confined_space"], tags["dust_explosion"]],
        safety_manager_name="林建华",
        safety_manager_phone="13900000000",
    )
    make_enterprise(
        name="=厦门公式纺织有限公司",
        industry=Industry.TEXTILE,
        size=Size.MICRO,
        employees=None,
        eligible=False,
        eligibility_reason="仅办公",
        risk_tags=[tags["lifting"]],
    )
    make_enterprise(name="厦门待确认五金有限公司", eligible=None, in_torch_zone=True)
    make_enterprise(
        name="厦门新增食品有限公司",
        industry=Industry.LIGHT_INDUSTRY,
        size=Size.MICRO,
        ledger_since=date(2025, 9, 1),
    )
    Enterprise.objects.filter(name__startswith="厦门待确认").update(
        status=OperatingStatus.SUSPENDED, status_since=date(2025, 6, 1)
    )


class System:
    display_name = "测试"


def test_the_registry_export_has_the_cells_the_instance_export_had(varied_ledger, tmp_path):
    qs = (
        Enterprise.objects.select_related("region", "region__parent")
        .prefetch_related("risk_tags")
        .order_by("region__path", "name_pinyin", "id")
    )
    table = export_table(qs, user=System(), description="")
    write_table(str(tmp_path / "after.xlsx"), **table)
    before = {**table, "columns": REGISTRY_BEFORE, "rows": numbered(qs)}
    write_table(str(tmp_path / "before.xlsx"), **before)

    after_cells = sheet_cells(tmp_path / "after.xlsx")
    assert after_cells == sheet_cells(tmp_path / "before.xlsx")
    data = after_cells[3:]
    assert len(data) == 4
    community_row = next(row for row in data if row[1][0] == "厦门社区机械有限公司")
    assert [cell[0] for cell in community_row[3:5]] == ["民安街道", "测试社区"]
    assert community_row[10][:2] == (860.5, "n")
    assert community_row[21][0] == "粉尘涉爆、有限空间作业"  # the tags' own order


def test_the_attachment_3_export_has_the_cells_the_instance_export_had(varied_ledger, tmp_path):
    on, baseline = date(2025, 12, 31), date(2025, 3, 31)
    form = ledger_form(
        Enterprise.objects.all(), on=on, region=None, unit="民安街道安监站", baseline=baseline
    )
    write_official_form(str(tmp_path / "after.xlsx"), form)
    instances = (
        annotate_new(eligible(Enterprise.objects.all(), on, None), baseline)
        .select_related("region")
        .prefetch_related("risk_tags")
        .order_by("region__path", "name_pinyin", "id")
    )
    before = OfficialForm(
        title=form.title,
        unit=form.unit,
        on=on,
        columns=ATTACHMENT3_BEFORE,
        rows=numbered(instances),
        totals=form.totals,
        note=form.note,
    )
    write_official_form(str(tmp_path / "before.xlsx"), before)

    after_cells = sheet_cells(tmp_path / "after.xlsx")
    assert after_cells == sheet_cells(tmp_path / "before.xlsx")
    names = [row[1][0] for row in after_cells[4:] if isinstance(row[0][0], int | float)]
    assert names == ["厦门新增食品有限公司", "厦门社区机械有限公司"]  # the 镇街's own first
    totals = next(row[0][0] for row in after_cells if str(row[0][0]).startswith("合计"))
    assert "应创企业2家(其中新增企业1家)" in totals


def test_an_export_of_no_rows_is_an_empty_table(reference, tmp_path):
    table = export_table(Enterprise.objects.none(), user=System(), description="")
    assert write_table(str(tmp_path / "empty.xlsx"), **table) == 0
    cells = sheet_cells(tmp_path / "empty.xlsx")
    assert [cell[0] for cell in cells[2]][:3] == ["序号", "企业名称", "统一社会信用代码"]
    assert len(cells) == 3
