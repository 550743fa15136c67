"""附件3 应创…小微企业情况统计表: the ledger as of a date, in the layout an office files."""

from collections import Counter
from datetime import date

from anbiao.accounts.models import Region
from anbiao.core.excel import Column
from anbiao.core.official_forms import OfficialForm
from anbiao.enterprises.choices import Industry, Size
from anbiao.enterprises.ledger import annotate_new, baseline_for, eligible

TITLE = "应创安全生产标准化非火炬高新区小微企业情况统计表"


def _community(e) -> str:
    return e.region.name if e.region.level == "community" else ""


COLUMNS = [
    Column("序号", lambda e: e.serial, 5),
    Column("企业名称", lambda e: e.name, 28),
    Column("统一社会信用代码", lambda e: e.uscc, 21),
    Column("所属社区(村)", _community, 11),
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


def ledger_form(
    queryset, *, on: date, region: Region | None, unit: str, baseline: date | None = None
) -> OfficialForm:
    """The 附件3 form for the 应创企业 of `queryset` (already scoped) on `on`; 新增企业 count
    from the baseline of the campaign covering the region (`baseline`, default: looked up)."""
    start = baseline or baseline_for(region)
    rows_qs = (
        annotate_new(eligible(queryset, on, region), start)
        .select_related("region")
        .prefetch_related("risk_tags")
        .order_by("region__path", "name_pinyin", "id")
    )
    by_size: Counter = Counter()
    by_industry: Counter = Counter()
    new_count = 0

    def rows():
        nonlocal new_count
        for serial, enterprise in enumerate(rows_qs.iterator(chunk_size=2000), start=1):
            enterprise.serial = serial
            by_size[enterprise.on_size] += 1
            by_industry[enterprise.industry] += 1
            new_count += enterprise.is_new
            yield enterprise

    def totals() -> list[str]:
        total = sum(by_size.values())
        sizes = ",".join(
            f"{label}{by_size.get(value, 0)}家"
            for value, label in Size.choices
            if value in ("small", "micro")
        )
        industries = ",".join(
            f"{label}{by_industry[value]}家"
            for value, label in Industry.choices
            if by_industry.get(value)
        )
        return [
            f"合计:应创企业{total}家(其中新增企业{new_count}家)。按规模:{sizes}。"
            f"按行业:{industries or '无'}。"
        ]

    return OfficialForm(
        title=TITLE,
        unit=unit,
        on=on,
        columns=COLUMNS,
        rows=rows(),
        totals=totals,
        note=f"注:应创企业指截至统计日纳入台账、在营、非火炬高新区、"
        f"规模为小型或微型且经摸排确认符合创建条件的工贸企业;新增企业指基线日{start:%Y年%m月%d日}"
        "(首轮摸排结束)后纳入的应创企业。",
    )
