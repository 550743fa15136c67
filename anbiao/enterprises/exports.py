"""The registry as an Excel sheet: exactly the rows of the filtered list.

Rows are read as plain values (`values_list`, region names joined in SQL) in chunks, and each
chunk's risk tags in one query: a 100k-row export builds no model instance, so its time is
mostly xlsxwriter writing the cells (bench/ledger_export.py)."""

from collections.abc import Iterable, Iterator
from itertools import islice

from django.db.models import QuerySet
from django.utils import timezone

from anbiao.core.excel import Column
from anbiao.enterprises.choices import Industry, OperatingStatus, Size
from anbiao.enterprises.models import Enterprise, RiskTag

CHUNK = 2000

COLUMNS = [
    Column("序号", width=6),
    Column("企业名称", width=32),
    Column("统一社会信用代码", width=22),
    Column("镇街", width=12),
    Column("社区/村", width=12),
    Column("生产经营地址", width=30),
    Column("行业", width=8),
    Column("国民经济行业代码", width=10),
    Column("企业规模", width=8),
    Column("从业人员数", width=8),
    Column("营业收入(万元)", width=12),
    Column("位于火炬高新区", width=8),
    Column("经营状态", width=8),
    Column("状态日期", width=12),
    Column("纳入台账日期", width=12),
    Column("是否符合创建条件", width=8),
    Column("不符合原因", width=20),
    Column("主要负责人", width=10),
    Column("主要负责人电话", width=14),
    Column("安全管理人员", width=10),
    Column("安全管理人员电话", width=14),
    Column("重点风险", width=20),
]

FIELDS = (
    "pk",
    "name",
    "uscc",
    "region__name",
    "region__level",
    "region__parent__name",
    "address",
    "industry",
    "industry_code",
    "size",
    "employees",
    "revenue",
    "in_torch_zone",
    "status",
    "status_since",
    "ledger_since",
    "eligible",
    "eligibility_reason",
    "principal_name",
    "principal_phone",
    "safety_manager_name",
    "safety_manager_phone",
)
ELIGIBLE = {True: "是", False: "否", None: "待确认"}


def _labels(choices) -> dict[str, str]:
    return {value: str(label) for value, label in choices}


def chunks(rows: Iterable, size: int = CHUNK) -> Iterator[list]:
    """`rows` in lists of `size`: one risk-tag query per list, not per row."""
    iterator = iter(rows)
    while chunk := list(islice(iterator, size)):
        yield chunk


def tag_names() -> dict[int, tuple[int, str]]:
    """Every risk tag: its place in the tags' order and its name (a small dictionary table)."""
    return {
        pk: (index, name)
        for index, (pk, name) in enumerate(RiskTag.objects.values_list("pk", "name"))
    }


def risk_names(enterprise_ids: list[int], tags: dict[int, tuple[int, str]]) -> dict[int, str]:
    """Each enterprise's risk tags as the cell shows them (、-joined, in the tags' order)."""
    tagged: dict[int, list[tuple[int, str]]] = {}
    links = Enterprise.risk_tags.through.objects.filter(enterprise_id__in=enterprise_ids)
    for enterprise_id, tag_id in links.values_list("enterprise_id", "risktag_id"):
        tagged.setdefault(enterprise_id, []).append(tags[tag_id])
    return {pk: "、".join(name for _, name in sorted(found)) for pk, found in tagged.items()}


def registry_rows(queryset: QuerySet[Enterprise]) -> Iterator[tuple]:
    """The registry's cells, row by row, in the queryset's order, with serial numbers."""
    industries, sizes = _labels(Industry.choices), _labels(Size.choices)
    statuses = _labels(OperatingStatus.choices)
    values = queryset.prefetch_related(None).values_list(*FIELDS)
    all_tags = tag_names()
    serial = 0
    for chunk in chunks(values.iterator(chunk_size=CHUNK)):
        tags = risk_names([row[0] for row in chunk], all_tags)
        for (
            pk,
            name,
            uscc,
            region,
            level,
            parent,
            address,
            industry,
            industry_code,
            size,
            employees,
            revenue,
            torch_zone,
            status,
            status_since,
            ledger_since,
            eligible,
            reason,
            principal,
            principal_phone,
            manager,
            manager_phone,
        ) in chunk:
            serial += 1
            community = level == "community"
            yield (
                serial,
                name,
                uscc,
                parent if community and parent is not None else region,
                region if community else "",
                address,
                industries.get(industry, industry),
                industry_code,
                sizes.get(size, size),
                employees,
                revenue,
                torch_zone,
                statuses.get(status, status),
                status_since,
                ledger_since,
                ELIGIBLE.get(eligible, "待确认"),
                reason,
                principal,
                principal_phone,
                manager,
                manager_phone,
                tags.get(pk, ""),
            )


def export_table(queryset, *, user, description: str) -> dict:
    stamp = timezone.localtime().strftime("%Y-%m-%d %H:%M")
    return {
        "title": "企业台账",
        "subtitle": f"导出人:{user.display_name}  导出时间:{stamp}  筛选条件:{description or '无'}",
        "columns": COLUMNS,
        "rows": registry_rows(queryset),
    }
