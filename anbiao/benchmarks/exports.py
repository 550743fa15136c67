"""附件4 标杆企业培植对象名单 and 附件5 标杆企业现场观摩企业目录, in the layout an office files
(anbiao/core/official_forms.py): title, 填报单位, date, serial numbers, totals, sign lines."""

from collections import Counter
from datetime import date

from django.db.models import QuerySet

from anbiao.benchmarks.choices import Stage
from anbiao.benchmarks.models import Benchmark
from anbiao.benchmarks.selectors import candidates_on, catalog_on
from anbiao.core.excel import Column
from anbiao.core.official_forms import OfficialForm, filing_unit  # noqa: F401 - used by views

FORM4_TITLE = "标杆企业培植对象名单"
FORM5_TITLE = "标杆企业现场观摩企业目录"


def _community(b) -> str:
    region = b.enterprise.region
    return region.name if region.level == "community" else ""


def _stage_label(b) -> str:
    return Stage(b.stage_on).label if b.stage_on else ""


FORM4_COLUMNS = [
    Column("序号", lambda b: b.serial, 5),
    Column("企业名称", lambda b: b.enterprise.name, 28),
    Column("统一社会信用代码", lambda b: b.enterprise.uscc, 21),
    Column("所属社区(村)", _community, 11),
    Column("行业", lambda b: b.enterprise.get_industry_display(), 6),
    Column("企业规模", lambda b: b.enterprise.get_size_display(), 6),
    Column("主要负责人", lambda b: b.enterprise.principal_name, 8),
    Column("联系电话", lambda b: b.enterprise.principal_phone, 13),
    Column("选定日期", lambda b: b.chosen_on, 11),
    Column("培植理由", lambda b: b.reason, 30),
    Column("技术支撑机构", lambda b: b.agency.name if b.agency_id else "", 18),
    Column("培植阶段", _stage_label, 9),
    Column("备注", lambda b: "", 10),
]

FORM5_COLUMNS = [
    Column("序号", lambda b: b.serial, 5),
    Column("企业名称", lambda b: b.enterprise.name, 26),
    Column("行业", lambda b: b.enterprise.get_industry_display(), 6),
    Column("企业地址", lambda b: b.enterprise.address, 26),
    Column("联系人", lambda b: b.visit_contact or b.enterprise.safety_manager_name, 8),
    Column("联系电话", lambda b: b.visit_phone or b.enterprise.safety_manager_phone, 13),
    Column("建成日期", lambda b: b.listed_on, 11),
    Column("创建亮点", lambda b: b.highlights, 36),
    Column("观摩安排", lambda b: b.visit_arrangement, 26),
    Column("备注", lambda b: "", 8),
]


def _numbered(qs: QuerySet[Benchmark], tally: Counter):
    for serial, benchmark in enumerate(qs.iterator(chunk_size=500), start=1):
        benchmark.serial = serial
        tally[benchmark.stage_on] += 1
        yield benchmark


def form4(queryset: QuerySet[Benchmark], *, on: date, unit: str) -> OfficialForm:
    """附件4: the candidates of `queryset` (already scoped) on `on`, by date chosen."""
    rows = (
        candidates_on(queryset, on)
        .select_related("enterprise", "enterprise__region", "agency")
        .order_by("chosen_on", "enterprise__name_pinyin", "id")
    )
    tally: Counter = Counter()

    def totals() -> list[str]:
        stages = ",".join(f"{s.label}{tally[s.value]}家" for s in Stage if tally.get(s.value))
        return [f"合计:培植对象{sum(tally.values())}家。按阶段:{stages or '无'}。"]

    return OfficialForm(
        title=FORM4_TITLE,
        unit=unit,
        on=on,
        columns=FORM4_COLUMNS,
        rows=_numbered(rows, tally),
        totals=totals,
        note="注:培植阶段依次为培植对象、创建试点、运行试点、提升试点、已建成;"
        "已退出培植的企业不列入本表。",
    )


def form5(queryset: QuerySet[Benchmark], *, on: date, unit: str) -> OfficialForm:
    """附件5: the observation catalog of `queryset` (already scoped) on `on`, by date listed."""
    rows = (
        catalog_on(queryset, on)
        .select_related("enterprise", "enterprise__region", "agency")
        .order_by("listed_on", "enterprise__name_pinyin", "id")
    )
    tally: Counter = Counter()

    def totals() -> list[str]:
        return [f"合计:现场观摩企业{sum(tally.values())}家。"]

    return OfficialForm(
        title=FORM5_TITLE,
        unit=unit,
        on=on,
        columns=FORM5_COLUMNS,
        rows=_numbered(rows, tally),
        totals=totals,
        note="注:本目录收录已完成创建的标杆企业;观摩请提前与联系人预约。",
    )
