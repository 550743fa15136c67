"""Writes of training: sessions, attendance (one by one or from a sign-in sheet), materials.
Each function is one transaction, checks permission and scope, and writes the change log."""

from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from anbiao.accounts import permissions as perms
from anbiao.accounts.access import actor_or_none, require
from anbiao.accounts.scope import regions_for
from anbiao.core import audit
from anbiao.core.evidence import check_upload
from anbiao.core.models import ChangeLog
from anbiao.training.models import (
    ENTERPRISE_ROLES,
    Attendance,
    Session,
    SessionFile,
    SessionKind,
    TraineeRole,
)

SESSION_FIELDS = (
    "topic",
    "kind",
    "held_on",
    "hours",
    "region",
    "organiser",
    "trainer",
    "place",
    "materials",
    "note",
)


MANAGE_DENIED = "您没有管理培训的权限"


def _check_session(actor, session: Session) -> None:
    require(actor, perms.TRAINING_MANAGE, message=MANAGE_DENIED)
    if actor is not None and not Session.objects.restrict(actor, "view").filter(pk=session.pk):
        raise PermissionDenied("该培训不在您的管辖范围内")


def _validate(session: Session, actor) -> None:
    if actor is not None and not regions_for(actor).filter(pk=session.region_id).exists():
        raise ValidationError({"region": "组织区域不在您的管辖范围内"})
    if session.kind not in SessionKind.values:
        raise ValidationError({"kind": "培训形式无效"})
    if session.hours is not None and not (Decimal("0") < session.hours <= Decimal("99")):
        raise ValidationError({"hours": "学时应大于0且不超过99"})
    session.topic = session.topic.strip()
    if not session.topic:
        raise ValidationError({"topic": "请填写培训主题"})
    if not session.organiser.strip():
        raise ValidationError({"organiser": "请填写组织单位"})


def _attach(actor, session: Session, uploads) -> None:
    for upload in uploads or ():
        checked = check_upload(upload)
        SessionFile.store(checked, uploaded_by=actor_or_none(actor), session=session)


@transaction.atomic
def session_create(*, actor, data: dict, files=()) -> Session:
    """Register a training session (宣贯/培训/现场会/观摩)."""
    require(actor, perms.TRAINING_MANAGE, message=MANAGE_DENIED)
    session = Session(**{k: v for k, v in data.items() if k in SESSION_FIELDS})
    session.created_by = actor_or_none(actor)
    _validate(session, actor)
    session.save()
    _attach(actor, session, files)
    audit.record(actor=actor_or_none(actor), action=ChangeLog.Action.CREATE, instance=session)
    return session


@transaction.atomic
def session_update(*, actor, session: Session, data: dict, files=()) -> list[dict]:
    _check_session(actor, session)
    session = Session.objects.select_for_update().get(pk=session.pk)
    before = audit.snapshot(session, SESSION_FIELDS)
    for key in SESSION_FIELDS:
        if key in data:
            setattr(session, key, data[key])
    _validate(session, actor)
    if (
        session.attendances.exclude(enterprise__isnull=True)
        .exclude(enterprise__region__path__startswith=session.region.path)
        .exists()
    ):
        raise ValidationError({"region": "已有参训企业不在新的组织区域内"})
    session.save()
    _attach(actor, session, files)
    changes = audit.diff(session, before)
    if changes or files:
        audit.record(
            actor=actor_or_none(actor),
            action=ChangeLog.Action.UPDATE,
            instance=session,
            changes=changes,
            note="上传培训材料" if files else "",
        )
    return changes


def check_attendee(session: Session, *, name: str, role: str, enterprise, unit: str) -> dict:
    """Field errors of one attendee (empty: fine), without the duplicate check."""
    errors: dict[str, str] = {}
    if not name.strip():
        errors["name"] = "请填写姓名"
    if role not in TraineeRole.values:
        errors["role"] = "岗位类别无效"
    elif role in ENTERPRISE_ROLES and enterprise is None:
        errors["enterprise"] = f"{TraineeRole(role).label}须填写所在企业"
    if enterprise is not None and not enterprise.region.path.startswith(session.region.path):
        errors["enterprise"] = f"企业“{enterprise.name}”不在本次培训的组织区域({session.region})内"
    return errors


def _new_attendance(session, *, name, role, enterprise=None, unit="", position="", phone=""):
    name, unit = name.strip(), unit.strip()
    return Attendance(
        session=session,
        name=name,
        role=role,
        enterprise=enterprise,
        unit=unit if enterprise is None else (unit or enterprise.name),
        position=position.strip(),
        phone=phone.strip(),
        person_key=Attendance.key_for(name, enterprise.pk if enterprise else None, unit),
    )


@transaction.atomic
def attendance_add(
    *,
    actor,
    session: Session,
    name: str,
    role: str,
    enterprise=None,
    unit: str = "",
    position: str = "",
    phone: str = "",
) -> Attendance:
    """Record one person at a session."""
    _check_session(actor, session)
    errors = check_attendee(session, name=name, role=role, enterprise=enterprise, unit=unit)
    if errors:
        raise ValidationError(errors)
    attendance = _new_attendance(
        session,
        name=name,
        role=role,
        enterprise=enterprise,
        unit=unit,
        position=position,
        phone=phone,
    )
    if session.attendances.filter(person_key=attendance.person_key).exists():
        raise ValidationError({"name": f"“{attendance.name}”已在本次培训的签到名单中"})
    attendance.save()
    audit.record(
        actor=actor_or_none(actor),
        action=ChangeLog.Action.CREATE,
        instance=attendance,
        enterprise=enterprise,
        note=f"参加培训:{session.topic}",
    )
    return attendance


@transaction.atomic
def attendance_bulk_add(*, actor, session: Session, people: list[dict]) -> int:
    """Record many people at once (the sign-in sheet import); rows are already validated and
    free of duplicates. Returns the number added."""
    rows = _bulk_rows(actor, session, people)
    Attendance.objects.bulk_create(rows, batch_size=500)
    audit.record(
        actor=actor_or_none(actor),
        action=ChangeLog.Action.UPDATE,
        instance=session,
        note=f"导入签到表:{len(rows)}人",
    )
    return len(rows)


def attendance_bulk_check(*, actor, session: Session, people: list[dict]) -> int:
    """What `attendance_bulk_add` would add, by its rules, writing nothing (the sign-in sheet
    import's check): the number of people; raises what it would raise."""
    return len(_bulk_rows(actor, session, people))


def _bulk_rows(actor, session: Session, people: list[dict]) -> list[Attendance]:
    _check_session(actor, session)
    return [_new_attendance(session, **person) for person in people]


@transaction.atomic
def attendance_remove(*, actor, attendance: Attendance) -> None:
    """Take a person off a session's list (a sign-in recorded by mistake)."""
    _check_session(actor, attendance.session)
    audit.record(
        actor=actor_or_none(actor),
        action=ChangeLog.Action.DELETE,
        instance=attendance,
        enterprise=attendance.enterprise,
        note=f"移出培训签到名单:{attendance.session.topic}",
    )
    attendance.delete()
