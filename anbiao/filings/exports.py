"""The roll-up as an official form (.xlsx) for the district's own upward report."""

from anbiao.core.excel import Column
from anbiao.core.official_forms import OfficialForm, filing_unit, official_form_response
from anbiao.filings.rollup import COLUMNS, RollUp


def _text(value, is_rate: bool):
    if value is None:
        return "—" if not is_rate else "不适用"
    return f"{value * 100:.1f}%" if is_rate else value


def rollup_response(data: RollUp, *, user):
    columns = [
        Column("序号", lambda r: r["serial"], 5),
        Column("镇街", lambda r: r["row"].region.name, 12),
        *[
            Column(label, lambda r, k=key, rate=is_rate: _text(r["row"].values.get(k), rate), 9)
            for key, label, is_rate in COLUMNS
        ],
        Column("排名", lambda r: r["row"].rank or "—", 5),
        Column(
            "最近报送",
            lambda r: (
                f"{r['row'].last_filing.period_label} {r['row'].last_filing.get_status_display()}"
                if r["row"].last_filing
                else "未报送"
            ),
            16,
        ),
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
