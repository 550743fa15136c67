"""The progress report (进度报表) as an official form: per 镇街 and per industry, as of a date,
with the campaign's totals and target statuses."""

from anbiao.accounts import permissions as perms
from anbiao.accounts.models import Region
from anbiao.campaigns import metrics
from anbiao.campaigns.targets import evaluate_all
from anbiao.core.excel import Column
from anbiao.core.official_forms import OfficialForm, official_form_response
from anbiao.enterprises.choices import Industry
from anbiao.supervision import metrics as supervision_metrics


def percent(value) -> str:
    return "不适用" if value is None else f"{value * 100:.1f}%"


COLUMNS = [
    Column("序号", lambda r: r["serial"], 5),
    Column("分组", lambda r: r["kind"], 6),
    Column("名称", lambda r: r["name"], 14),
    Column("范围内企业", lambda r: r["scope_total"], 9),
    Column("应创企业", lambda r: r["eligible_total"], 9),
    Column("已开展创建", lambda r: r["started"], 9),
    Column("开展率", lambda r: percent(r["start_rate"]), 8),
    Column("已完成创建", lambda r: r["completed"], 9),
    Column("完成率", lambda r: percent(r["completion_rate"]), 8),
]


def report_rows(scope: metrics.Scope) -> list[dict]:

    rows = []
    subdistricts = metrics.breakdown(scope, "subdistrict")
    names = dict(
        Region.objects.filter(pk__in=[r["group"] for r in subdistricts]).values_list("pk", "name")
    )
    for row in subdistricts:
        rows.append({**row, "kind": "镇街", "name": names.get(row["group"], "—")})
    labels = dict(Industry.choices)
    for row in metrics.breakdown(scope, "industry"):
        rows.append({**row, "kind": "行业", "name": labels.get(row["group"], row["group"])})
    for serial, row in enumerate(rows, start=1):
        row["serial"] = serial
    return rows


def supervision_lines(scope: metrics.Scope) -> list[str]:
    """The 监管检查 section: the supervision figures of the report's region, year to date."""
    enterprises = scope.enterprises.filter(region__path__startswith=scope.area.path)
    f = supervision_metrics.supervision_metrics(enterprises, scope.on)

    def text(key: str) -> str:
        return supervision_metrics.display(key, f[key])

    return [
        f"监管检查({scope.on.year}年1月1日至{scope.on:%Y年%m月%d日}):"
        f"计划检查(截至当月){text('inspections_planned')}次,"
        f"已完成检查{text('inspections_done')}次(计划完成率{text('plan_rate')});"
        f"发现隐患{text('hazards_found')}项,已销号{text('hazards_closed')}项"
        f"(整改率{text('rectification_rate')}),"
        f"整改用时中位数{text('median_days_to_close')}天;"
        f"逾期未整改隐患{text('hazards_overdue')}项,挂牌督办重大隐患{text('major_open')}项。"
    ]


def progress_form(
    scope: metrics.Scope, *, unit: str, with_supervision: bool = False
) -> OfficialForm:
    values, targets = evaluate_all(scope)

    def totals() -> list[str]:
        lines = [
            f"合计:范围内企业{values['scope_total']}家,应创企业{values['eligible_total']}家,"
            f"已开展创建{values['started']}家(开展率{percent(values['start_rate'])}),"
            f"已完成创建{values['completed']}家(完成率{percent(values['completion_rate'])}),"
            f"全覆盖率{percent(values['coverage_rate'])};"
            f"基线日({scope.campaign.baseline_on:%Y-%m-%d})后纳入的新增企业{values['new_total']}家,"
            f"已开展{values['new_started']}家;到期证书{values['due_certificates']}张,"
            f"已换证{values['renewed']}张;标杆企业{values['benchmarks']}家,"
            f"企业主要负责人和安全管理员培训覆盖率{percent(values['training_coverage_rate'])}。"
        ]
        for t in targets:
            shown = t.value_text if t.past_deadline else f"当前{t.value_text}"
            goal = percent(t.threshold) if t.target.is_rate else int(t.threshold)
            lines.append(
                f"目标:{t.target.label}(期限{t.target.deadline:%Y年%m月%d日}):"
                f"{shown},目标{goal},{t.status_label}。"
            )
        if with_supervision:
            lines += supervision_lines(scope)
        return lines

    return OfficialForm(
        title=f"{scope.campaign.name}进度报表",
        unit=unit,
        on=scope.on,
        columns=COLUMNS,
        rows=report_rows(scope),
        totals=totals,
        note="注:开展率=已开展创建的应创企业÷应创企业;完成率=持有效等级证书的应创企业÷应创企业;"
        "分母为0时记为“不适用”。",
    )


def progress_report_response(scope: metrics.Scope, *, user):
    unit = (
        f"{scope.area.name}安监站"
        if scope.area.level == "subdistrict"
        else f"{scope.area.name}安全生产标准化提升工作专班"
    )
    form = progress_form(
        scope, unit=unit, with_supervision=perms.has_perm(user, perms.SUPERVISION_VIEW)
    )
    return official_form_response(f"进度报表-{scope.campaign.slug}-{scope.on:%Y%m%d}.xlsx", form)
