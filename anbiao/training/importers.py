"""The sign-in sheet (签到表) of a training session, imported through the shared reader
(anbiao/core/imports/reader.py) with the ledger import's rules: every problem reported with the
Excel row number and column, and nothing written unless every row is right (or the user chose
to skip wrong rows). See docs/agencies-benchmarks-training.md for the format."""

from django.db import transaction

from anbiao.core import uscc as uscc_rules
from anbiao.core.imports import preview
from anbiao.core.imports.outcome import ImportOutcome
from anbiao.core.imports.preview import PlannedChange
from anbiao.core.imports.reader import Column, RowError, choice_parser, clean_text, read_table
from anbiao.enterprises.importers import parse_phone
from anbiao.enterprises.models import Enterprise
from anbiao.training import services
from anbiao.training.models import Attendance, Session, TraineeRole

ROLE = choice_parser(
    TraineeRole.choices,
    synonyms={
        "领导": "leader",
        "街道领导": "leader",
        "监管": "supervisor",
        "安监站": "supervisor",
        "安监员": "supervisor",
        "专家": "expert",
        "主要负责人": "principal",
        "企业负责人": "principal",
        "负责人": "principal",
        "法定代表人": "principal",
        "安全管理员": "safety_manager",
        "安全管理人员": "safety_manager",
        "安全员": "safety_manager",
        "安全生产管理人员": "safety_manager",
    },
)

COLUMNS = [
    Column("name", "姓名", ("参训人员", "参会人员", "人员姓名"), required=True),
    Column("role", "岗位类别", ("五项岗位", "人员类别", "岗位", "类别"), parse=ROLE, required=True),
    Column("enterprise", "所在企业", ("企业名称", "单位名称(企业)", "企业")),
    Column("uscc", "统一社会信用代码", ("信用代码", "企业信用代码")),
    Column("unit", "工作单位", ("单位", "所在单位")),
    Column("position", "职务", ("职位",)),
    Column("phone", "联系电话", ("电话", "手机", "手机号"), parse=parse_phone),
]
EXAMPLE = {
    "name": "陈志明",
    "role": "企业主要负责人",
    "enterprise": "厦门示例机械有限公司",
    "uscc": "91350213MA2EXAMPLT",
    "unit": "",
    "position": "总经理",
    "phone": "13800000000",
}
HELP = (
    "每行一人。岗位类别填五项岗位之一:领导干部、监管人员、安全专家、企业主要负责人、安全生产管理员。"
    "企业主要负责人和安全生产管理员须填写所在企业(名称或统一社会信用代码),企业须已登记且在本次培训的"
    "组织区域内;其他人员填写工作单位。同一人(姓名+企业或单位)在一张签到表中只能出现一次。"
)


class EnterpriseFinder:
    """Finds the enterprise of a row by USCC (preferred) or exact name, within the session's
    region and the importing user's scope; one query for the whole file."""

    def __init__(self, session: Session, user, rows):
        scope = Enterprise.objects.filter(region__path__startswith=session.region.path)
        if user is not None:
            scope = scope.filter(pk__in=Enterprise.objects.restrict(user, "view").values("pk"))
        codes = {uscc_rules.normalize(r.values.get("uscc")) for r in rows if r.values.get("uscc")}
        names = {r.values["enterprise"] for r in rows if r.values.get("enterprise")}
        found = (
            list(scope.filter(uscc__in=codes) | scope.filter(name__in=names))
            if codes or names
            else []
        )
        self.by_code = {e.uscc: e for e in found}
        self.by_name: dict[str, list[Enterprise]] = {}
        for e in found:
            self.by_name.setdefault(e.name, []).append(e)
        self.region = session.region

    def find(self, row):
        code = uscc_rules.normalize(row.values.get("uscc"))
        name = row.values.get("enterprise") or ""
        if code:
            enterprise = self.by_code.get(code)
            if enterprise is None:
                row.error(
                    "uscc",
                    f"未找到统一社会信用代码为“{code}”的企业(须为{self.region}已登记的企业)",
                )
            elif name and name != enterprise.name:
                row.error(
                    "enterprise", f"企业名称与信用代码不符(该代码登记的是“{enterprise.name}”)"
                )
            return enterprise
        if name:
            matches = self.by_name.get(name, [])
            if not matches:
                row.error("enterprise", f"未找到企业“{name}”(须为{self.region}已登记的企业)")
                return None
            if len(matches) > 1:
                row.error("enterprise", f"有多家企业名为“{name}”,请填写统一社会信用代码")
                return None
            return matches[0]
        return None


def import_sign_in(
    path,
    *,
    user,
    filename=None,
    dry_run=False,
    skip_invalid=False,
    effective_on=None,
    target_id=None,
    mapping: dict | None = None,
    progress=None,
) -> ImportOutcome:
    """Add the people of a sign-in sheet to session `target_id`, all or nothing by default."""
    session = Session.objects.restrict(user, "view").filter(pk=target_id).first()
    table = read_table(path, COLUMNS, filename=filename, mapping=mapping, progress=progress)
    outcome = ImportOutcome.for_table(table)
    if session is None:
        outcome.errors = [RowError(0, "", "请从培训详情页面导入签到表(未指定或无权访问该培训)")]
        outcome.invalid = outcome.total
        return outcome
    finder = EnterpriseFinder(session, user, table.rows)
    existing = set(session.attendances.values_list("person_key", flat=True))
    first_seen: dict[str, int] = {}
    people = []
    for row in table.rows:
        values = row.values
        enterprise = finder.find(row)
        name, unit = clean_text(values.get("name")), values.get("unit") or ""
        if values.get("role"):
            problems = services.check_attendee(
                session, name=name, role=values["role"], enterprise=enterprise, unit=unit
            )
            for key, message in problems.items():
                if key == "enterprise" and (values.get("uscc") and not values.get("enterprise")):
                    key = "uscc"
                if not (key == "enterprise" and enterprise is None and row.errors):
                    row.error(key, message)
        if name:
            key = Attendance.key_for(name, enterprise.pk if enterprise else None, unit)
            if key in first_seen:
                row.error("name", f"“{name}”与第{first_seen[key]}行为同一人,重复签到")
            elif key in existing:
                row.error("name", f"“{name}”已在本次培训的签到名单中")
            else:
                first_seen[key] = row.number
        if row.valid:
            people.append(
                {
                    "name": name,
                    "role": values["role"],
                    "enterprise": enterprise,
                    "unit": unit,
                    "position": values.get("position") or "",
                    "phone": values.get("phone") or "",
                }
            )
    outcome.errors = table.errors
    outcome.invalid = len({e.row for e in outcome.errors})
    if outcome.invalid and not skip_invalid:
        return outcome
    if dry_run and preview.observed():
        attended: dict[int, list] = {}
        for person in people:
            if person["enterprise"] is not None:
                attended.setdefault(person["enterprise"].pk, []).append(
                    (person["role"], session.held_on)
                )
        preview.report([PlannedChange(pk, attended=found) for pk, found in attended.items()])
    if dry_run:
        # In memory, by the service's rules: no transaction (on SQLite it takes the write lock).
        outcome.created = services.attendance_bulk_check(actor=user, session=session, people=people)
        return outcome
    with transaction.atomic():
        outcome.created = services.attendance_bulk_add(actor=user, session=session, people=people)
        outcome.written = True
    return outcome
