"""Supervision exports: the 隐患台账 and the yearly inspection plan in filing layout
(anbiao/core/official_forms.py), the class list and the risk register as plain tables."""

from collections import Counter
from datetime import date

from django.db.models import QuerySet

from anbiao.core.excel import Column, xlsx_response
from anbiao.core.official_forms import (  # noqa: F401 - filing_unit is used by views
    OfficialForm,
    filing_unit,
    official_form_response,
)
from anbiao.supervision.choices import HazardLevel, HazardState


def _numbered(rows, tally: Counter | None = None):
    for serial, row in enumerate(rows, start=1):
        row.serial = serial
        if tally is not None:
            tally["total"] += 1
            tally[row.level] += 1
            tally[row.state] += 1
        yield row


def _overdue(h, on: date) -> str:
    return "是" if h.state != HazardState.CLOSED and h.deadline < on else ""


def hazard_ledger(qs: QuerySet, *, on: date, unit: str):
    """隐患台账 (filing layout): one row per hazard, a totals line, sign lines."""
    tally: Counter = Counter()
    columns = [
        Column("序号", lambda h: h.serial, 5),
        Column("企业名称", lambda h: h.enterprise.name, 24),
        Column("统一社会信用代码", lambda h: h.enterprise.uscc, 20),
        Column("发现日期", lambda h: h.found_on, 11),
        Column("隐患级别", lambda h: h.get_level_display(), 8),
        Column("隐患描述", lambda h: h.description, 34),
        Column("隐患部位", lambda h: h.location, 12),
        Column("依据", lambda h: h.legal_basis, 18),
        Column("整改责任人", lambda h: h.responsible, 9),
        Column("整改措施", lambda h: h.measures, 24),
        Column("整改资金(元)", lambda h: float(h.funds) if h.funds is not None else "", 10),
        Column("整改期限", lambda h: h.deadline, 11),
        Column("状态", lambda h: h.get_state_display(), 8),
        Column("销号日期", lambda h: h.closed_on, 11),
        Column("逾期", lambda h: _overdue(h, on), 5),
    ]

    def totals():
        closed = tally[HazardState.CLOSED]
        return [
            f"合计:隐患 {tally['total']} 项,其中重大隐患 {tally[HazardLevel.MAJOR]} 项;"
            f"已销号 {closed} 项,未销号 {tally['total'] - closed} 项。"
        ]

    form = OfficialForm(
        title="生产安全事故隐患排查治理台账",
        unit=unit,
        on=on,
        columns=columns,
        rows=_numbered(qs.iterator(chunk_size=500), tally),
        totals=totals,
        signatures=("填表人:", "审核人:", "单位负责人:"),
    )
    return official_form_response(f"隐患台账-{on:%Y%m%d}.xlsx", form)


def plan_table(plan, rows, *, on: date, unit: str):
    tally: Counter = Counter()

    def numbered():
        for serial, entry in enumerate(rows, start=1):
            entry.serial = serial
            tally[entry.status] += 1
            yield entry

    columns = [
        Column("序号", lambda e: e.serial, 5),
        Column("企业名称", lambda e: e.enterprise.name, 28),
        Column("统一社会信用代码", lambda e: e.enterprise.uscc, 20),
        Column("所属区域", lambda e: e.enterprise.region.name, 12),
        Column("监管类别", lambda e: e.get_klass_display(), 8),
        Column("计划月份", lambda e: f"{e.month}月", 8),
        Column("检查人员", lambda e: e.inspector, 12),
        Column("完成情况", lambda e: e.status_label, 9),
    ]

    def totals():
        return [
            f"合计:计划检查 {sum(tally.values())} 次,已检查 {tally['done']} 次,"
            f"待检查 {tally['due']} 次,逾期未检 {tally['overdue']} 次。"
        ]

    form = OfficialForm(
        title=f"{plan.region.name}{plan.year}年度安全生产监督检查计划",
        unit=unit,
        on=on,
        columns=columns,
        rows=numbered(),
        totals=totals,
    )
    return official_form_response(f"年度检查计划-{plan.region.name}-{plan.year}.xlsx", form)


def class_table(rows, *, on: date):
    def numbered():
        for serial, row in enumerate(rows, start=1):
            row["serial"] = serial
            yield row

    return xlsx_response(
        f"分类监管-{on:%Y%m%d}.xlsx",
        title="分类监管企业名单",
        subtitle=f"截至 {on.isoformat()}",
        columns=[
            Column("序号", lambda r: r["serial"], 5),
            Column("企业名称", lambda r: r["enterprise"].name, 28),
            Column("统一社会信用代码", lambda r: r["enterprise"].uscc, 20),
            Column("所属区域", lambda r: r["enterprise"].region.name, 12),
            Column("监管类别", lambda r: f"{r['verdict'].klass}类", 8),
            Column("评定理由", lambda r: r["verdict"].reason, 40),
        ],
        rows=numbered(),
    )


def risk_table(qs: QuerySet):
    def numbered():
        for serial, point in enumerate(qs.iterator(chunk_size=500), start=1):
            point.serial = serial
            yield point

    return xlsx_response(
        "风险分级管控清单.xlsx",
        title="安全风险分级管控清单",
        subtitle="红:重大风险 橙:较大风险 黄:一般风险 蓝:低风险",
        columns=[
            Column("序号", lambda p: p.serial, 5),
            Column("企业名称", lambda p: p.enterprise.name, 26),
            Column("风险点", lambda p: p.name, 18),
            Column("部位/场所", lambda p: p.location, 14),
            Column("风险等级", lambda p: p.get_colour_display(), 12),
            Column("主要危险因素", lambda p: p.factors, 24),
            Column("管控措施", lambda p: p.controls, 34),
            Column("管控责任人", lambda p: p.owner, 10),
            Column("下次评估日期", lambda p: p.review_on, 12),
        ],
        rows=numbered(),
    )
