"""The agency and expert registries in from Excel, through the shared engine: rows keyed by
机构名称 (agencies) or 姓名+联系电话 (experts), created or updated, every problem reported
with its Excel row, nothing written unless every row is right (or wrong rows are skipped).
The headers are those of the registry exports, so an export can be edited and imported back."""

import re

from django.core.exceptions import ValidationError
from django.db import transaction

from anbiao.agencies import services
from anbiao.agencies.models import Agency, Expert
from anbiao.core.imports.outcome import ImportOutcome
from anbiao.core.imports.reader import (
    CellError,
    Column,
    RowError,
    choice_parser,
    clean_text,
    mark_duplicates,
    parse_date,
    read_table,
)
from anbiao.enterprises.choices import Industry
from anbiao.enterprises.importers import parse_phone

STATUS = choice_parser(
    Agency.Status.choices, synonyms={"正常": "active", "有效": "active", "停用": "suspended"}
)
INDUSTRY = {str(label): value for value, label in Industry.choices}


def parse_specialties(value) -> str:
    """ "机械、轻工" (or 机械,轻工 / 机械行业) → "machinery,light_industry"."""
    text = clean_text(value)
    if not text:
        return ""
    found, unknown = [], []
    for word in re.split(r"[、,,;;/\s]+", text):
        word = word.removesuffix("行业")
        if not word:
            continue
        if word in INDUSTRY:
            found.append(INDUSTRY[word])
        else:
            unknown.append(word)
    if unknown:
        raise CellError(f"未知的行业“{'、'.join(unknown)}”(可选:{'、'.join(INDUSTRY)})")
    return services.join_specialties(found)


AGENCY_COLUMNS = [
    Column("name", "机构名称", ("单位名称", "机构", "名称"), required=True),
    Column("uscc", "统一社会信用代码", ("信用代码",)),
    Column("qualification", "资质", ("资质类别", "资质名称")),
    Column("qualification_no", "资质证书编号", ("资质编号", "证书编号")),
    Column(
        "qualification_expires_on", "资质有效期至", ("有效期至", "资质有效期"), parse=parse_date
    ),
    Column("specialties", "服务行业", ("专业领域", "行业"), parse=parse_specialties),
    Column("address", "地址", ("单位地址", "办公地址")),
    Column("contact_name", "联系人", ()),
    Column("contact_phone", "联系电话", ("电话",), parse=parse_phone),
    Column("status", "状态", (), parse=STATUS),
    Column("note", "备注", ()),
]
AGENCY_EXAMPLE = {
    "name": "厦门示例安全技术服务有限公司",
    "uscc": "",
    "qualification": "安全生产标准化咨询",
    "qualification_no": "闽安咨-2024-001",
    "qualification_expires_on": "2027-12-31",
    "specialties": "机械、轻工",
    "address": "厦门市翔安区民安大道1号",
    "contact_name": "郭海峰",
    "contact_phone": "0592-7210000",
    "status": "在册",
}
AGENCY_HELP = (
    "每行一家机构,按机构名称新增或更新;空白单元格不会清除已有信息。服务行业可填多个,用顿号分隔"
    "(冶金、有色、建材、机械、轻工、纺织、烟草、商贸)。状态填在册、暂停或退出。"
)

EXPERT_COLUMNS = [
    Column("name", "姓名", ("专家姓名",), required=True),
    Column("phone", "联系电话", ("电话", "手机", "手机号"), parse=parse_phone, required=True),
    Column("employer", "工作单位", ("单位",)),
    Column("title", "职称/职务", ("职称", "职务")),
    Column("qualification", "资格", ("专家资格", "执业资格")),
    Column("specialties", "专业行业", ("专业", "行业", "专业领域"), parse=parse_specialties),
    Column("agency", "所在机构", ("所属机构", "第三方机构")),
    Column("status", "状态", (), parse=STATUS),
    Column("note", "备注", ()),
]
EXPERT_EXAMPLE = {
    "name": "曾国庆",
    "phone": "13900000000",
    "employer": "厦门示例安全技术服务有限公司",
    "title": "高级工程师",
    "qualification": "注册安全工程师",
    "specialties": "机械",
    "agency": "厦门示例安全技术服务有限公司",
    "status": "在册",
}
EXPERT_HELP = (
    "每行一位专家,按姓名+联系电话新增或更新;空白单元格不会清除已有信息。所在机构须为已登记的"
    "第三方机构名称(可留空)。登录账号请在专家详情页关联。"
)


def _run(table, *, keyed, save, check, dry_run, skip_invalid) -> ImportOutcome:
    """Every row saved in one transaction (`save(values, existing)` → (record, changes)), or,
    for a check, tried in memory by the service's own rules (`check`, the same → changes),
    with no transaction: on SQLite any transaction takes the write lock."""
    outcome = ImportOutcome.for_table(table)
    outcome.errors = table.errors
    outcome.invalid = len({e.row for e in outcome.errors})
    if outcome.invalid and not skip_invalid:
        return outcome
    if dry_run:
        _apply(table, outcome, keyed, check)
    else:
        with transaction.atomic():
            _apply(table, outcome, keyed, lambda v, e: _saved(save, v, e))
            if outcome.invalid and not skip_invalid:
                transaction.set_rollback(True)
            else:
                outcome.written = True
    if outcome.invalid and not skip_invalid:
        outcome.created = outcome.updated = outcome.unchanged = 0
    return outcome


def _saved(save, values, existing) -> list:
    with transaction.atomic():  # a refused row leaves the others' writes standing
        return save(values, existing)[1]


def _apply(table, outcome: ImportOutcome, keyed, write) -> None:
    """Each valid row through `write(values, existing)` → changes; counts and errors."""
    bad = {e.row for e in outcome.errors}
    for row in table.rows:
        if row.number in bad:
            continue
        values = {k: v for k, v in row.values.items() if v not in (None, "")}
        existing = keyed(values)
        try:
            changes = write(values, existing)
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                label = row.labels.get(field, "")
                outcome.errors.append(RowError(row.number, label, ";".join(messages)))
            outcome.invalid += 1
            continue
        if existing is None:
            outcome.created += 1
        elif changes:
            outcome.updated += 1
        else:
            outcome.unchanged += 1


def import_agencies(
    path, *, user, filename=None, dry_run=False, skip_invalid=False, mapping=None, **_
):
    """Create or update agencies from a registry workbook."""
    table = read_table(path, AGENCY_COLUMNS, filename=filename, mapping=mapping)
    mark_duplicates(table.rows, "name", "机构名称")
    names = [r.values.get("name") for r in table.rows if r.values.get("name")]
    agencies = {a.name: a for a in Agency.objects.filter(name__in=names)}
    return _run(
        table,
        keyed=lambda v: agencies.get(v.get("name")),
        save=lambda v, a: services.agency_save(actor=user, data=v, agency=a),
        check=lambda v, a: services.agency_check(actor=user, data=v, agency=a),
        dry_run=dry_run,
        skip_invalid=skip_invalid,
    )


def import_experts(
    path, *, user, filename=None, dry_run=False, skip_invalid=False, mapping=None, **_
):
    """Create or update experts from a registry workbook."""
    table = read_table(path, EXPERT_COLUMNS, filename=filename, mapping=mapping)
    for row in table.rows:
        row.values["key"] = (row.values.get("name"), row.values.get("phone"))
    mark_duplicates(table.rows, "key", "姓名和联系电话")
    agencies = {a.name: a for a in Agency.objects.all()}
    for row in table.rows:
        row.values.pop("key", None)
        name = row.values.get("agency")
        if name:
            if name not in agencies:
                row.error("agency", f"未登记的机构“{name}”,请先在机构名录中登记")
            row.values["agency"] = agencies.get(name)
        else:
            row.values.pop("agency", None)
    experts = {(e.name, e.phone): e for e in Expert.objects.all()}
    return _run(
        table,
        keyed=lambda v: experts.get((v.get("name"), v.get("phone"))),
        save=lambda v, e: services.expert_save(actor=user, data=v, expert=e),
        check=lambda v, e: services.expert_check(actor=user, data=v, expert=e),
        dry_run=dry_run,
        skip_invalid=skip_invalid,
    )
