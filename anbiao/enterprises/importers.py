"""The ledger workbook (应创台账) in: columns, row rules, and the import run used by both the web
upload and `anbiao import-ledger`. Reading is the shared engine (anbiao/core/imports/reader.py);
writing is `services.ledger_upsert`. See docs/import-ledger.md for the format."""

import pickle
import re
import tempfile
from collections.abc import Iterator
from datetime import date
from itertools import islice
from pathlib import Path
from sys import maxsize

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction

from anbiao.accounts.models import Region
from anbiao.accounts.scope import regions_for
from anbiao.accounts.services import community_create
from anbiao.core import uscc as uscc_rules
from anbiao.core.bulk import old_objects_frozen
from anbiao.core.imports.outcome import ImportOutcome
from anbiao.core.imports.reader import (
    CellError,
    Column,
    ImportFileError,
    ParsedRow,
    SeenCodes,
    Table,
    choice_parser,
    clean_text,
    mark_duplicates,
    open_table,
    parse_bool,
    parse_date,
    parse_decimal,
    parse_int,
)
from anbiao.core.lookups import among
from anbiao.enterprises.choices import Industry, OperatingStatus, Size
from anbiao.enterprises.models import Enterprise, RiskTag
from anbiao.enterprises.services import ledger_upsert
from anbiao.enterprises.sizing import classify_size

USCC_CHARACTERS = frozenset(uscc_rules.ALPHABET)
TAG_SEPARATORS = re.compile(r"[、,,;;/\s]+")


def parse_uscc(value) -> str:
    # Most cells hold a well-formed code: checked here in one pass; anything else goes through
    # the full rules, which name what is wrong.
    if (
        value.__class__ is str
        and len(value) == 18
        and USCC_CHARACTERS.issuperset(value)
        and value[0] in uscc_rules.REGISTRATION_AUTHORITIES
        and value[2:8].isdigit()
        and uscc_rules.check_character(value[:17]) == value[17]
    ):
        return value
    try:
        return uscc_rules.validate(value)
    except uscc_rules.USCCError as exc:
        raise CellError(str(exc)) from exc


PHONE_NOISE = re.compile(r"[\s-]")
PHONE = re.compile(r"\+?[0-9()()转]{5,20}")


def parse_phone(value) -> str:
    text = PHONE_NOISE.sub("", clean_text(value)) if value not in (None, "") else ""
    if text and not PHONE.fullmatch(text):
        raise CellError(f"“{clean_text(value)}”不像电话号码")
    return text


SIZE_LETTERS = {"大": Size.LARGE, "中": Size.MEDIUM, "小": Size.SMALL, "微": Size.MICRO}
COLUMNS = [
    Column("name", "企业名称", ("单位名称", "企业(单位)名称", "企业全称", "名称"), required=True),
    Column(
        "uscc",
        "统一社会信用代码",
        ("信用代码", "社会信用代码", "统一信用代码", "统一社会信用代码(18位)"),
        parse=parse_uscc,
        required=True,
    ),
    Column("subdistrict", "所属镇街", ("镇街", "街道", "所属街道", "镇(街)", "乡镇街道", "乡镇")),
    Column("community", "所属社区", ("社区", "社区/村", "村(社区)", "所属社区(村)", "村居")),
    Column("address", "生产经营地址", ("地址", "经营地址", "企业地址", "生产地址", "详细地址")),
    Column(
        "industry",
        "行业",
        ("所属行业", "行业类别", "行业分类", "工贸行业"),
        parse=choice_parser(Industry.choices, suffixes=("行业", "业")),
    ),
    Column("industry_code", "国民经济行业代码", ("行业代码", "国标行业代码")),
    Column(
        "size",
        "企业规模",
        ("规模", "企业类型", "企业规模类型"),
        # A header such as 企业规模(大/中/小/微) asks for one character.
        parse=choice_parser(Size.choices, synonyms=SIZE_LETTERS, suffixes=("企业",)),
        decides_scope=True,
    ),
    Column(
        "employees",
        "从业人员数",
        ("从业人数", "从业人员", "职工人数", "员工人数", "从业人员(人)"),
        parse=parse_int,
    ),
    Column(
        "revenue",
        "营业收入(万元)",
        ("营业收入", "年营业收入(万元)", "营收(万元)", "年营业收入"),
        parse=parse_decimal,
    ),
    Column(
        "in_torch_zone",
        "是否位于火炬高新区",
        ("火炬高新区", "是否火炬高新区", "位于火炬高新区", "火炬区", "火炬园区", "高新区"),
        parse=parse_bool,
        decides_scope=True,
    ),
    Column(
        "status",
        "经营状态",
        ("状态", "生产经营状态"),
        parse=choice_parser(
            OperatingStatus.choices,
            synonyms={
                "正常": "operating",
                "生产": "operating",
                "营业": "operating",
                "停业": "suspended",
                "已注销": "deregistered",
                "已迁出": "moved_out",
                "搬迁": "moved_out",
            },
        ),
        decides_scope=True,
    ),
    Column("status_since", "状态日期", ("状态变更日期", "停产日期", "注销日期"), parse=parse_date),
    Column(
        "ledger_since",
        "纳入台账日期",
        ("纳入日期", "入账日期", "纳入应创台账日期"),
        parse=parse_date,
    ),
    Column(
        "eligible",
        "是否符合创建条件",
        ("符合创建条件", "是否符合条件", "是否具备创建条件", "具备创建条件"),
        parse=parse_bool,
        decides_scope=True,
    ),
    Column("eligibility_reason", "不符合原因", ("不符合创建条件原因", "原因", "不具备条件原因")),
    Column("principal_name", "主要负责人", ("负责人", "法定代表人", "企业负责人")),
    Column(
        "principal_phone",
        "主要负责人电话",
        ("负责人电话", "负责人联系电话", "联系电话"),
        parse=parse_phone,
    ),
    Column(
        "safety_manager_name",
        "安全管理人员",
        ("安全管理员", "安全生产管理员", "安全员", "安全负责人"),
    ),
    Column(
        "safety_manager_phone",
        "安全管理人员电话",
        ("安全管理员电话", "安全员电话", "安全管理人员联系电话"),
        parse=parse_phone,
    ),
    Column("risk_tags", "重点风险", ("风险类别", "涉及风险", "重点风险类型")),
]
TEMPLATE_EXAMPLE = {
    "name": "厦门示例机械有限公司",
    "uscc": "91350213MA2EXAMPLT",
    "subdistrict": "民安街道",
    "community": "",
    "address": "厦门市翔安区民安街道翔安北路100号",
    "industry": "机械",
    "industry_code": "C3311",
    "size": "小型",
    "employees": 45,
    "revenue": 860,
    "in_torch_zone": "否",
    "status": "在营",
    "status_since": "",
    "ledger_since": "2025-02-28",
    "eligible": "是",
    "eligibility_reason": "",
    "principal_name": "陈志明",
    "principal_phone": "13800000000",
    "safety_manager_name": "林建华",
    "safety_manager_phone": "13900000000",
    "risk_tags": "粉尘涉爆、有限空间作业",
}
MAX_LENGTHS = {
    f.name: f.max_length
    for f in Enterprise._meta.get_fields()
    if getattr(f, "max_length", None) and not f.is_relation
}


class RegionResolver:
    """Turns 镇街/社区 cells into a Region inside the importing user's scope.

    With `may_add_communities`, a station officer's file may name communities that are not yet
    in the tree under the officer's own 镇街: they are collected in `planned` (name → 镇街) and
    the row's `new_community` names the one it needs; the import creates them on confirmation.
    """

    def __init__(self, user, *, may_add_communities: bool = False):
        regions = list(regions_for(user)) if user is not None else list(Region.objects.all())
        self.by_key: dict[str, list[Region]] = {}
        for region in regions:
            for key in {region.code, region.name, region.name.removesuffix("社区")}:
                self.by_key.setdefault(key, []).append(region)
        self.default = (
            user.region
            if user is not None and user.region_id and user.region.level == "subdistrict"
            else None
        )
        self.codes = {r.code for r in regions}
        self.may_add = may_add_communities and self.default is not None
        self.planned: dict[str, Region] = {}

    def resolve(self, row: ParsedRow) -> Region | None:
        sub_text, com_text = row.values.get("subdistrict") or "", row.values.get("community") or ""
        subdistrict = self.default
        if sub_text:
            matches = [r for r in self.by_key.get(sub_text, []) if r.level != "community"]
            if not matches:
                row.error("subdistrict", f"“{sub_text}”不是您管辖范围内的镇街")
                return None
            subdistrict = matches[0]
        if com_text:
            matches = [
                r
                for r in self.by_key.get(com_text, [])
                + self.by_key.get(com_text.removesuffix("社区"), [])
                if r.level == "community" and (subdistrict is None or r.parent_id == subdistrict.pk)
            ]
            if not matches and self.may_add and subdistrict == self.default:
                self.planned.setdefault(com_text, subdistrict)
                row.values["new_community"] = com_text
                return subdistrict  # until the community exists (created on confirmation)
            if not matches:
                where = f"{subdistrict.name}下" if subdistrict else ""
                row.error("community", f"{where}没有名为“{com_text}”的社区/村")
                return None
            return matches[0]
        if subdistrict is None:
            row.error("subdistrict", "请填写所属镇街")
        return subdistrict


class LedgerValidator:
    """Row rules beyond single cells: region in scope, tags known, size derivable, reasons,
    no USCC twice in the file. Rows are checked in chunks (`check`), in file order; between
    chunks it keeps only what rules across rows need: the USCCs seen (and their rows), the
    region resolver, whose `planned` lists the communities the file would add, and the tags."""

    def __init__(self, user):
        self.user = user
        self.resolver = RegionResolver(user, may_add_communities=True)
        self.tags = {t.name: t for t in RiskTag.objects.all()}
        self.first_seen = SeenCodes()

    def check(self, rows: list[ParsedRow]) -> None:
        """Add each row's errors; set `region` and `risk_tags` (and `size` when derivable)."""
        user, tags = self.user, self.tags
        mark_duplicates(rows, "uscc", "统一社会信用代码", self.first_seen)
        known: set[str] = set()
        existing_out_of_scope: set[str] = set()
        codes = [r.values.get("uscc") for r in rows if r.values.get("uscc")]
        for start in range(0, len(codes), 900):
            chunk = codes[start : start + 900]
            codes_found = Enterprise.objects.filter(among("uscc", chunk)).values_list("uscc")
            found = {code for (code,) in codes_found}
            known |= found
            if user is not None and found:
                visible = Enterprise.objects.restrict(user, "view").filter(among("uscc", found))
                existing_out_of_scope |= found - set(visible.values_list("uscc", flat=True))
        for row in rows:
            values = row.values
            for key, value in values.items():
                if isinstance(value, str) and len(value) > MAX_LENGTHS.get(key, maxsize):
                    row.error(key, f"内容过长(最多{MAX_LENGTHS[key]}个字)")
            if values.get("uscc") in existing_out_of_scope:
                row.error("uscc", "该统一社会信用代码已登记在您管辖范围以外,不能在此导入")
            values["region"] = self.resolver.resolve(row)
            text = values.get("risk_tags")
            names = [n for n in TAG_SEPARATORS.split(text) if n] if text else []
            unknown = [n for n in names if n not in tags]
            if unknown:
                row.error(
                    "risk_tags", f"未知的重点风险“{'、'.join(unknown)}”(可选:{'、'.join(tags)})"
                )
            values["risk_tags"] = (
                [tags[n] for n in names if n in tags] if "risk_tags" in row.raw else None
            )
            if not values.get("size"):
                computed = classify_size(
                    values.get("industry"),
                    values.get("employees"),
                    values.get("revenue"),
                    values.get("industry_code") or "",
                )
                if computed:
                    values["size"] = computed
                elif values.get("uscc") and values["uscc"] not in known:
                    row.error("size", "企业规模为空,且无法按从业人员数和营业收入测算")
            if values.get("uscc") and values["uscc"] not in known and not values.get("industry"):
                row.error("industry", "新登记的企业须填写行业")
            if values.get("eligible") is False and not values.get("eligibility_reason"):
                row.error("eligibility_reason", "不符合创建条件时须填写原因")


def validate_rows(rows: list[ParsedRow], *, user) -> RegionResolver:
    """Check all `rows` at once (see LedgerValidator); returns the region resolver."""
    validator = LedgerValidator(user)
    validator.check(rows)
    return validator.resolver


def checked_chunks(
    path, *, user, filename, mapping, progress=None
) -> tuple[Table, LedgerValidator, Iterator[list[ParsedRow]]]:
    """The file's header, its validator and its rows, read and checked a chunk of
    `ANBIAO_IMPORT_WRITE_BATCH_ROWS` at a time: memory holds one chunk, not the file."""
    table, rows = open_table(path, COLUMNS, filename=filename, mapping=mapping, progress=progress)
    validator = LedgerValidator(user)
    size = settings.ANBIAO_IMPORT_WRITE_BATCH_ROWS

    def chunks() -> Iterator[list[ParsedRow]]:
        while chunk := list(islice(rows, size)):
            validator.check(chunk)
            yield chunk

    return table, validator, chunks()


@old_objects_frozen()
def import_ledger(
    path: str | Path | bytes,
    *,
    user,
    filename: str | None = None,
    dry_run: bool = False,
    skip_invalid: bool = False,
    effective_on: date,
    target_id: int | None = None,
    mapping: dict | None = None,
    progress=None,
) -> ImportOutcome:
    """Read, validate and (unless a dry run) write a ledger file, all or nothing by default.

    A dry run reads only. On a real run the communities the file names under the officer's own
    镇街 are created first (they are listed in the check as 将新增社区), then the rows are
    written in batches of `ANBIAO_IMPORT_WRITE_BATCH_ROWS`, each one transaction. Raises
    ImportFileError when the file cannot be read.

    The file is read and checked a batch at a time; a real run keeps each checked batch in a
    temporary file until the whole file has been checked (nothing is written while a row is
    refused), then writes them batch by batch — memory holds one batch and the refused rows'
    errors, never the whole file (a province's ledger has up to 1M rows).
    """
    table, validator, chunks = checked_chunks(
        path, user=user, filename=filename, mapping=mapping, progress=progress
    )
    outcome = ImportOutcome(
        ignored_columns=list(table.ignored), missing_columns=list(table.missing_scope)
    )
    needed: set[str] = set()
    counts = [0, 0, 0]
    denied: PermissionDenied | None = None
    with tempfile.TemporaryFile(prefix="anbiao-ledger-") as spill:
        for chunk in chunks:
            valid = [row for row in chunk if row.valid]
            outcome.total += len(chunk)
            outcome.invalid += len(chunk) - len(valid)
            outcome.errors += [error for row in chunk for error in row.errors]
            outcome.file_warnings += [warning for row in chunk for warning in row.warnings]
            needed |= {r.values["new_community"] for r in valid if r.values.get("new_community")}
            if not dry_run:
                pickle.dump([_portable(row.values) for row in valid], spill)
            elif denied is None:
                try:
                    found = ledger_upsert(
                        actor=user,
                        rows=[r.values for r in valid],
                        effective_on=effective_on,
                        dry_run=True,
                    )
                except PermissionDenied as exc:
                    denied = exc
                else:
                    counts = [a + b for a, b in zip(counts, found, strict=True)]
        resolver = validator.resolver
        outcome.new_communities = [name for name in resolver.planned if name in needed]
        if outcome.invalid and not skip_invalid:
            return outcome
        if dry_run:
            if denied is not None:
                raise denied
            outcome.created, outcome.updated, outcome.unchanged = counts
            return outcome
        with transaction.atomic():
            created = {
                name: community_create(
                    actor=user, subdistrict=resolver.planned[name], name=name, note="台账导入时新增"
                )
                for name in outcome.new_communities
            }
        regions = {r.pk: r for found in resolver.by_key.values() for r in found}
        tags = {tag.pk: tag for tag in validator.tags.values()}
        # Written in batches, each its own transaction: SQLite has one writer at a time, and a
        # province's ledger written in one transaction held the write lock longer than other
        # users' logins wait (docs/import-ledger.md, "Other users while a file is checked or
        # imported"). The import is keyed by USCC, so one stopped between two batches is
        # completed by running it again: what was written is found unchanged, nothing is
        # written twice.
        spill.seek(0)
        done = 0
        for batch in _spilled(spill):
            rows = [_restored(values, regions, tags, created) for values in batch]
            with transaction.atomic():
                counts = ledger_upsert(actor=user, rows=rows, effective_on=effective_on)
            outcome.created += counts[0]
            outcome.updated += counts[1]
            outcome.unchanged += counts[2]
            done += len(rows)
            if progress is not None:
                progress(done)
    outcome.written = True
    return outcome


# The checked rows of a real run wait in a temporary file until the whole file has been
# checked, a batch per pickle: memory holds one batch, and the file is not read twice.
# Regions and tags travel as their primary keys.


def _portable(values: dict) -> dict:
    region, tags = values.get("region"), values.get("risk_tags")
    return {
        **values,
        "region": region.pk if region is not None else None,
        "risk_tags": [tag.pk for tag in tags] if tags is not None else None,
    }


def _restored(values: dict, regions: dict, tags: dict, created: dict) -> dict:
    community = values.get("new_community")
    region = created[community] if community else regions.get(values["region"])
    risk_tags = values["risk_tags"]
    return {
        **values,
        "region": region,
        "risk_tags": [tags[pk] for pk in risk_tags] if risk_tags is not None else None,
    }


def _spilled(spill) -> Iterator[list[dict]]:
    while True:
        try:
            yield pickle.load(spill)  # noqa: S301 - our own temporary file, written above
        except EOFError:
            return


__all__ = ["COLUMNS", "ImportFileError", "ImportOutcome", "TEMPLATE_EXAMPLE", "import_ledger"]
