"""附件3 应创…小微企业情况统计表: the ledger as of a date, in the layout an office files."""

from collections import Counter
from datetime import date

from anbiao.accounts.models import Region
from anbiao.core.excel import Column
from anbiao.core.official_forms import OfficialForm
from anbiao.enterprises.choices import Industry, Size
from anbiao.enterprises.exports import CHUNK, chunks, risk_names, tag_names
from anbiao.enterprises.ledger import annotate_new, baseline_for, eligible

TITLE = "应创安全生产标准化非火炬高新区小微企业情况统计表"


COLUMNS = [
    Column("序号", width=5),
    Column("企业名称", width=28),
    Column("统一社会信用代码", width=21),
    Column("所属社区(村)", width=11),
    Column("生产经营地址", width=26),
    Column("行业", width=6),
    Column("企业规模", width=6),
    Column("从业人员数", width=7),
    Column("主要负责人", width=8),
    Column("联系电话", width=13),
    Column("安全管理人员", width=8),
    Column("联系电话", width=13),
    Column("纳入台账日期", width=11),
    Column("是否新增企业", width=7),
    Column("重点风险", width=16),
    Column("备注", width=10),
]
FIELDS = (
    "pk",
    "name",
    "uscc",
    "region__name",
    "region__level",
    "address",
    "industry",
    "on_size",
    "employees",
    "principal_name",
    "principal_phone",
    "safety_manager_name",
    "safety_manager_phone",
    "ledger_since",
    "is_new",
)


def ledger_form(
    queryset, *, on: date, region: Region | None, unit: str, baseline: date | None = None
) -> OfficialForm:
    """The 附件3 form for the 应创企业 of `queryset` (already scoped) on `on`; 新增企业 count
    from the baseline of the campaign covering the region (`baseline`, default: looked up).
    Rows are read as plain values in chunks (see exports.py), each chunk's risk tags at once."""
    start = baseline or baseline_for(region)
    rows_qs = (
        annotate_new(eligible(queryset, on, region), start)
        .order_by("region__path", "name_pinyin", "id")
        .values_list(*FIELDS)
    )
    by_size: Counter = Counter()
    by_industry: Counter = Counter()
    new_count = 0
    industries = {value: str(label) for value, label in Industry.choices}
    sizes = {value: str(label) for value, label in Size.choices}

    def rows():
        nonlocal new_count
        all_tags = tag_names()
        serial = 0
        for chunk in chunks(rows_qs.iterator(chunk_size=CHUNK)):
            tags = risk_names([row[0] for row in chunk], all_tags)
            for (
                pk,
                name,
                uscc,
                region_name,
                level,
                address,
                industry,
                on_size,
                employees,
                principal,
                principal_phone,
                manager,
                manager_phone,
                ledger_since,
                is_new,
            ) in chunk:
                serial += 1
                by_size[on_size] += 1
                by_industry[industry] += 1
                new_count += bool(is_new)
                yield (
                    serial,
                    name,
                    uscc,
                    region_name if level == "community" else "",
                    address,
                    industries.get(industry, industry),
                    sizes[on_size],
                    employees,
                    principal,
                    principal_phone,
                    manager,
                    manager_phone,
                    ledger_since,
                    "是" if is_new else "否",
                    tags.get(pk, ""),
                    "",
                )

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
