"""Writes of a case's dated steps: record one, or cancel the latest by a reversing event."""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction

from anbiao.accounts import permissions as perms
from anbiao.accounts.access import actor_or_none, require
from anbiao.cases import transitions as rules
from anbiao.cases.choices import AssessmentKind, AssessmentStatus, EventKind, RectificationStatus
from anbiao.cases.models import Assessment, CaseEvent, Certificate, Rectification
from anbiao.cases.services.record import (
    CertificateData,
    check_step,
    current_case,
    record_step,
    sync_case,
    today,
)
from anbiao.enterprises.models import Enterprise

MANUAL_KINDS = tuple(k for k in rules.TRANSITIONS if k not in (EventKind.ANNUAL,))


@transaction.atomic
def case_record_event(
    *,
    actor,
    enterprise: Enterprise,
    kind: str,
    on: date,
    note: str = "",
    grade: str = "",
    score=None,
    certificate: CertificateData | None = None,
    assessment: Assessment | None = None,
    source: str = "manual",
    proxy_for: str = "",
    ends_on: date | None = None,
    outcome: str = "",
) -> CaseEvent:
    """Record one dated step of the enterprise's case.

    Station officers record the enterprise's own steps. Grading decisions (review results, 公示,
    certificates, downgrades, revocations, 延期) are the 定级部门's; a station records one only on
    its behalf — `proxy_for` names the deciding authority (街道代录) — or from the history import,
    where the row's issuer (else "历史导入") is named."""
    proxy_for = (proxy_for or "").strip()
    if kind == EventKind.CORRECTION:
        raise ValidationError({"kind": "更正请使用“撤回上一条记录”"})
    grading = kind in rules.GRADING_KINDS and perms.has_perm(actor, perms.CASE_GRADE)
    if grading:
        require(actor, perms.CASE_GRADE, obj=enterprise, message="您没有记录定级结果的权限")
        proxy_for = ""  # the grading authority records its own decision
    else:
        require(actor, perms.CASE_MANAGE, obj=enterprise, message="您没有记录创建进度的权限")
    case = current_case(enterprise, lock=True)
    check_step(case, kind, on)  # an impossible step is explained before who may record it
    if not grading:
        if actor is not None and kind in rules.GRADING_KINDS and not proxy_for:
            if source != "import":
                raise ValidationError(
                    {
                        "proxy_for": "评审结果、发证、降级、撤销、延期和公示由定级部门决定;"
                        "街道代录须写明决定单位"
                    }
                )
            proxy_for = (certificate.issuer.strip() if certificate else "") or "历史导入"
    if assessment is None and kind in (EventKind.REVIEW_PASS, EventKind.REVIEW_FAIL):
        assessment = (
            case.assessments.filter(kind=AssessmentKind.REVIEW, status=AssessmentStatus.SUBMITTED)
            .order_by("-submitted_on", "-id")
            .first()
        )
    return record_step(
        actor=actor,
        case=case,
        kind=kind,
        on=on,
        note=note,
        grade=grade,
        score=score,
        certificate=certificate,
        assessment=assessment,
        source=source,
        proxy_for=proxy_for,
        ends_on=ends_on,
        outcome=outcome,
    )


@transaction.atomic
def case_correct_last(*, actor, enterprise: Enterprise, note: str) -> CaseEvent:
    """Cancel the latest effective event by a reversing event (history is never edited)."""
    require(actor, perms.CASE_MANAGE, obj=enterprise, message="您没有更正创建进度的权限")
    if not (note or "").strip():
        raise ValidationError({"note": "撤回须写明原因"})
    case = current_case(enterprise, lock=True)
    effective = rules.effective(case.events.all())
    if not effective:
        raise ValidationError({"note": "没有可以撤回的记录"})
    target = effective[-1]
    remaining = rules.replay([e for e in case.events.all() if e.pk != target.pk])
    correction = CaseEvent.objects.create(
        case=case,
        kind=EventKind.CORRECTION,
        on=max(today(), target.on),
        actor=actor_or_none(actor),
        note=note.strip()[:500],
        state_after=remaining.state,
        reverses=target,
    )
    Certificate.objects.filter(event=target).update(void=True, replaces=None)
    Certificate.objects.filter(end_event=target).update(
        ended_on=None, end_kind="", end_reason="", end_event=None
    )
    Rectification.objects.filter(event=target, status=RectificationStatus.OPEN).update(
        status=RectificationStatus.CLOSED, closed_on=today(), close_note="对应评审结果已撤回"
    )
    sync_case(case, actor=actor, note=f"撤回“{target.get_kind_display()}”:{note.strip()}")
    return correction
