"""The roll-up as an official form (.xlsx) for the district's own upward report."""

from django.utils import timezone

from anbiao.campaigns import metrics
from anbiao.core.excel import Column, xlsx_response
from anbiao.core.official_forms import OfficialForm, filing_unit, official_form_response
from anbiao.enterprises.models import Enterprise
from anbiao.filings.models import Filing
from anbiao.filings.rollup import COLUMNS, RollUp
from anbiao.filings.snapshot import KEY_LISTS


def _text(value, is_rate: bool):
    if value is None:
        return "—" if not is_rate else "不适用"
    return f"{value * 100:.1f}%" if is_rate else value


def _last_filing(row) -> str:
    filing = row.last_filing
    text = f"{filing.period_label} {filing.get_status_display()}" if filing else "未报送"
    if filing is None and row.campaign is None:
        text = "—"
    return text + (f",逾期未报{row.overdue}期" if row.overdue else "")


def rollup_response(data: RollUp, *, user):
    columns = [
        Column("序号", lambda r: r["serial"], 5),
        Column("镇街", lambda r: r["row"].region.name, 12),
        *[
            Column(label, lambda r, k=key, rate=is_rate: _text(r["row"].values.get(k), rate), 9)
            for key, label, is_rate in COLUMNS
        ],
        Column("排名", lambda r: r["row"].rank or "—", 5),
        Column("最近报送", lambda r: _last_filing(r["row"]), 16),
        Column("专项行动", lambda r: r["row"].campaign.name if r["row"].campaign else "无", 18),
        Column("说明", lambda r: r["row"].note, 24),
    ]
    rows = [{"serial": i, "row": row} for i, row in enumerate(data.rows, start=1)]
    totals = data.totals

    def lines() -> list[str]:
        return [
            f"合计:台账企业{totals['ledger_size']}家,应创企业{totals['eligible_total']}家,"
            f"已开展创建{totals['started']}家(开展率{_text(totals['start_rate'], True)}),"
            f"已完成创建{totals['completed']}家(完成率{_text(totals['completion_rate'], True)}),"
            f"到期证书{totals['due_certificates']}张,已换证{totals['renewed']}张,"
            f"未销号隐患{totals['open_hazards']}项。"
        ]

    area = data.area.name if data.area else "全部"
    form = OfficialForm(
        title=f"{area}各镇街安全生产标准化工作汇总表",
        unit=filing_unit(user),
        on=data.on,
        columns=columns,
        rows=rows,
        totals=lines,
        note="注:开展率、完成率的分母为专项行动口径的应创企业;未开展专项行动的镇街,应创企业按默认口径"
        "(非火炬高新区小微企业)统计,不计入合计的比率。",
    )
    return official_form_response(f"各镇街汇总-{data.on:%Y%m%d}.xlsx", form)


def filed_lists_response(filing: Filing):
    """The enterprises behind the filed numbers, one row each, 是 under every list it was in
    when filed (and today's name and USCC, which do not change what was filed)."""
    lists = filing.enterprise_ids
    ids = sorted(set().union(*(set(lists.get(k, [])) for k in KEY_LISTS)))
    names = {
        pk: (name, uscc)
        for pk, name, uscc in Enterprise.objects.filter(pk__in=ids).values_list(
            "pk", "name", "uscc"
        )
    }
    members = {key: set(lists.get(key, [])) for key in KEY_LISTS}
    rows = sorted(ids, key=lambda pk: names.get(pk, ("", ""))[1])
    columns = [
        Column("企业名称", lambda pk: names.get(pk, ("(已删除)", ""))[0], 30),
        Column("统一社会信用代码", lambda pk: names.get(pk, ("", ""))[1], 22),
        *[
            Column(metrics.label(key), lambda pk, key=key: "是" if pk in members[key] else "", 10)
            for key in KEY_LISTS
        ],
    ]
    return xlsx_response(
        f"报送企业名单-{filing.region.name}-{filing.as_of:%Y%m%d}.xlsx",
        title=f"{filing.region.name}{filing.period_label}报送时的企业名单",
        subtitle=f"统计截至{filing.as_of:%Y-%m-%d},"
        f"报送于{timezone.localtime(filing.filed_at):%Y-%m-%d %H:%M}",
        columns=columns,
        rows=rows,
    )
