"""Writes of the agency and expert registries, technical-service assignments and guidance
records. Each function is one transaction, checks permission and scope, writes the change log."""

from copy import copy
from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from anbiao.accounts import permissions as perms
from anbiao.accounts.access import actor_or_none, require
from anbiao.accounts.choices import Role
from anbiao.agencies.models import (
    Agency,
    AgencyAssignment,
    Expert,
    GuidanceFile,
    GuidanceRecord,
)
from anbiao.core import audit
from anbiao.core import uscc as uscc_rules
from anbiao.core.evidence import check_upload
from anbiao.core.models import ChangeLog
from anbiao.enterprises.choices import Industry
from anbiao.enterprises.models import Enterprise

AGENCY_FIELDS = (
    "name",
    "uscc",
    "qualification",
    "qualification_no",
    "qualification_expires_on",
    "specialties",
    "address",
    "contact_name",
    "contact_phone",
    "status",
    "note",
)
EXPERT_FIELDS = (
    "name",
    "phone",
    "employer",
    "title",
    "qualification",
    "specialties",
    "agency",
    "enterprise",
    "user",
    "status",
    "note",
)


def join_specialties(values) -> str:
    """A list of Industry values (or a stored string) as the stored comma-separated string."""
    if isinstance(values, str):
        values = values.split(",")
    known = [v for v in Industry.values if v in set(values)]
    return ",".join(known)


def _clean_agency(agency: Agency) -> None:
    agency.name = agency.name.strip()
    if not agency.name:
        raise ValidationError({"name": "机构名称不能为空"})
    if agency.uscc:
        try:
            agency.uscc = uscc_rules.validate(agency.uscc)
        except uscc_rules.USCCError as exc:
            raise ValidationError({"uscc": str(exc)}) from exc
    if Agency.objects.filter(name=agency.name).exclude(pk=agency.pk).exists():
        raise ValidationError({"name": "该机构已登记"})
    agency.specialties = join_specialties(agency.specialties)
    agency.is_active = agency.status == Agency.Status.ACTIVE


@transaction.atomic
def agency_save(*, actor, data: dict, agency: Agency | None = None) -> tuple[Agency, list]:
    """Register an agency, or change one; returns it and the changes written."""
    require(actor, perms.AGENCY_MANAGE, message="您没有维护机构名录的权限")
    creating = agency is None
    agency = Agency() if creating else Agency.objects.select_for_update().get(pk=agency.pk)
    changes = _agency_applied(agency, data)
    agency.save()
    if creating or changes:
        audit.record(
            actor=actor_or_none(actor),
            action=ChangeLog.Action.CREATE if creating else ChangeLog.Action.UPDATE,
            instance=agency,
            changes=changes,
        )
    return agency, changes


def agency_check(*, actor, data: dict, agency: Agency | None = None) -> list:
    """What `agency_save` would change, by its rules, writing nothing (an import's check);
    raises what it would raise. `agency` is left as it was."""
    require(actor, perms.AGENCY_MANAGE, message="您没有维护机构名录的权限")
    return _agency_applied(Agency() if agency is None else copy(agency), data)


def _agency_applied(agency: Agency, data: dict) -> list:
    """`data` set on `agency` and checked (not saved); the changes to an existing one."""
    before = audit.snapshot(agency, AGENCY_FIELDS) if agency.pk else None
    for key in AGENCY_FIELDS:
        if key in data and data[key] is not None:
            setattr(agency, key, data[key])
        elif key in data and key == "qualification_expires_on":
            agency.qualification_expires_on = None
    _clean_agency(agency)
    agency.full_clean(validate_unique=False)
    return [] if before is None else audit.diff(agency, before)


def _clean_expert(expert: Expert) -> None:
    expert.name, expert.phone = expert.name.strip(), expert.phone.strip()
    if not expert.name:
        raise ValidationError({"name": "姓名不能为空"})
    if not expert.phone:
        raise ValidationError({"phone": "联系电话不能为空"})
    clash = Expert.objects.filter(name=expert.name, phone=expert.phone).exclude(pk=expert.pk)
    if clash.exists():
        raise ValidationError({"name": "该专家(姓名和电话相同)已登记"})
    if expert.user_id:
        if expert.user.role != Role.EXPERT:
            raise ValidationError({"user": "登录账号须为“专家”角色"})
        taken = Expert.objects.filter(user_id=expert.user_id).exclude(pk=expert.pk)
        if taken.exists():
            raise ValidationError({"user": "该账号已关联其他专家"})
    expert.specialties = join_specialties(expert.specialties)


@transaction.atomic
def expert_save(*, actor, data: dict, expert: Expert | None = None) -> tuple[Expert, list]:
    """Register an expert, or change one; returns it and the changes written."""
    require(actor, perms.AGENCY_MANAGE, message="您没有维护专家库的权限")
    creating = expert is None
    expert = Expert() if creating else Expert.objects.select_for_update().get(pk=expert.pk)
    changes = _expert_applied(expert, data)
    expert.save()
    if creating or changes:
        audit.record(
            actor=actor_or_none(actor),
            action=ChangeLog.Action.CREATE if creating else ChangeLog.Action.UPDATE,
            instance=expert,
            changes=changes,
        )
    return expert, changes


def expert_check(*, actor, data: dict, expert: Expert | None = None) -> list:
    """What `expert_save` would change, by its rules, writing nothing (an import's check);
    raises what it would raise. `expert` is left as it was."""
    require(actor, perms.AGENCY_MANAGE, message="您没有维护专家库的权限")
    return _expert_applied(Expert() if expert is None else copy(expert), data)


def _expert_applied(expert: Expert, data: dict) -> list:
    """`data` set on `expert` and checked (not saved); the changes to an existing one."""
    before = audit.snapshot(expert, EXPERT_FIELDS) if expert.pk else None
    for key in EXPERT_FIELDS:
        if key in data:
            value = data[key]
            if value is None and key not in ("agency", "enterprise", "user"):
                continue
            setattr(expert, key, value)
    _clean_expert(expert)
    expert.full_clean(validate_unique=False, exclude=["enterprise"])
    return [] if before is None else audit.diff(expert, before)


@transaction.atomic
def assignment_create(
    *, actor, agency: Agency, enterprise: Enterprise, start_on: date, note: str = ""
) -> AgencyAssignment:
    """Assign an agency to an enterprise for technical guidance (技术服务) from `start_on`.
    While the assignment runs, the agency's users see the enterprise; once it has started the
    agency may no longer review the enterprise (anbiao/cases/independence.py)."""
    require(actor, perms.AGENCY_MANAGE, obj=enterprise, message="您没有指派技术服务机构的权限")
    if not agency.is_active:
        raise ValidationError({"agency": f"机构“{agency.name}”不在册,不能指派"})
    running = AgencyAssignment.objects.filter(agency=agency, enterprise=enterprise).exclude(
        end_on__lt=start_on
    )
    if running.exists():
        raise ValidationError({"enterprise": "该机构已在为该企业提供技术服务"})
    assignment = AgencyAssignment.objects.create(
        agency=agency, enterprise=enterprise, start_on=start_on, note=note.strip()
    )
    audit.record(
        actor=actor_or_none(actor),
        action=ChangeLog.Action.CREATE,
        instance=assignment,
        enterprise=enterprise,
        note=f"指派技术服务机构,自{start_on.isoformat()}起",
    )
    return assignment


@transaction.atomic
def assignment_end(*, actor, assignment: AgencyAssignment, end_on: date) -> AgencyAssignment:
    """End a technical-service assignment on `end_on` (the agency keeps its past records)."""
    require(
        actor, perms.AGENCY_MANAGE, obj=assignment.enterprise, message="您没有结束技术服务的权限"
    )
    assignment = AgencyAssignment.objects.select_for_update().get(pk=assignment.pk)
    if assignment.end_on is not None and assignment.end_on <= timezone.localdate():
        raise ValidationError({"end_on": "该技术服务已结束"})
    if end_on < assignment.start_on:
        raise ValidationError({"end_on": "结束日期不能早于开始日期"})
    before = audit.snapshot(assignment, ("end_on",))
    assignment.end_on = end_on
    assignment.save(update_fields=["end_on"])
    audit.record(
        actor=actor_or_none(actor),
        action=ChangeLog.Action.UPDATE,
        instance=assignment,
        enterprise=assignment.enterprise,
        changes=audit.diff(assignment, before),
    )
    return assignment


@transaction.atomic
def guidance_record(
    *,
    actor,
    agency: Agency | None,
    enterprise: Enterprise,
    visited_on: date,
    content: str,
    issues: str = "",
    suggestions: str = "",
    staff: str = "",
    files=(),
) -> GuidanceRecord:
    """Record a guidance visit. An agency user records for their own agency, at an enterprise
    it is assigned to on the visit date; the station may record for any agency, or its own
    服务指导 (`agency=None`) at any enterprise in its scope — eligible or not yet, since the plan
    asks to serve those "暂时未达到…条件的" most."""
    require(actor, perms.GUIDANCE_RECORD, obj=enterprise, message="您没有记录技术服务的权限")
    if (
        actor is not None
        and actor.role == Role.AGENCY
        and (agency is None or actor.agency_id != agency.pk)
    ):
        raise PermissionDenied("只能记录本机构的技术服务")
    if visited_on > timezone.localdate():
        raise ValidationError({"visited_on": "服务日期不能晚于今天"})
    if not content.strip():
        raise ValidationError({"content": "请填写服务内容"})
    assignment = None
    if agency is not None:
        assignment = (
            AgencyAssignment.objects.filter(
                agency=agency, enterprise=enterprise, start_on__lte=visited_on
            )
            .exclude(end_on__lt=visited_on)
            .order_by("-start_on")
            .first()
        )
        if assignment is None:
            raise ValidationError(
                {"visited_on": f"{visited_on.isoformat()}该机构未被指派为该企业提供技术服务"}
            )
    station_name = ""
    if agency is None:
        station_name = (getattr(actor, "department", "") or "").strip() or (
            f"{actor.region.name}安监站" if getattr(actor, "region_id", None) else "街道安监站"
        )
    record = GuidanceRecord.objects.create(
        agency=agency,
        station_name=station_name,
        enterprise=enterprise,
        assignment=assignment,
        visited_on=visited_on,
        staff=staff.strip(),
        content=content.strip(),
        issues=issues.strip(),
        suggestions=suggestions.strip(),
        recorded_by=actor_or_none(actor),
    )
    for upload in files or ():
        checked = check_upload(upload)
        GuidanceFile.store(checked, uploaded_by=actor_or_none(actor), record=record)
    audit.record(
        actor=actor_or_none(actor),
        action=ChangeLog.Action.CREATE,
        instance=record,
        enterprise=enterprise,
        note=f"{'技术服务' if agency else '服务指导'}:{record.provider}",
    )
    return record
