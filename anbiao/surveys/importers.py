"""The survey workbook: exported pre-filled for a round, filled in by the surveyors, imported back.
Rows are matched by USCC; a USCC not in the round is a newly found enterprise."""

from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction

from anbiao.core import uscc as uscc_rules
from anbiao.core.excel import Column as ExportColumn
from anbiao.core.imports.outcome import ImportOutcome
from anbiao.core.imports.reader import (
    CellError,
    Column,
    RowError,
    choice_parser,
    mark_duplicates,
    parse_bool,
    parse_date,
    parse_int,
    read_table,
)
from anbiao.enterprises.choices import Industry, OperatingStatus, Size
from anbiao.enterprises.importers import RegionResolver, parse_uscc
from anbiao.surveys import services
from anbiao.surveys.models import SurveyFinding, SurveyRound

STATUS = choice_parser(
    OperatingStatus.choices,
    synonyms={
        "正常": "operating",
        "是": "operating",
        "生产": "operating",
        "停业": "suspended",
        "已注销": "deregistered",
        "已迁出": "moved_out",
    },
)
COLUMNS = [
    Column("uscc", "统一社会信用代码", ("信用代码",), parse=parse_uscc, required=True),
    Column("name", "企业名称", ("单位名称",), required=True),
    Column("community", "所属社区", ("社区", "社区/村")),
    Column("industry", "行业", (), parse=choice_parser(Industry.choices, suffixes=("行业",))),
    Column("status", "摸排:经营状态", ("经营状态(摸排)", "摸排经营状态"), parse=STATUS),
    Column(
        "size",
        "摸排:企业规模",
        ("企业规模(摸排)", "摸排企业规模"),
        parse=choice_parser(Size.choices, suffixes=("企业",)),
    ),
    Column("employees", "摸排:从业人员数", ("从业人员数(摸排)", "摸排从业人员数"), parse=parse_int),
    Column(
        "eligible",
        "摸排:是否符合创建条件",
        ("是否符合创建条件(摸排)", "摸排是否符合创建条件"),
        parse=parse_bool,
    ),
    Column("eligibility_reason", "摸排:不符合原因", ("不符合原因(摸排)", "不符合原因")),
    Column("surveyor", "摸排人", ("调查人",)),
    Column("surveyed_on", "摸排日期", ("调查日期",), parse=parse_date),
    Column("note", "备注", ("说明",)),
]
EXAMPLE = {
    "uscc": "91350213MA2EXAMPLT",
    "name": "厦门示例机械有限公司",
    "industry": "机械",
    "status": "在营",
    "size": "小型",
    "employees": 45,
    "eligible": "是",
    "surveyor": "林志明",
    "surveyed_on": "2025-08-20",
}
FOUND = (
    "status",
    "size",
    "employees",
    "eligible",
    "eligibility_reason",
    "surveyor",
    "surveyed_on",
    "note",
)

EXPORT_COLUMNS = [
    ExportColumn("序号", lambda f: f.serial, 5),
    ExportColumn("统一社会信用代码", lambda f: f.display_uscc, 21),
    ExportColumn("企业名称", lambda f: f.display_name, 28),
    ExportColumn("所属社区", lambda f: f.enterprise.region.name if f.enterprise_id else "", 10),
    ExportColumn(
        "行业",
        lambda f: (
            f.enterprise.get_industry_display() if f.enterprise_id else f.get_new_industry_display()
        ),
        6,
    ),
    ExportColumn(
        "登记规模", lambda f: f.enterprise.get_size_display() if f.enterprise_id else "", 6
    ),
    ExportColumn("登记从业人数", lambda f: f.enterprise.employees if f.enterprise_id else None, 7),
    ExportColumn(
        "登记创建条件",
        lambda f: (
            {True: "符合", False: "不符合"}.get(f.enterprise.eligible, "待确认")
            if f.enterprise_id
            else ""
        ),
        8,
    ),
    ExportColumn("摸排:经营状态", lambda f: f.get_status_display() if f.status else "", 9),
    ExportColumn("摸排:企业规模", lambda f: f.get_size_display() if f.size else "", 9),
    ExportColumn("摸排:从业人员数", lambda f: f.employees, 9),
    ExportColumn(
        "摸排:是否符合创建条件", lambda f: {True: "是", False: "否"}.get(f.eligible, ""), 10
    ),
    ExportColumn("摸排:不符合原因", lambda f: f.eligibility_reason, 16),
    ExportColumn("摸排人", lambda f: f.surveyor, 8),
    ExportColumn("摸排日期", lambda f: f.surveyed_on, 11),
    ExportColumn("备注", lambda f: f.note, 16),
]


def export_rows(survey_round: SurveyRound):
    findings = survey_round.findings.select_related("enterprise", "enterprise__region")
    for serial, finding in enumerate(findings.iterator(chunk_size=2000), start=1):
        finding.serial = serial
        yield finding


@dataclass
class _Plan:
    finding: SurveyFinding | None
    row_number: int
    values: dict


def import_findings(
    path,
    *,
    user,
    filename=None,
    dry_run=False,
    skip_invalid=False,
    effective_on: date | None = None,
    target_id: int | None = None,
    mapping: dict | None = None,
    progress=None,
) -> ImportOutcome:
    """Record the findings of a filled-in survey workbook into round `target_id`."""
    survey_round = SurveyRound.objects.restrict(user, "view").filter(pk=target_id).first()
    table = read_table(path, COLUMNS, filename=filename, mapping=mapping, progress=progress)
    outcome = ImportOutcome.for_table(table)
    if survey_round is None:
        outcome.errors = [_file_error("请从摸排轮次页面导入(未指定或无权访问该轮次)")]
        outcome.invalid = outcome.total
        return outcome
    mark_duplicates(table.rows, "uscc", "统一社会信用代码")
    findings = {f.display_uscc: f for f in survey_round.findings.select_related("enterprise")}
    resolver = RegionResolver(user)
    plans = []
    for row in table.rows:
        finding = findings.get(row.values.get("uscc"))
        if finding is None and row.valid:
            if not row.values.get("industry"):
                row.error("industry", "新发现的企业须填写行业")
            if row.values.get("community"):
                row.values["subdistrict"] = survey_round.region.code
            row.values["region"] = (
                resolver.resolve(row) if row.values.get("community") else survey_round.region
            )
        if not any(row.values.get(k) not in (None, "") for k in FOUND):
            if finding is not None:
                continue  # not surveyed yet: nothing to record
            row.error("status", "新发现的企业须填写摸排结果")
        plans.append(_Plan(finding, row.number, row.values))
    outcome.errors = table.errors
    outcome.invalid = len({e.row for e in outcome.errors})
    if outcome.invalid and not skip_invalid:
        return outcome
    bad_rows = {e.row for e in outcome.errors}

    def attempt(plan: _Plan, registered: set[str] | None = None) -> None:
        # Blank cells mean "not filled in", never "clear what was recorded".
        found = {k: plan.values[k] for k in FOUND if plan.values.get(k) not in (None, "")}
        try:
            if plan.finding is None:
                data = {
                    "new_name": plan.values["name"],
                    "new_uscc": plan.values["uscc"],
                    "new_industry": plan.values["industry"],
                    "new_region": plan.values["region"],
                    **found,
                }
                if dry_run:
                    services.new_finding(
                        survey_round=survey_round, data=data, registered=registered
                    )
                else:
                    with transaction.atomic():
                        services.survey_finding_add_new(
                            actor=user, survey_round=survey_round, data=data
                        )
                outcome.created += 1
            else:
                before = [getattr(plan.finding, k) for k in FOUND]
                if dry_run:
                    services.prepare_finding(plan.finding, found)
                else:
                    with transaction.atomic():
                        services.survey_finding_record(actor=user, finding=plan.finding, data=found)
                after = [getattr(plan.finding, k) for k in FOUND]
                if before == after:
                    outcome.unchanged += 1
                else:
                    outcome.updated += 1
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                outcome.errors.append(_row_error(plan.row_number, field, messages))
            outcome.invalid += 1

    to_try = [plan for plan in plans if plan.row_number not in bad_rows]
    if dry_run and to_try:
        # The check validates each row as the services would, in memory: the same messages,
        # no write and no transaction (on SQLite any transaction takes the write lock). The
        # USCCs of new enterprises are looked up once for the file; a USCC twice in the file
        # is caught above.
        services.check_can_record(user, survey_round)
        new_codes = []
        for plan in to_try:
            if plan.finding is None:
                try:
                    new_codes.append(uscc_rules.validate(plan.values["uscc"]))
                except uscc_rules.USCCError:
                    pass  # reported by new_finding, row by row
        registered = services.registered_usccs(survey_round, new_codes)
        for plan in to_try:
            attempt(plan, registered)
    elif not dry_run:
        with transaction.atomic():
            for plan in to_try:
                attempt(plan)
            if outcome.invalid and not skip_invalid:
                transaction.set_rollback(True)
            else:
                outcome.written = True
    if outcome.invalid and not skip_invalid:
        outcome.created = outcome.updated = outcome.unchanged = 0
    return outcome


def _labels() -> dict[str, str]:
    labels = {c.key: c.label for c in COLUMNS}
    labels.update(
        {
            "new_uscc": "统一社会信用代码",
            "new_name": "企业名称",
            "new_industry": "行业",
            "new_region": "所属社区",
        }
    )
    return labels


def _row_error(row: int, field: str, messages: list[str]):

    return RowError(row, _labels().get(field, ""), ";".join(messages))


def _file_error(message: str):

    return RowError(0, "", message)


__all__ = ["COLUMNS", "EXAMPLE", "EXPORT_COLUMNS", "CellError", "export_rows", "import_findings"]
