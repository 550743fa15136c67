"""Writes of 督办: issue, reply, hand in, return, accept, escalate. Each is one transaction,
checks the actor's side (issuer or recipient) and the transition table, records a
`DispatchEvent` and the change log, and tells the other side through notifications."""

import re
from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone

from anbiao.accounts import permissions as perms
from anbiao.accounts.access import actor_or_none, in_scope, require
from anbiao.accounts.choices import Role
from anbiao.core import audit
from anbiao.core.evidence import check_upload
from anbiao.dispatches import selectors
from anbiao.dispatches.choices import TRANSITIONS, EventKind, RecipientKind, Status
from anbiao.dispatches.models import Dispatch, DispatchEvent, DispatchFile
from anbiao.notifications.services import notify

NOT_ISSUER = "只有下发该督办单的单位可以验收或退回"
NOT_RECIPIENT = "只有被督办单位可以回复或报送办结"


def number_prefix(region, role: str) -> str:
    """The 文号代字 of an issuing unit: 民安街道 → 民安安监督, 翔安区 → 翔安安委办督."""
    short = re.sub(r"(街道|镇|乡|区|县)$", "", region.name) or region.name
    return f"{short}{'安委办督' if role == Role.DISTRICT else '安监督'}"


def issuer_unit(region, role: str) -> str:
    return f"{region.name}{'安全生产委员会办公室' if role == Role.DISTRICT else '安监站'}"


def _attach(actor, event: DispatchEvent, uploads) -> None:
    for upload in uploads or ():
        DispatchFile.store(check_upload(upload), uploaded_by=actor_or_none(actor), event=event)


def _url(dispatch: Dispatch) -> str:
    return reverse("dispatches:detail", args=[dispatch.pk])


def _event(*, actor, dispatch, kind, on, text="", files=()) -> DispatchEvent:
    event = DispatchEvent.objects.create(
        dispatch=dispatch,
        kind=kind,
        on=on,
        text=text,
        actor=actor_or_none(actor),
        status_after=dispatch.status,
    )
    _attach(actor, event, files)
    return event


def dispatch_issue(
    *,
    actor,
    recipient_kind: str,
    subject: str,
    content: str,
    deadline: date,
    department: str = "",
    enterprise=None,
    agency=None,
    enterprises=(),
    tasks=(),
    hazards=(),
    files=(),
    on: date | None = None,
) -> Dispatch:
    """Issue a numbered 督办单 from the actor's unit (their region) to one recipient."""
    require(actor, perms.DISPATCH_ISSUE)
    on = on or timezone.localdate()
    if actor.region_id is None:
        raise PermissionDenied("您的账号没有管辖区域,不能下发督办单")
    errors = {}
    if deadline < on:
        errors["deadline"] = "办理时限不能早于下发日期"
    if recipient_kind == RecipientKind.ENTERPRISE:
        if enterprise is None:
            errors["enterprise"] = "请选择被督办企业"
        elif not in_scope(actor, enterprise):
            errors["enterprise"] = "该企业不在您的管辖范围内"
    elif recipient_kind == RecipientKind.AGENCY:
        if agency is None:
            errors["agency"] = "请选择被督办机构"
    elif recipient_kind == RecipientKind.DEPARTMENT:
        if not department.strip():
            errors["department"] = "请填写被督办的行业部门"
    else:
        errors["recipient_kind"] = "请选择督办对象类型"
    for linked in enterprises:
        if not in_scope(actor, linked):
            errors["enterprises"] = f"关联企业“{linked.name}”不在您的管辖范围内"
    for hazard in hazards:
        if not in_scope(actor, hazard.enterprise):
            errors["hazards"] = f"关联隐患“{hazard.description[:20]}”不在您的管辖范围内"
    if errors:
        raise ValidationError(errors)
    region = actor.region
    prefix = number_prefix(region, actor.role)
    for _attempt in range(5):  # two officers issuing at once: the loser takes the next number
        try:
            with transaction.atomic():
                return _issue(
                    actor=actor,
                    region=region,
                    prefix=prefix,
                    on=on,
                    recipient_kind=recipient_kind,
                    subject=subject.strip(),
                    content=content.strip(),
                    deadline=deadline,
                    department=department.strip(),
                    enterprise=enterprise if recipient_kind == RecipientKind.ENTERPRISE else None,
                    agency=agency if recipient_kind == RecipientKind.AGENCY else None,
                    enterprises=enterprises,
                    tasks=tasks,
                    hazards=hazards,
                    files=files,
                )
        except IntegrityError:
            continue
    raise ValidationError("督办单编号分配冲突,请重试")


def _issue(*, actor, region, prefix, on, enterprises, tasks, hazards, files, **fields) -> Dispatch:
    last = Dispatch.objects.filter(number_prefix=prefix, year=on.year).aggregate(n=Max("serial"))
    serial = (last["n"] or 0) + 1
    to_department = fields["recipient_kind"] == RecipientKind.DEPARTMENT
    department = fields.pop("department")
    dispatch = Dispatch.objects.create(
        number=f"{prefix}〔{on.year}〕{serial}号",
        number_prefix=prefix,
        year=on.year,
        serial=serial,
        issuer_region=region,
        issuer_unit=issuer_unit(region, actor.role),
        issued_by=actor_or_none(actor),
        issued_on=on,
        status=Status.ISSUED,
        status_since=on,
        recipient_region=region if to_department else None,
        recipient_department=department if to_department else "",
        recipient_enterprise=fields.pop("enterprise"),
        recipient_agency=fields.pop("agency"),
        **fields,
    )
    dispatch.enterprises.set(enterprises)
    dispatch.tasks.set(tasks)
    dispatch.hazards.set(hazards)
    _event(actor=actor, dispatch=dispatch, kind=EventKind.ISSUE, on=on, files=files)
    audit.record(
        actor=actor,
        action="create",
        instance=dispatch,
        enterprise=dispatch.recipient_enterprise,
        note=f"下发督办单,办理时限 {dispatch.deadline.isoformat()}",
    )
    notify(
        users=selectors.party_users(dispatch, "recipient"),
        rule="dispatch",
        title=f"收到督办单{dispatch.number}“{dispatch.subject}”,请于{dispatch.deadline}前办结",
        body=dispatch.content,
        url=_url(dispatch),
    )
    return dispatch


def _step(*, actor, dispatch: Dispatch, kind: str, on: date, text: str, files=()) -> Dispatch:
    allowed, after = TRANSITIONS[kind]
    if dispatch.status not in allowed:
        raise ValidationError(
            f"督办单当前为“{dispatch.get_status_display()}”,不能{EventKind(kind).label}"
        )
    before = audit.snapshot(dispatch, ["status"])
    dispatch.status = after
    dispatch.status_since = on
    dispatch.save(update_fields=["status", "status_since"])
    _event(actor=actor, dispatch=dispatch, kind=kind, on=on, text=text, files=files)
    audit.record(
        actor=actor,
        action="status",
        instance=dispatch,
        changes=audit.diff(dispatch, before),
        enterprise=dispatch.recipient_enterprise,
        note=f"{EventKind(kind).label}:{text}"[:200],
    )
    return dispatch


def _locked(dispatch: Dispatch) -> Dispatch:
    return Dispatch.objects.select_for_update().get(pk=dispatch.pk)


@transaction.atomic
def dispatch_reply(
    *, actor, dispatch: Dispatch, text: str, files=(), done: bool = False, on=None
) -> Dispatch:
    """The recipient replies (with files); `done` hands it in for the issuer's acceptance."""
    require(actor, perms.DISPATCH_REPLY)
    if not selectors.is_recipient(actor, dispatch):
        raise PermissionDenied(NOT_RECIPIENT)
    if not text.strip():
        raise ValidationError({"text": "请填写回复内容"})
    dispatch = _locked(dispatch)
    on = on or timezone.localdate()
    kind = EventKind.SUBMIT if done else EventKind.REPLY
    _step(actor=actor, dispatch=dispatch, kind=kind, on=on, text=text.strip(), files=files)
    verb = "报送办结" if done else "回复"
    notify(
        users=selectors.party_users(dispatch, "issuer"),
        rule="dispatch",
        title=f"{dispatch.recipient_label}已{verb}督办单{dispatch.number}",
        body=text.strip(),
        url=_url(dispatch),
    )
    return dispatch


def _verdict(*, actor, dispatch, kind, text, on) -> Dispatch:
    require(actor, perms.DISPATCH_ISSUE)
    if not selectors.is_issuer(actor, dispatch):
        raise PermissionDenied(NOT_ISSUER)
    dispatch = _locked(dispatch)
    on = on or timezone.localdate()
    _step(actor=actor, dispatch=dispatch, kind=kind, on=on, text=text.strip())
    word = "退回,请重新办理" if kind == EventKind.RETURN else "验收办结"
    notify(
        users=selectors.party_users(dispatch, "recipient"),
        rule="dispatch",
        title=f"督办单{dispatch.number}已{word}",
        body=text.strip(),
        url=_url(dispatch),
    )
    return dispatch


@transaction.atomic
def dispatch_return(*, actor, dispatch: Dispatch, text: str, on=None) -> Dispatch:
    """The issuer sends a handed-in 督办单 back with the reason."""
    if not text.strip():
        raise ValidationError({"text": "请填写退回原因"})
    return _verdict(actor=actor, dispatch=dispatch, kind=EventKind.RETURN, text=text, on=on)


@transaction.atomic
def dispatch_accept(*, actor, dispatch: Dispatch, text: str = "", on=None) -> Dispatch:
    """The issuer accepts a handed-in 督办单: it is closed (已办结)."""
    return _verdict(actor=actor, dispatch=dispatch, kind=EventKind.ACCEPT, text=text, on=on)


def dispatch_escalate(*, dispatch: Dispatch, on: date, notified=()) -> None:
    """Record that an overdue 督办单 was reported to the recipient's superior scope (called by
    the `dispatch_overdue` reminder, which has notified them). System action, no actor."""
    names = "、".join(sorted(u.display_name for u in notified)) or "(无接收人)"
    Dispatch.objects.filter(pk=dispatch.pk).update(escalated_on=on)
    DispatchEvent.objects.create(
        dispatch=dispatch,
        kind=EventKind.ESCALATE,
        on=on,
        text=f"逾期未办结,已提醒:{names}"[:1000],
        status_after=dispatch.status,
    )
