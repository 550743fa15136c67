"""The summary report draft (.docx) for the 总结验收 phase: the targets table with their
outcome, the key figures, the breakdown by 镇街 and industry, benchmarks, and the lists an
office attaches (enterprises not yet started, overdue tasks). A draft for the station to edit,
written with python-docx in the usual layout of a government work summary."""

import io

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Pt

from anbiao.campaigns import metrics
from anbiao.campaigns.reports import percent, report_rows
from anbiao.campaigns.targets import evaluate_all

FONT = "宋体"


def _font(run, size: float = 12, bold: bool = False, name: str = FONT) -> None:
    run.font.size = Pt(size)
    run.font.bold = bold
    run.font.name = name
    run._element.rPr.rFonts.set(qn("w:eastAsia"), name)


def _paragraph(doc, text: str, *, size=12, bold=False, center=False, name=FONT):
    paragraph = doc.add_paragraph()
    if center:
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _font(paragraph.add_run(text), size, bold, name)
    return paragraph


def _table(doc, header: list[str], rows: list[list]) -> None:
    table = doc.add_table(rows=1, cols=len(header))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, header, strict=True):
        cell.text = ""
        _font(cell.paragraphs[0].add_run(text), 10.5, bold=True)
    for row in rows:
        cells = table.add_row().cells
        for cell, value in zip(cells, row, strict=True):
            cell.text = ""
            _font(cell.paragraphs[0].add_run(str(value)), 10.5)


def show(value, key: str) -> str:
    if value is None:
        return "不适用"
    return percent(value) if metrics.is_rate(key) else f"{value:g}"


def summary_docx(scope: metrics.Scope, *, unit: str) -> bytes:
    campaign, on = scope.campaign, scope.on
    values, targets = evaluate_all(scope)
    doc = Document()
    _paragraph(doc, f"{campaign.name}工作总结", size=22, bold=True, center=True, name="黑体")
    _paragraph(doc, f"({unit} 初稿,统计截至{on.year}年{on.month}月{on.day}日)", center=True)
    _paragraph(doc, "一、基本情况", size=16, bold=True, name="黑体")
    _paragraph(
        doc,
        (
            f"根据《{campaign.full_title}》,{scope.area.name}纳入范围的{campaign.scope_label}"
            f"共{values['scope_total']}家,经摸排确认符合创建条件的应创企业{values['eligible_total']}家,"
            f"其中基线日({campaign.baseline_on:%Y-%m-%d})后纳入的新增企业{values['new_total']}家。"
            "截至统计日,已开展创建"
            f"{values['started']}家(开展率{show(values['start_rate'], 'start_rate')}),"
            f"已完成创建并取得有效等级证书{values['completed']}家"
            f"(完成率{show(values['completion_rate'], 'completion_rate')}),全覆盖率"
            f"{show(values['coverage_rate'], 'coverage_rate')};"
            f"标杆企业进入创建试点并召开现场会{values['benchmarks_cultivating']}家,"
            f"已建成{values['benchmarks']}家,"
            f"列入现场观摩目录{values['catalog_size']}家;应创企业主要负责人和安全管理员培训覆盖率"
            f"{show(values['training_coverage_rate'], 'training_coverage_rate')}。"
        ),
    )
    _paragraph(doc, "二、目标完成情况", size=16, bold=True, name="黑体")
    _table(
        doc,
        ["序号", "目标", "期限", "目标值", "完成值", "情况"],
        [
            [
                i,
                t.target.label,
                f"{t.target.deadline:%Y-%m-%d}",
                show(t.threshold, t.target.metric),
                t.value_text,
                t.status_label,
            ]
            for i, t in enumerate(targets, start=1)
        ],
    )
    _paragraph(doc, "三、分镇街、分行业情况", size=16, bold=True, name="黑体")
    _table(
        doc,
        ["分组", "名称", "应创企业", "已开展", "开展率", "已完成", "完成率"],
        [
            [
                r["kind"],
                r["name"],
                r["eligible_total"],
                r["started"],
                percent(r["start_rate"]),
                r["completed"],
                percent(r["completion_rate"]),
            ]
            for r in report_rows(scope)
        ],
    )
    _paragraph(doc, "四、尚未开展创建的应创企业", size=16, bold=True, name="黑体")
    pending = (
        metrics.enterprises_behind(scope, "not_started")
        .select_related("region")
        .order_by("region__path", "name_pinyin")
    )
    _table(
        doc,
        ["序号", "企业名称", "统一社会信用代码", "所属区域"],
        [[i, e.name, e.uscc, e.region.name] for i, e in enumerate(pending, start=1)]
        or [["—", "无", "", ""]],
    )
    _paragraph(doc, "五、逾期未完成的工作任务", size=16, bold=True, name="黑体")
    overdue = campaign.tasks.filter(deadline__lt=on).exclude(status="done").order_by("deadline")
    _table(
        doc,
        ["序号", "任务", "责任部门", "时限"],
        [
            [i, t.title, t.department, f"{t.deadline:%Y-%m-%d}"]
            for i, t in enumerate(overdue, start=1)
        ]
        or [["—", "无", "", ""]],
    )
    _paragraph(doc, "六、主要做法和经验(请补充)", size=16, bold=True, name="黑体")
    _paragraph(doc, "七、存在问题和下一步工作(请补充)", size=16, bold=True, name="黑体")
    _paragraph(doc, f"{unit}", center=False)
    _paragraph(doc, f"{on.year}年{on.month}月{on.day}日")
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()
