"""The registry as an Excel sheet: exactly the rows of the filtered list."""

from django.utils import timezone

from anbiao.core.excel import Column

COLUMNS = [
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


def numbered(queryset):
    """Iterate in chunks (bounded memory, prefetches kept) and give each row its serial number."""
    for serial, enterprise in enumerate(queryset.iterator(chunk_size=2000), start=1):
        enterprise.serial = serial
        yield enterprise


def export_table(queryset, *, user, description: str) -> dict:
    stamp = timezone.localtime().strftime("%Y-%m-%d %H:%M")
    return {
        "title": "企业台账",
        "subtitle": f"导出人:{user.display_name}  导出时间:{stamp}  筛选条件:{description or '无'}",
        "columns": COLUMNS,
        "rows": numbered(queryset),
    }
