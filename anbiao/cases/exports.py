"""The case board as an Excel sheet: exactly the rows of the filtered board."""

from django.utils import timezone

from anbiao.cases import conf
from anbiao.cases.choices import AssessmentKind, CaseState
from anbiao.cases.selectors import certificate_status_of_row
from anbiao.core.excel import Column


def _certificate(row) -> str:
    status = certificate_status_of_row(row, row.today)
    return status.label if status else ""


COLUMNS = [
    Column("序号", lambda e: e.serial, 6),
    Column("企业名称", lambda e: e.name, 32),
    Column("统一社会信用代码", lambda e: e.uscc, 22),
    Column("镇街", lambda e: e.subdistrict.name, 12),
    Column("社区/村", lambda e: e.region.name if e.region.level == "community" else "", 12),
    Column("行业", lambda e: e.get_industry_display(), 8),
    Column("创建状态", lambda e: CaseState(e.case_state).label, 12),
    Column("状态日期", lambda e: e.case_since, 12),
    Column("待重新评审", lambda e: "是" if e.case_flagged else "", 8),
    Column(
        "最近评定",
        lambda e: AssessmentKind(e.last_score_kind).label if e.last_score_kind else "",
        8,
    ),
    Column("最近得分", lambda e: e.last_score, 8),
    Column("证书等级", lambda e: conf.grade_name(e.cert_grade) if e.cert_grade else "", 10),
    Column("证书编号", lambda e: e.cert_number, 20),
    Column("发证日期", lambda e: e.cert_issued, 12),
    Column("有效期至", lambda e: e.cert_expires, 12),
    Column("证书状态", _certificate, 10),
]


def numbered(queryset):
    today = timezone.localdate()
    for serial, row in enumerate(queryset.iterator(chunk_size=2000), start=1):
        row.serial, row.today = serial, today
        yield row


def export_table(queryset, *, user, description: str) -> dict:
    stamp = timezone.localtime().strftime("%Y-%m-%d %H:%M")
    return {
        "title": "安全生产标准化创建进度",
        "subtitle": f"导出人:{user.display_name}  导出时间:{stamp}  筛选条件:{description or '无'}",
        "columns": COLUMNS,
        "rows": numbered(queryset),
    }
