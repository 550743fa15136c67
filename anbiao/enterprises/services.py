"""Writes to the enterprise registry. Each function is one transaction, checks the actor's
permission and scope, keeps the dated facts in step with the current columns, and writes
the change log."""

from collections.abc import Iterable
from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from anbiao.accounts import permissions as perms
from anbiao.accounts.scope import regions_for
from anbiao.core import audit
from anbiao.core.models import ChangeLog
from anbiao.enterprises import uscc as uscc_rules
from anbiao.enterprises.choices import FactKind, FactSource, OperatingStatus
from anbiao.enterprises.models import Enterprise, EnterpriseFact, RiskTag
from anbiao.enterprises.pinyin import pinyin_keys

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
    for field, old_value in before_facts.items():
        if fact_value(enterprise, field) != old_value:
            _record_fact(
                enterprise,
                field,
                on=effective_on,
                actor=actor,
                source=source,
                reason=enterprise.eligibility_reason,
            )
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
    audit.record(
        actor=actor,
        action=ChangeLog.Action.STATUS,
        instance=enterprise,
        enterprise=enterprise,
        changes=audit.diff(enterprise, before),
        note=reason.strip(),
    )
    return enterprise
