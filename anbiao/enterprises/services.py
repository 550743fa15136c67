"""Writes to the enterprise registry. Each function is one transaction, checks the actor's
permission and scope, keeps the dated facts in step with the current columns, and writes
the change log."""

from collections.abc import Iterable
from datetime import date
from operator import itemgetter

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone

from anbiao.accounts import permissions as perms
from anbiao.accounts.access import actor_or_none, require
from anbiao.accounts.scope import regions_for
from anbiao.core import audit, triggers
from anbiao.core import uscc as uscc_rules
from anbiao.core.bulk import adapter, insert_rows
from anbiao.core.imports import preview
from anbiao.core.imports.preview import PlannedChange
from anbiao.core.lookups import among
from anbiao.core.models import ChangeLog
from anbiao.enterprises.choices import EntryReason, FactKind, FactSource, OperatingStatus
from anbiao.enterprises.models import Enterprise, EnterpriseFact, LedgerSpan, RiskTag
from anbiao.enterprises.pinyin import pinyin_keys
from anbiao.enterprises.spans import SPAN_COLUMNS, rebuild_spans, spans_of

# Fields a station officer edits; the enterprise's own user edits only PROFILE_FIELDS.
EDITABLE_FIELDS = (
    "name",
    "uscc",
    "address",
    "region",
    "industry",
    "industry_code",
    "size",
    "employees",
    "revenue",
    "in_torch_zone",
    "ledger_since",
    "principal_name",
    "principal_phone",
    "safety_manager_name",
    "safety_manager_phone",
    "eligible",
    "eligibility_reason",
)
PROFILE_FIELDS = (
    "address",
    "employees",
    "revenue",
    "principal_name",
    "principal_phone",
    "safety_manager_name",
    "safety_manager_phone",
)
HISTORY_FIELDS = (*EDITABLE_FIELDS, "status", "status_since", "risk_tags")

# Columns that are also dated facts, and how a column's value is written as a fact value.
FACT_FIELDS = {
    "size": FactKind.SIZE,
    "eligible": FactKind.ELIGIBILITY,
    "in_torch_zone": FactKind.TORCH_ZONE,
    "region": FactKind.REGION,
    "status": FactKind.STATUS,
}


def fact_value(enterprise: Enterprise, field: str) -> str | None:
    value = getattr(enterprise, "region_id" if field == "region" else field)
    if value is None:
        return None
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def _record_fact(enterprise, field, *, on, actor, source, reason="") -> None:
    value = fact_value(enterprise, field)
    if value is None:
        return
    EnterpriseFact.objects.create(
        enterprise=enterprise,
        kind=FACT_FIELDS[field],
        value=value,
        effective_on=on,
        reason=reason if field in ("eligible", "status") else "",
        source=source,
        recorded_by=actor if getattr(actor, "pk", None) else None,
    )


def _check_region(actor, region) -> None:
    if actor is not None and not regions_for(actor).filter(pk=region.pk).exists():
        raise ValidationError({"region": f"所属区域“{region}”不在您的管辖范围内"})


def _normalize(enterprise: Enterprise) -> None:
    try:
        enterprise.uscc = uscc_rules.validate(enterprise.uscc)
    except uscc_rules.USCCError as exc:
        raise ValidationError({"uscc": str(exc)}) from exc
    clash = Enterprise.objects.filter(uscc=enterprise.uscc).exclude(pk=enterprise.pk).first()
    if clash is not None:
        raise ValidationError({"uscc": "该统一社会信用代码已登记,请勿重复录入"})
    enterprise.name = enterprise.name.strip()
    if not enterprise.name:
        raise ValidationError({"name": "企业名称不能为空"})
    enterprise.name_initials, enterprise.name_pinyin = pinyin_keys(enterprise.name)
    enterprise.eligibility_reason = enterprise.eligibility_reason.strip()
    if enterprise.eligible:
        enterprise.eligibility_reason = ""


@transaction.atomic
def enterprise_create(
    *,
    actor,
    data: dict,
    risk_tags: Iterable[RiskTag] = (),
    effective_on: date,
    source: str = FactSource.MANUAL,
) -> Enterprise:
    """Register an enterprise and its first dated facts (as of `effective_on`)."""
    if actor is not None and not perms.has_perm(actor, perms.ENTERPRISE_CREATE):
        raise PermissionDenied("您没有新建企业的权限")
    enterprise = Enterprise(**{k: v for k, v in data.items() if k in EDITABLE_FIELDS})
    enterprise.status = OperatingStatus.OPERATING
    enterprise.status_since = enterprise.ledger_since or effective_on
    _check_region(actor, enterprise.region)
    _normalize(enterprise)
    enterprise.full_clean(exclude=["risk_tags"], validate_unique=False)
    enterprise.save()
    enterprise.risk_tags.set(risk_tags)
    on = enterprise.ledger_since or effective_on
    EnterpriseFact.objects.create(
        enterprise=enterprise,
        kind=FactKind.LEDGER,
        value="1",
        effective_on=on,
        source=source,
        recorded_by=actor if getattr(actor, "pk", None) else None,
    )
    for field in FACT_FIELDS:
        _record_fact(
            enterprise,
            field,
            on=on,
            actor=actor,
            source=source,
            reason=enterprise.eligibility_reason,
        )
    rebuild_spans([enterprise.pk])
    audit.record(
        actor=actor, action=ChangeLog.Action.CREATE, instance=enterprise, enterprise=enterprise
    )
    return enterprise


@transaction.atomic
def enterprise_update(
    *,
    actor,
    enterprise: Enterprise,
    data: dict,
    risk_tags: Iterable[RiskTag] | None = None,
    effective_on: date,
    source: str = FactSource.MANUAL,
) -> list[dict[str, str]]:
    """Change registry fields; returns the changes written to history (empty: nothing changed).

    The enterprise's own user may change only its profile fields. Size, eligibility,
    torch-zone and region changes become dated facts effective on `effective_on`.
    """
    if actor is None or perms.has_perm(actor, perms.ENTERPRISE_CHANGE):
        allowed = EDITABLE_FIELDS
    elif perms.has_perm(actor, perms.ENTERPRISE_EDIT_PROFILE):
        allowed = PROFILE_FIELDS
    else:
        raise PermissionDenied("您没有修改企业信息的权限")
    if (
        actor is not None
        and not Enterprise.objects.restrict(actor, "view").filter(pk=enterprise.pk).exists()
    ):
        raise PermissionDenied("该企业不在您的管辖范围内")
    enterprise = Enterprise.objects.select_for_update().get(pk=enterprise.pk)
    before = audit.snapshot(enterprise, HISTORY_FIELDS)
    before_facts = {field: fact_value(enterprise, field) for field in FACT_FIELDS}
    for key, value in data.items():
        if key in allowed:
            setattr(enterprise, key, value)
    if enterprise.region_id and before_facts["region"] != str(enterprise.region_id):
        _check_region(actor, enterprise.region)
    _normalize(enterprise)
    enterprise.full_clean(exclude=["risk_tags"], validate_unique=False)
    enterprise.save()
    if risk_tags is not None and allowed is EDITABLE_FIELDS:
        enterprise.risk_tags.set(risk_tags)
    changes = audit.diff(enterprise, before)
    if not changes:
        return []
    facts_changed = False
    for field, old_value in before_facts.items():
        if fact_value(enterprise, field) != old_value:
            facts_changed = True
            _record_fact(
                enterprise,
                field,
                on=effective_on,
                actor=actor,
                source=source,
                reason=enterprise.eligibility_reason,
            )
    # Spans derive from facts alone; rewriting them unchanged would move the dashboard's data
    # version (campaigns/figure_version.py) for a new phone number.
    if facts_changed:
        rebuild_spans([enterprise.pk])
    audit.record(
        actor=actor,
        action=ChangeLog.Action.UPDATE,
        instance=enterprise,
        enterprise=enterprise,
        changes=changes,
    )
    return changes


@transaction.atomic
def enterprise_change_status(
    *,
    actor,
    enterprise: Enterprise,
    status: str,
    on: date,
    reason: str = "",
    source: str = FactSource.MANUAL,
) -> Enterprise:
    """Record that the enterprise resumed, stopped, closed or moved out on date `on`.

    Closing or moving is never a delete: the enterprise stays, with its history, and the ledger
    as of any date before `on` still counts it.
    """
    if actor is not None and not perms.has_perm(actor, perms.ENTERPRISE_CHANGE):
        raise PermissionDenied("您没有变更企业经营状态的权限")
    if (
        actor is not None
        and not Enterprise.objects.restrict(actor, "change").filter(pk=enterprise.pk).exists()
    ):
        raise PermissionDenied("该企业不在您的管辖范围内")
    if status not in OperatingStatus.values:
        raise ValidationError({"status": "经营状态无效"})
    enterprise = Enterprise.objects.select_for_update().get(pk=enterprise.pk)
    if status == enterprise.status:
        raise ValidationError({"status": f"企业当前已是“{enterprise.get_status_display()}”状态"})
    if enterprise.status_since and on < enterprise.status_since:
        raise ValidationError(
            {"on": f"变更日期不能早于当前状态的日期({enterprise.status_since.isoformat()})"}
        )
    if status != OperatingStatus.OPERATING and not reason.strip():
        raise ValidationError({"reason": "停产、注销或迁出须填写原因"})
    before = audit.snapshot(enterprise, ("status", "status_since"))
    enterprise.status, enterprise.status_since = status, on
    enterprise.save(update_fields=["status", "status_since", "updated_at"])
    EnterpriseFact.objects.create(
        enterprise=enterprise,
        kind=FactKind.STATUS,
        value=status,
        effective_on=on,
        reason=reason.strip(),
        source=source,
        recorded_by=actor if getattr(actor, "pk", None) else None,
    )
    rebuild_spans([enterprise.pk])
    audit.record(
        actor=actor,
        action=ChangeLog.Action.STATUS,
        instance=enterprise,
        enterprise=enterprise,
        changes=audit.diff(enterprise, before),
        note=reason.strip(),
    )
    return enterprise


@transaction.atomic
def enterprise_record_entry_reason(
    *,
    actor,
    enterprise: Enterprise,
    reason: str,
    on: date,
    note: str = "",
    source: str = FactSource.MANUAL,
) -> EnterpriseFact:
    """Record why the enterprise became a 新增企业 on `on` (新设, 迁入, 规模变化, 摸排补录), as a
    dated fact; the campaign's breakdown of new enterprises reads it (docs/campaigns.md)."""
    require(actor, perms.ENTERPRISE_CHANGE, obj=enterprise, message="您没有变更企业信息的权限")
    if reason not in EntryReason.values:
        raise ValidationError({"reason": "新增原因无效(可选:新设、迁入、规模变化、摸排补录)"})
    if on > timezone.localdate():
        raise ValidationError({"on": "日期不能晚于今天"})
    fact = EnterpriseFact.objects.create(
        enterprise=enterprise,
        kind=FactKind.ENTRY,
        value=reason,
        effective_on=on,
        reason=note.strip(),
        source=source,
        recorded_by=actor_or_none(actor),
    )
    audit.record(
        actor=actor_or_none(actor),
        action=ChangeLog.Action.UPDATE,
        instance=enterprise,
        enterprise=enterprise,
        note=f"新增原因:{EntryReason(reason).label}({on.isoformat()})",
    )
    return fact


# Ledger import columns an import may set, in addition to status; blank cells never clear data.
IMPORT_FIELDS = (
    "name",
    "address",
    "region",
    "industry",
    "industry_code",
    "size",
    "employees",
    "revenue",
    "in_torch_zone",
    "ledger_since",
    "principal_name",
    "principal_phone",
    "safety_manager_name",
    "safety_manager_phone",
    "eligible",
    "eligibility_reason",
)
BATCH = 500
FACT_COLUMNS = (
    "enterprise",
    "kind",
    "value",
    "reason",
    "effective_on",
    "source",
    "recorded_at",
    "recorded_by",
)


def _new_fact(enterprise, kind, value, on, actor, source, reason=""):
    return EnterpriseFact(
        enterprise=enterprise,
        kind=kind,
        value=value,
        effective_on=on,
        reason=reason,
        source=source,
        recorded_by=actor if getattr(actor, "pk", None) else None,
    )


def _risk_names(tags) -> str:
    return "、".join(sorted(t.name for t in tags))


def ledger_upsert(
    *,
    actor,
    rows: list[dict],
    effective_on: date,
    source: str = FactSource.IMPORT,
    dry_run: bool = False,
) -> tuple[int, int, int]:
    """Create or update many enterprises at once, keyed by USCC (the ledger import).

    Rows are already validated (importers.validate_rows). New enterprises get their first facts
    on their 纳入台账日期 (or `effective_on`); for existing ones only fields with a value in the
    row are compared, changed ones are saved with history, and fact fields that changed get a
    fact dated `effective_on` (a status change: its 状态日期 when given). Returns
    (created, updated, unchanged). Bulk statements keep 100k rows within the import budget.
    A dry run only reads: it compares in memory and writes nothing (an import check must not
    hold the database's write lock).
    """
    if actor is not None and not perms.has_perm(actor, perms.LEDGER_IMPORT):
        raise PermissionDenied("您没有导入企业台账的权限")
    if dry_run:
        # No transaction at all: on SQLite every transaction takes the write lock (BEGIN
        # IMMEDIATE), so a check of a large file would queue other users' saves behind it.
        return _ledger_upsert(actor, rows, effective_on, source, dry_run=True)
    with transaction.atomic():
        return _ledger_upsert(actor, rows, effective_on, source, dry_run=False)


def _ledger_upsert(
    actor, rows: list[dict], effective_on: date, source: str, *, dry_run: bool
) -> tuple[int, int, int]:
    recorder = actor if getattr(actor, "pk", None) else None
    existing: dict[str, Enterprise] = {}
    codes = [row["uscc"] for row in rows]
    for start in range(0, len(codes), 900):
        for enterprise in (
            Enterprise.objects.filter(among("uscc", codes[start : start + 900]))
            .select_related("region")
            .prefetch_related("risk_tags")
        ):
            existing[enterprise.uscc] = enterprise
    new_rows = [row for row in rows if row["uscc"] not in existing]
    updated = _ledger_update(
        [r for r in rows if r["uscc"] in existing],
        existing,
        effective_on,
        recorder,
        source,
        dry_run=dry_run,
    )
    # Created last: its writes end by raising the dashboard's version (_ledger_create).
    if dry_run:
        created = len(new_rows)
        if new_rows and preview.observed():
            preview.report(_planned_creations(new_rows, effective_on))
    else:
        created = _ledger_create(new_rows, effective_on, recorder, source)
    return created, updated, len(rows) - created - updated


# The columns of a new enterprise as the ledger import writes them (every concrete column but
# the primary key): rows go to the database as tuples, with no model instance per row.
CREATE_COLUMNS = (
    "name",
    "uscc",
    "name_initials",
    "name_pinyin",
    "address",
    "region",
    "industry",
    "industry_code",
    "size",
    "employees",
    "revenue",
    "in_torch_zone",
    "status",
    "status_since",
    "ledger_since",
    "principal_name",
    "principal_phone",
    "safety_manager_name",
    "safety_manager_phone",
    "eligible",
    "eligibility_reason",
    "created_at",
    "updated_at",
)


def _fact_text(value) -> str | None:
    """A column's value as a fact stores it (see `fact_value`)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def _ledger_create(rows: list[dict], effective_on: date, actor, source: str) -> int:
    """Insert new enterprises with their facts, tags, change log lines and ledger spans, as
    plain tuples: building 700k model instances for a 100k-row ledger would cost more than
    writing them. A new enterprise has no other facts, so its spans are folded from the facts
    written here instead of being read back (spans.spans_of). Dates and timestamps are prepared
    for the driver once per distinct value, not once per row they appear in. The rows raise the
    dashboard's version and their blocks once, not by a trigger's work per row (~800k rows for
    100k enterprises; core/triggers.py, `bulk_insert`)."""
    if not rows:
        return 0
    with triggers.bulk_insert() as written:
        return _ledger_insert(rows, effective_on, actor, source, written)


def _ledger_insert(
    rows: list[dict], effective_on: date, actor, source: str, written: set[int]
) -> int:
    """`_ledger_create`'s rows, written; the new enterprises' ids added to `written`."""
    defaults = _import_defaults()
    now = timezone.now()
    stamp = adapter(ChangeLog, "at")(now)
    day = adapter(EnterpriseFact, "effective_on")
    decimal = adapter(Enterprise, "revenue")
    facts, logs, tags, spans = [], [], [], []
    columns_of = itemgetter(*CREATE_COLUMNS)  # the row's tuple, in C
    enterprises: list[tuple] = []
    values: list[tuple] = []
    for row in rows:
        item = _new_columns(row, effective_on, defaults)
        mine = [(k, v, r, d, day(d)) for k, v, r, d in _first_facts(item)]
        item["name_initials"], item["name_pinyin"] = pinyin_keys(item["name"])
        item["created_at"] = item["updated_at"] = stamp
        item["ledger_since"], item["status_since"] = (
            day(item["ledger_since"]),
            day(item["status_since"]),
        )
        item["revenue"] = decimal(item["revenue"])
        enterprises.append(columns_of(item))
        values.append((mine, row.get("risk_tags"), item["name"]))
    insert_rows(Enterprise, CREATE_COLUMNS, enterprises, prepared=True)
    ids = _ids_by_uscc([enterprise[1] for enterprise in enterprises])
    written.update(ids.values())
    del enterprises
    actor_id = actor.pk if actor is not None else None
    note = audit.with_source("台账导入")[:200]
    address = audit.request_address.get()
    no_changes = adapter(ChangeLog, "changes")([])
    for row, (mine, risk_tags, name) in zip(rows, values, strict=True):
        pk = ids[row["uscc"]]
        mine = [fact for fact in mine if fact[1] is not None]
        facts += [(pk, k, v, r, d, source, stamp, actor_id) for k, v, r, _, d in mine]
        spans += _new_spans(pk, mine)
        tags += [(pk, tag.pk) for tag in risk_tags or ()]
        logs.append(
            (
                stamp,
                actor_id,
                ChangeLog.Action.CREATE,
                "enterprises.enterprise",
                str(pk),
                name[:200],
                pk,
                no_changes,
                note,
                address,
            )
        )
    insert_rows(EnterpriseFact, FACT_COLUMNS, facts, prepared=True)
    insert_rows(Enterprise.risk_tags.through, ("enterprise", "risktag"), tags, prepared=True)
    insert_rows(ChangeLog, audit.LOG_COLUMNS, logs, prepared=True)
    insert_rows(LedgerSpan, SPAN_COLUMNS, spans, prepared=True)
    return len(values)


def _import_defaults() -> dict:
    meta = Enterprise._meta
    return {name: meta.get_field(name).get_default() for name in IMPORT_FIELDS}


def _new_columns(row: dict, effective_on: date, defaults: dict) -> dict:
    """A new enterprise's columns as the ledger import writes them (the region as its id)."""
    item = {k: (v if (v := row.get(k)) not in (None, "") else defaults[k]) for k in defaults}
    region = item["region"]
    item["region"] = region.pk if region is not None else None
    item["ledger_since"] = item["ledger_since"] or effective_on
    item["status"] = row.get("status") or OperatingStatus.OPERATING
    item["status_since"] = row.get("status_since") or item["ledger_since"]
    if item["eligible"]:
        item["eligibility_reason"] = ""
    item["uscc"] = row["uscc"]
    return item


def _first_facts(item: dict) -> list[tuple]:
    """A new enterprise's first facts, as (kind, value, reason, effective_on)."""
    on = item["ledger_since"]
    mine = [(FactKind.LEDGER, "1", "", on)]
    for field, kind in FACT_FIELDS.items():
        value = _fact_text(item[field])
        if value is not None:
            fact_on = item["status_since"] if field == "status" else on
            reason = item["eligibility_reason"] if field == "eligible" else ""
            mine.append((kind, value, reason, fact_on))
    return mine


def _in_fact_order(facts: list[tuple]) -> list[tuple]:
    """(kind, value, reason, effective_on) facts as (kind, value, effective_on) in date order,
    entry order within a day: how rebuild_spans reads them back."""
    return sorted(((k, v, d) for k, v, _, d in facts), key=_fact_day)


def _planned_creations(rows: list[dict], effective_on: date) -> list[PlannedChange]:
    """What creating these enterprises would record, for a check's preview (nothing written)."""
    defaults = _import_defaults()
    planned = []
    for row in rows:
        item = _new_columns(row, effective_on, defaults)
        planned.append(PlannedChange(None, item["industry"], _in_fact_order(_first_facts(item))))
    return planned


def _new_spans(pk: int, facts: list[tuple]) -> list[tuple]:
    """The spans of a new enterprise from its (kind, value, reason, date, prepared date)
    facts. Most start with every fact on one day: one open span, built as `spans_of` would
    fold it; facts on several days are folded by `spans_of` itself."""
    first = facts[0][3]
    if all(fact[3] == first for fact in facts):
        state = {kind: value for kind, value, *_ in facts}
        torch, region = state.get(FactKind.TORCH_ZONE), state.get(FactKind.REGION)
        day = facts[0][4]
        return [
            (
                pk,
                day,
                None,
                state[FactKind.LEDGER] == "1",
                state.get(FactKind.STATUS, ""),
                state.get(FactKind.SIZE, ""),
                None if torch is None else torch == "1",
                None if region is None else int(region),
                state.get(FactKind.ELIGIBILITY, ""),
                day,
            )
        ]
    prepared = {fact[3]: fact[4] for fact in facts}
    # Facts in date order, entry order within a day: how rebuild_spans reads them back.
    folded = spans_of(pk, sorted(((k, v, d) for k, v, _, d, _ in facts), key=_fact_day))
    return [
        (pk, prepared[starts], ends and prepared[ends], *rest, prepared[entered])
        for pk, starts, ends, *rest, entered in folded
    ]


def _ids_by_uscc(codes: list[str]) -> dict[str, int]:
    """USCC → id of the enterprises just inserted. A plain statement: compiling the ORM's
    `uscc__in` lookup for each 900 codes cost more than running it."""
    table = connection.ops.quote_name(Enterprise._meta.db_table)
    ids: dict[str, int] = {}
    with connection.cursor() as cursor:
        for start in range(0, len(codes), 900):
            chunk = codes[start : start + 900]
            marks = ", ".join(["%s"] * len(chunk))
            cursor.execute(f"SELECT uscc, id FROM {table} WHERE uscc IN ({marks})", chunk)  # noqa: S608
            ids.update(cursor.fetchall())
    return ids


def _fact_day(fact: tuple):
    return fact[2]


def _ledger_update(rows, existing, effective_on, actor, source, *, dry_run=False) -> int:
    changed_objects, changed_fields, facts, logs = [], set(), [], []
    through = Enterprise.risk_tags.through
    tag_removals, tag_additions = [], []
    for row in rows:
        enterprise = existing[row["uscc"]]
        fields = [k for k in IMPORT_FIELDS if row.get(k) not in (None, "")]
        if row.get("eligible") is True:
            fields.append("eligibility_reason")
            row = {**row, "eligibility_reason": ""}
        status = row.get("status")
        watched = [*fields, "status", "status_since"] if status else fields
        before = audit.snapshot(enterprise, watched)
        before_facts = {f: fact_value(enterprise, f) for f in FACT_FIELDS}
        for key in fields:
            setattr(enterprise, key, row[key])
        if status and status != enterprise.status:
            enterprise.status = status
            enterprise.status_since = row.get("status_since") or effective_on
        changes = audit.diff(enterprise, before)
        new_tags = row.get("risk_tags")
        if new_tags is not None:
            old_tags = list(enterprise.risk_tags.all())
            if _risk_names(old_tags) != _risk_names(new_tags):
                changes.append(
                    {
                        "field": "risk_tags",
                        "label": "重点风险",
                        "old": _risk_names(old_tags),
                        "new": _risk_names(new_tags),
                    }
                )
                tag_removals.append(enterprise.pk)
                tag_additions += [
                    through(enterprise_id=enterprise.pk, risktag_id=t.pk) for t in new_tags
                ]
        if not changes:
            continue
        if any(c["field"] == "name" for c in changes):
            enterprise.name_initials, enterprise.name_pinyin = pinyin_keys(enterprise.name)
            changed_fields |= {"name_initials", "name_pinyin"}
        changed_fields |= {c["field"] for c in changes if c["field"] != "risk_tags"}
        changed_objects.append(enterprise)
        for field, old_value in before_facts.items():
            value = fact_value(enterprise, field)
            if value != old_value and value is not None:
                on = enterprise.status_since if field == "status" else effective_on
                reason = enterprise.eligibility_reason if field == "eligible" else ""
                facts.append(
                    _new_fact(enterprise, FACT_FIELDS[field], value, on, actor, source, reason)
                )
        if any(c["field"] == "ledger_since" for c in changes):
            facts.append(
                _new_fact(enterprise, FactKind.LEDGER, "1", enterprise.ledger_since, actor, source)
            )
        logs.append(
            ChangeLog(
                actor=actor,
                action=ChangeLog.Action.UPDATE,
                object_type="enterprises.enterprise",
                object_id=str(enterprise.pk),
                object_repr=enterprise.name[:200],
                enterprise=enterprise,
                changes=changes,
                note=audit.with_source("台账导入")[:200],
            )
        )
    if dry_run:  # the instances were changed in memory only
        if preview.observed():
            added: dict[int, list] = {}
            for fact in facts:
                added.setdefault(fact.enterprise_id, []).append(
                    (fact.kind, fact.value, fact.effective_on)
                )
            preview.report(
                [PlannedChange(e.pk, e.industry, added.get(e.pk, [])) for e in changed_objects]
            )
        return len(changed_objects)
    now = timezone.now()
    for enterprise in changed_objects:
        enterprise.updated_at = now
    if changed_fields:
        Enterprise.objects.bulk_update(
            changed_objects, sorted(changed_fields | {"updated_at"}), batch_size=BATCH
        )
    through.objects.filter(enterprise_id__in=tag_removals).delete()
    through.objects.bulk_create(tag_additions, batch_size=BATCH)
    EnterpriseFact.objects.bulk_create(facts, batch_size=BATCH)
    rebuild_spans({fact.enterprise_id for fact in facts})
    ChangeLog.objects.bulk_create(logs, batch_size=BATCH)
    return len(changed_objects)
