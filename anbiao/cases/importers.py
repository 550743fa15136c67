"""The progress workbook (创建进度) in: one row per dated step of an enterprise's case, used by both
the web upload and `anbiao import-progress`. Reading is the shared engine
(anbiao/core/imports/reader.py); writing is `services.case_record_event`, the function the case page
calls, so state, certificates and change log come out exactly as if an officer had entered each
step. See docs/cases.md, "Progress import".

The rules of order are not repeated here. The rows of each enterprise are replayed in date order
(file order on the same day) through the service inside one transaction; each call is its own
savepoint, so a refused step writes nothing and the table's reason is reported on its row. Once a
row of an enterprise is wrong, that enterprise's later rows are not tried: what they may do
depends on the wrong one. All or nothing by default; `skip_invalid` keeps what went through.

The check (a dry run) replays the same way in memory and writes nothing, in no transaction (on
SQLite any transaction takes the write lock); it tells the import's preview checks what it would
write (anbiao/core/imports/preview.py). Enterprises do not depend on each other, except through
certificate numbers, which are checked across the file in memory first.
"""

from collections import defaultdict
from contextvars import ContextVar
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from anbiao.accounts import permissions as perms
from anbiao.accounts.access import actor_or_none
from anbiao.cases import conf, scoring, services, steps
from anbiao.cases.choices import EventKind
from anbiao.cases.models import Certificate
from anbiao.cases.selectors import visible_enterprises
from anbiao.cases.services import history as history_services
from anbiao.cases.transitions import GRADING_KINDS
from anbiao.core.imports import preview
from anbiao.core.imports.outcome import ImportOutcome
from anbiao.core.imports.preview import PlannedChange
from anbiao.core.imports.reader import (
    CellError,
    Column,
    ImportFileError,
    ParsedRow,
    choice_parser,
    clean_text,
    header_key,
    parse_date,
    read_table,
)
from anbiao.core.lookups import among
from anbiao.enterprises.importers import parse_uscc
from anbiao.enterprises.models import Enterprise

K = EventKind
CHUNK = 500  # enterprises read at once (SQLite allows 999 parameters a query)
# The steps a progress file may carry, in lifecycle order (开始评审, 滑坡, 过期, 降级 and
# corrections are recorded in the system, or by the daily expiry job).
IMPORT_KINDS = (
    K.START,
    K.SELF_ASSESSED,
    K.APPLY,
    K.REVIEW_PASS,
    K.REVIEW_FAIL,
    K.CERTIFICATE,
    K.RENEWAL,
    K.REVOKE,
    K.ANNUAL,
)
KIND_SYNONYMS = {
    "启动": K.START,
    "开始创建": K.START,
    "创建启动": K.START,
    "自评": K.SELF_ASSESSED,
    "企业自评": K.SELF_ASSESSED,
    "自评完成": K.SELF_ASSESSED,
    "申请": K.APPLY,
    "评审申请": K.APPLY,
    "提交评审申请": K.APPLY,
    "通过评审": K.REVIEW_PASS,
    "评审合格": K.REVIEW_PASS,
    "评审未通过": K.REVIEW_FAIL,
    "未通过评审": K.REVIEW_FAIL,
    "评审不合格": K.REVIEW_FAIL,
    "发证": K.CERTIFICATE,
    "取证": K.CERTIFICATE,
    "颁发证书": K.CERTIFICATE,
    "换证": K.RENEWAL,
    "证书换发": K.RENEWAL,
    "撤证": K.REVOKE,
    "证书撤销": K.REVOKE,
}
parse_kind = choice_parser([(k, K(k).label) for k in IMPORT_KINDS], synonyms=KIND_SYNONYMS)


def _grade_table(rules: tuple) -> dict[str, str]:
    """Grade code or name, as a header key → code, for the grade rules `rules`."""
    if _grade_tables[0] is not rules:  # built again only when the rules are (tests override them)
        table = {}
        for rule in rules:
            for word in (rule.code, rule.name, rule.name.removesuffix("达标")):
                table[header_key(word)] = rule.code
        _grade_tables[:] = [rules, table]
    return _grade_tables[1]


_grade_tables: list = [None, {}]
# The grade rules as an import read them once (finding them stats the rules file: a tenth of a
# millisecond, for every grade cell of a large file otherwise).
_import_rules: ContextVar[tuple | None] = ContextVar("progress_import_grade_rules", default=None)


def parse_grade(value) -> str:
    """A grade of the deployment's grade rules, by code or name (小微达标, 小微, 三级, level3)."""
    text = clean_text(value)
    if not text:
        return ""
    rules = _import_rules.get() or conf.grade_rules()
    table = _grade_table(rules)
    key = header_key(text).removesuffix("企业")
    if key not in table:
        names = "、".join(r.name for r in rules)
        raise CellError(f"等级“{text}”不在本地等级规则中(可选:{names})")
    return table[key]


def parse_score(value) -> Decimal | None:
    """The percentage score: 86.5, "86.5分", "86.5%". Its range is the service's rule."""
    text = clean_text(value).removesuffix("%").removesuffix("分").strip()
    if not text:
        return None
    try:
        return Decimal(text)
    except InvalidOperation as exc:
        raise CellError(f"得分“{text}”不是数字,请填写百分制得分,如 86.5") from exc


COLUMNS = [
    Column(
        "uscc",
        "统一社会信用代码",
        ("信用代码", "社会信用代码", "统一信用代码", "统一社会信用代码(18位)"),
        parse=parse_uscc,
        required=True,
    ),
    Column(
        "kind",
        "事项",
        ("创建事项", "进度事项", "事件", "环节", "创建环节", "进度"),
        parse=parse_kind,
        required=True,
    ),
    Column(
        "on",
        "日期",
        ("事项日期", "发生日期", "办理日期", "时间", "日期(年月日)"),
        parse=parse_date,
        required=True,
    ),
    Column("grade", "等级", ("评定等级", "证书等级", "定级等级", "达标等级"), parse=parse_grade),
    Column("number", "证书编号", ("证书号", "证书号码", "证书编码")),
    Column(
        "expires_on",
        "有效期至",
        ("证书有效期至", "有效期", "有效期截止", "到期日期", "证书到期日期"),
        parse=parse_date,
    ),
    Column(
        "score",
        "得分",
        ("评审得分", "自评得分", "得分率", "分数", "百分制得分"),
        parse=parse_score,
    ),
    Column(
        "issuer",
        "发证单位",
        ("决定单位", "定级部门", "发证机关", "评审定级单位", "定级单位"),
    ),
    Column("note", "备注", ("说明", "原因", "情况说明", "备注/原因")),
]
TEMPLATE_EXAMPLE = {
    "uscc": "91350213MA2EXAMPLT",
    "kind": "取得证书",
    "on": "2025-06-30",
    "grade": "小微达标",
    "number": "XA-GM-2025-0123",
    "expires_on": "",
    "score": "",
    "issuer": "翔安区应急管理局",
    "note": "",
}
HELP_TEXT = (
    "每行一条创建进度,逐家企业按日期先后回放,规则与系统内“记录进度”相同。事项可选:"
    + "、".join(K(k).label for k in IMPORT_KINDS)
    + "。取得证书、换发证书须填证书编号;有效期至留空则按配置的有效期计算;得分为百分制;"
    "评审不通过、撤销证书须在备注中写明原因。评审结果、发证和撤销由定级部门决定,街道导入的记录标为"
    "“街道代录”,决定单位取“发证单位”列(留空记为“历史导入”)。同一企业、同一事项、同一日期已记录的不会重复导入。"
)


def _mark_duplicates(rows: list[ParsedRow]) -> None:
    """The same step of the same enterprise on the same day, twice in the file; and a
    certificate number given to two certificates (numbers are unique among certificates, and
    this is the one rule that spans enterprises, so the check finds it here, not in replay)."""
    first: dict[tuple, int] = {}
    numbers: dict[str, int] = {}
    for row in rows:
        key = tuple(row.values.get(k) for k in ("uscc", "kind", "on"))
        if not all(key):
            continue
        if key in first:
            row.error("kind", f"与第{first[key]}行重复(同一企业、同一事项、同一日期)")
            continue
        first[key] = row.number
        number = (row.values.get("number") or "").strip()
        if row.values["kind"] not in services.CERTIFICATE_KINDS or not number:
            continue
        if number in numbers:
            row.error("number", f"证书编号“{number}”与第{numbers[number]}行重复")
        else:
            numbers[number] = row.number


def _enterprises(rows: list[ParsedRow], user) -> dict[str, Enterprise]:
    """USCC → enterprise the user may record steps for; other rows get a 统一社会信用代码 error."""
    codes = sorted({r.values["uscc"] for r in rows if r.values.get("uscc")})
    found: dict[str, Enterprise] = {}
    allowed: set[str] = set()
    for start in range(0, len(codes), 900):
        chunk = codes[start : start + 900]
        # What the replay and the change log read of an enterprise: its id, code and name.
        enterprises = Enterprise.objects.filter(among("uscc", chunk)).only("id", "uscc", "name")
        found.update((e.uscc, e) for e in enterprises)
        if user is None:  # the system imports for every enterprise
            allowed |= found.keys() & set(chunk)
            continue
        scope = visible_enterprises(user, "manage")
        allowed |= set(scope.filter(among("uscc", chunk)).values_list("uscc", flat=True))
    for row in rows:
        code = row.values.get("uscc")
        if not code:
            continue
        if code not in found:
            row.error("uscc", "系统中没有该统一社会信用代码的企业,请先在企业台账中登记")
        elif code not in allowed:
            row.error("uscc", "该企业不在您的管辖范围内,不能导入其创建进度")
    return {code: found[code] for code in allowed}


class _Replayer:
    """What every row of one import shares: who records (and whether they are the grading
    authority), the grade names, today, and the certificate numbers already registered."""

    def __init__(self, user) -> None:
        self.user = user
        self.actor_id = getattr(actor_or_none(user), "pk", None)
        self.grading = perms.has_perm(user, perms.CASE_GRADE)
        self.names = steps.grade_names()
        self.rules = conf.grade_rules()
        self.today = timezone.localdate()
        self.taken: dict[str, set[int]] = {}

    def read_numbers(self, rows: list[ParsedRow]) -> None:
        """The registered certificates among the numbers these rows give, in one query."""
        numbers = sorted({(r.values.get("number") or "").strip() for r in rows} - {""})
        self.taken = defaultdict(set)
        for start in range(0, len(numbers), CHUNK):
            found = Certificate.objects.filter(
                among("number", numbers[start : start + CHUNK]), void=False
            ).values_list("number", "pk")
            for number, pk in found:
                self.taken[number].add(pk)

    def number_taken(self, number: str, keeping) -> bool:
        kept = keeping.pk if keeping is not None else None
        return any(pk != kept for pk in self.taken.get(number, ()))

    def plan(self, history: steps.CaseHistory, row: ParsedRow) -> steps.PlannedStep:
        """The row as `case_record_event` would record it (the same decisions on who decided
        and which review a result belongs to), checked by the same rules."""
        values = row.values
        kind = values["kind"]
        certificate = None
        if kind in services.CERTIFICATE_KINDS:
            certificate = services.CertificateData(
                number=values.get("number") or "",
                grade=values.get("grade") or "",
                expires_on=values.get("expires_on"),
                issuer=values.get("issuer") or "",
            )
        proxy_for = (values.get("issuer") or "").strip()
        if kind in GRADING_KINDS and self.grading:
            proxy_for = ""  # the grading authority records its own decision
        elif self.user is not None and kind in GRADING_KINDS and not proxy_for:
            proxy_for = "历史导入"
        review = history.review if kind in (K.REVIEW_PASS, K.REVIEW_FAIL) else None
        return history.plan(
            kind=kind,
            on=values["on"],
            today=self.today,
            names=self.names,
            number_taken=self.number_taken,
            actor_id=self.actor_id,
            note=values.get("note") or "",
            grade=values.get("grade") or "",
            score=values.get("score"),
            certificate=certificate,
            assessment=review,
            source="import",
            proxy_for=proxy_for,
        )


def _refuse(row: ParsedRow, exc: ValidationError) -> None:
    """A refused step becomes the row's errors, on the column the rule names."""
    problems = exc.message_dict if hasattr(exc, "error_dict") else {"kind": exc.messages}
    for key, messages in problems.items():
        for message in messages:
            row.error(key if key in row.labels else "kind", message)


UNRECORDED_REASON = "历史记录未注明原因"


def _assume_what_history_left_out(ordered: list[ParsedRow], rules: tuple) -> None:
    """Stations' history sheets leave out what the system asks of a new entry: a 评审通过 keeps
    its score but not its grade (the grade is on the certificate row), a 评审不通过 has no
    reason. Fill in what can be known and warn on the row; the state machine's own rules
    (order, a certificate after a passed review) are not relaxed."""
    grade_names = {rule.code: rule.name for rule in rules}
    for index, row in enumerate(ordered):
        values = row.values
        if not row.valid:
            continue
        if values.get("kind") == K.REVIEW_FAIL and not values.get("note"):
            values["note"] = UNRECORDED_REASON
            row.warn("note", f"评审不通过未写明原因,记为“{UNRECORDED_REASON}”")
        if values.get("kind") != K.REVIEW_PASS or values.get("grade"):
            continue
        rule = scoring.grade_for(values.get("score"), False, rules)
        if rule is not None:
            values["grade"] = rule.code
            row.warn("grade", f"未填写评定等级,按得分{values['score']}推定为“{rule.name}”")
            continue
        for later in ordered[index + 1 :]:
            kind = later.values.get("kind")
            if kind == K.REVIEW_PASS:
                break
            if kind in services.CERTIFICATE_KINDS and later.values.get("grade"):
                values["grade"] = later.values["grade"]
                name = grade_names.get(values["grade"], values["grade"])
                row.warn("grade", f"未填写评定等级,按第{later.number}行证书的等级记为“{name}”")
                break
        else:
            row.warn("grade", "未填写评定等级,且无法由得分或证书推定,记为“等级未记录”")


def _replay(
    rows: list[ParsedRow],
    history: steps.CaseHistory,
    replayer: _Replayer,
    outcome: ImportOutcome,
) -> list[steps.PlannedStep]:
    """One enterprise's rows in date order, in memory; after its first wrong row, the rest are
    not tried. Returns the steps to write."""
    broken_at: int | None = None
    ordered = sorted(rows, key=lambda r: (r.values.get("on") or date.min, r.number))
    _assume_what_history_left_out(ordered, replayer.rules)
    planned = []
    for row in ordered:
        if broken_at is not None:
            row.error("kind", f"同一企业的第{broken_at}行有误,该企业此后的记录未予处理")
        elif not row.valid:
            broken_at = row.number
        elif history.has(row.values["kind"], row.values["on"]):
            outcome.unchanged += 1
        else:
            try:
                step = replayer.plan(history, row)
            except ValidationError as exc:
                _refuse(row, exc)
                broken_at = row.number
                continue
            history.apply(step)
            planned.append(step)
            outcome.created += 1
    return planned


def _planned(history: steps.CaseHistory, planned: list[steps.PlannedStep]) -> PlannedChange:
    """What replaying these steps would record about the enterprise (the history holds its
    certificates as they would be: new ones added, ended ones ended)."""
    return PlannedChange(
        history.case.enterprise_id,
        events=[(step.event.kind, step.event.on) for step in planned],
        certificates=[
            (c.pk, c.issued_on, c.expires_on, c.ended_on, c.void) for c in history.certificates
        ],
    )


def _write(planned: list, user) -> None:
    """Batches of about `ANBIAO_IMPORT_WRITE_BATCH_ROWS` steps (an enterprise's steps never
    split), each its own transaction, so SQLite's write lock is held briefly."""
    size = settings.ANBIAO_IMPORT_WRITE_BATCH_ROWS
    batch: list = []
    rows = 0
    for item in planned:
        batch.append(item)
        rows += len(item[1])
        if rows >= size:
            with transaction.atomic():
                history_services.write_planned(batch, actor=user)
            batch, rows = [], 0
    if batch:
        with transaction.atomic():
            history_services.write_planned(batch, actor=user)


def import_progress(
    path: str | Path | bytes,
    *,
    user,
    filename: str | None = None,
    dry_run: bool = False,
    skip_invalid: bool = False,
    effective_on: date | None = None,
    target_id: int | None = None,
    mapping: dict | None = None,
    progress=None,
) -> ImportOutcome:
    """Read, check and (unless a dry run) record a progress file, all or nothing by default.

    `effective_on` and `target_id` belong to the shared runner signature and are unused: every
    row carries its own date. Raises ImportFileError when the file itself cannot be read.
    """
    token = _import_rules.set(conf.grade_rules())
    try:
        table = read_table(path, COLUMNS, filename=filename, mapping=mapping, progress=progress)
    finally:
        _import_rules.reset(token)
    _mark_duplicates(table.rows)
    enterprises = _enterprises(table.rows, user)
    by_enterprise: dict[str, list[ParsedRow]] = defaultdict(list)
    for row in table.rows:
        if row.values.get("uscc") in enterprises:
            by_enterprise[row.values["uscc"]].append(row)
    outcome = ImportOutcome.for_table(table)
    replayer = _Replayer(user)
    planned = []
    codes = list(by_enterprise)
    for start in range(0, len(codes), CHUNK):  # replayed in memory, a few queries a chunk
        chunk = codes[start : start + CHUNK]
        histories = history_services.load_histories([enterprises[c] for c in chunk])
        replayer.read_numbers([row for code in chunk for row in by_enterprise[code]])
        for code in chunk:
            history = histories[enterprises[code].pk]
            planned.append((history, _replay(by_enterprise[code], history, replayer, outcome)))
        if dry_run and preview.observed():
            preview.report([_planned(h, steps) for h, steps in planned[-len(chunk) :] if steps])
    outcome.invalid = sum(1 for row in table.rows if not row.valid)
    refused = bool(outcome.invalid) and not skip_invalid
    if refused:
        outcome.created = outcome.unchanged = 0  # nothing is written, as the ledger reports it
    elif not dry_run:
        _write(planned, user)
        outcome.written = True
    outcome.errors = table.errors
    return outcome


__all__ = [
    "COLUMNS",
    "HELP_TEXT",
    "IMPORT_KINDS",
    "ImportFileError",
    "ImportOutcome",
    "TEMPLATE_EXAMPLE",
    "import_progress",
]
