"""Writes to cases. Each function is keyword-only and one transaction; it checks the actor's
permission and scope, applies the state rules of `transitions.TRANSITIONS` (the one table),
and writes the change log. `actor=None` is the system (imports, jobs, demo)."""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from anbiao.accounts import permissions as perms
from anbiao.accounts.access import actor_or_none, in_scope, require
from anbiao.accounts.choices import Role
from anbiao.cases import conf, independence, scoring, standards
from anbiao.cases import transitions as rules
from anbiao.cases.certificates import default_expiry
from anbiao.cases.choices import (
    AssessmentKind,
    AssessmentStatus,
    CaseState,
    EventKind,
    RectificationStatus,
)
from anbiao.cases.models import (
    Assessment,
    Case,
    CaseEvent,
    Certificate,
    EvidenceFile,
    ItemScore,
    Rectification,
    StandardItem,
)
from anbiao.core import audit
from anbiao.core.evidence import check_upload
from anbiao.core.models import ChangeLog
from anbiao.core.parsing import parse_decimal
from anbiao.enterprises.models import Enterprise

MANUAL_KINDS = tuple(k for k in rules.TRANSITIONS if k not in (EventKind.ANNUAL,))
CERTIFICATE_KINDS = (EventKind.CERTIFICATE, EventKind.RENEWAL)
END_KINDS = {EventKind.REVOKE: "revoked", EventKind.DOWNGRADE: "downgraded"}
REASON_REQUIRED = (EventKind.REVOKE, EventKind.DOWNGRADE, EventKind.SLIDE, EventKind.REVIEW_FAIL)


def _today() -> date:
    return timezone.localdate()


def current_case(enterprise: Enterprise, *, lock: bool = False) -> Case:
    """The enterprise's current case (its latest cycle), created 未开展 when it has none."""
    qs = Case.objects.select_for_update() if lock else Case.objects
    case = qs.filter(enterprise=enterprise).order_by("-cycle").first()
    if case is None:
        case = Case.objects.create(enterprise=enterprise, cycle=1)
        if lock:
            case = Case.objects.select_for_update().get(pk=case.pk)
    return case


def progress_of(case: Case) -> rules.Progress:
    return rules.replay(case.events.all())


def _flag_from(events) -> tuple[bool, str]:
    """待重新评审: a slide, revocation or downgrade not yet followed by a new certificate."""
    flagged, reason = False, ""
    for event in rules.effective(events):
        if event.kind in (EventKind.SLIDE, EventKind.REVOKE, EventKind.DOWNGRADE):
            flagged, reason = True, f"{event.get_kind_display()}:{event.note}"[:200]
        elif event.kind in CERTIFICATE_KINDS:
            flagged, reason = False, ""
    return flagged, reason


def _sync_case(case: Case, *, actor, note: str) -> None:
    """Store the state replayed from the events (never set by hand) and log the change."""
    events = list(case.events.all())
    before = audit.snapshot(case, ("state", "state_since", "flagged"))
    progress = rules.replay(events)
    case.state = progress.state
    case.state_since = progress.last_on
    effective = rules.effective(events)
    starts = [e.on for e in effective]
    case.started_on = starts[0] if starts else None
    case.flagged, case.flag_reason = _flag_from(events)
    case.save()
    audit.record(
        actor=actor_or_none(actor),
        action=ChangeLog.Action.STATUS,
        instance=case,
        enterprise=case.enterprise,
        changes=audit.diff(case, before),
        note=note,
    )


@dataclass
class CertificateData:
    number: str
    grade: str = ""
    issuer: str = ""
    expires_on: date | None = None


def _last_certificate(case: Case) -> Certificate | None:
    return (
        case.certificates.filter(void=False)
        .select_related("event")
        .order_by("-issued_on", "-id")
        .first()
    )


def _last_pass_grade(case: Case) -> str:
    event = (
        case.events.filter(kind=EventKind.REVIEW_PASS, reversed_by__isnull=True)
        .order_by("-on", "-id")
        .first()
    )
    return event.grade if event else ""


def _check_grade(grade: str, field: str = "grade") -> str:
    """The grade's code; people may also write its name (小微达标 for micro)."""
    by_name = {r.name: r.code for r in conf.grade_rules()}
    codes = set(by_name.values())
    grade = by_name.get(grade, grade)
    if grade and grade not in codes:
        names = "、".join(by_name)
        raise ValidationError({field: f"等级“{grade}”不在本地等级规则中(可选:{names})"})
    return grade


def _score(value) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        score = Decimal(str(value))
    except InvalidOperation as exc:
        raise ValidationError({"score": f"得分“{value}”不是数字"}) from exc
    if not Decimal(0) <= score <= Decimal(100):
        raise ValidationError({"score": "得分为百分制,须在 0 到 100 之间"})
    return scoring.one_decimal(score)


def _record(
    *,
    actor,
    case: Case,
    kind: str,
    on: date,
    note: str = "",
    grade: str = "",
    score=None,
    certificate: CertificateData | None = None,
    assessment: Assessment | None = None,
    source: str = "manual",
) -> CaseEvent:
    """Append one event after checking it against the table; no permission check here."""
    note = (note or "").strip()
    if on > _today():
        raise ValidationError({"on": "日期不能晚于今天"})
    progress = progress_of(case)
    try:
        after = rules.advance(progress, kind, on)
    except rules.IllegalStep as exc:
        field = "on" if isinstance(exc, rules.OutOfOrder) else "kind"
        raise ValidationError({field: str(exc)}) from exc
    if kind in REASON_REQUIRED and not note:
        raise ValidationError({"note": f"记录“{EventKind(kind).label}”须在备注中写明原因"})
    if kind == EventKind.REVIEW_PASS:
        grade = _check_grade(grade or (assessment.grade if assessment else ""))
        if not grade:
            raise ValidationError({"grade": "评审通过须填写评定等级"})
    score = _score(score)
    if score is None and assessment is not None:
        score = assessment.score
    if kind in CERTIFICATE_KINDS:
        if certificate is None or not certificate.number.strip():
            raise ValidationError({"number": "发证须填写证书编号"})
        certificate.grade = _check_grade(certificate.grade or _last_pass_grade(case))
        if not certificate.grade:
            raise ValidationError({"grade": "发证须填写证书等级"})
        certificate.expires_on = certificate.expires_on or default_expiry(on)
        if certificate.expires_on <= on:
            raise ValidationError({"expires_on": "有效期至须晚于发证日期"})
        clash = Certificate.objects.filter(number=certificate.number.strip(), void=False)
        if clash.exists():
            raise ValidationError({"number": f"证书编号“{certificate.number}”已登记"})
    event = CaseEvent.objects.create(
        case=case,
        kind=kind,
        on=on,
        actor=actor_or_none(actor),
        note=note[:500],
        state_after=after.state,
        assessment=assessment,
        grade=grade if kind in (EventKind.REVIEW_PASS, *CERTIFICATE_KINDS) else "",
        score=score,
        source=source,
    )
    if kind in CERTIFICATE_KINDS:
        previous = _last_certificate(case)
        replaces = None
        if kind == EventKind.RENEWAL and previous is not None:
            replaces = previous if not hasattr(previous, "successor") else None
        event.grade = certificate.grade
        event.save(update_fields=["grade"])
        Certificate.objects.create(
            case=case,
            event=event,
            number=certificate.number.strip(),
            grade=certificate.grade,
            issuer=certificate.issuer.strip(),
            issued_on=on,
            expires_on=certificate.expires_on,
            replaces=replaces,
        )
    elif kind in END_KINDS:
        held = _last_certificate(case)
        if held is not None and held.ended_on is None:
            held.ended_on, held.end_kind, held.end_reason = on, END_KINDS[kind], note[:200]
            held.end_event = event
            held.save()
    elif kind == EventKind.REVIEW_FAIL and assessment is not None:
        assessment.rectifications.filter(event__isnull=True).update(event=event)
    _sync_case(case, actor=actor, note=f"{EventKind(kind).label} {on.isoformat()}")
    return event


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
) -> CaseEvent:
    """Record one dated step of the enterprise's case (station officers; the system)."""
    require(actor, perms.CASE_MANAGE, obj=enterprise, message="您没有记录创建进度的权限")
    if kind == EventKind.CORRECTION:
        raise ValidationError({"kind": "更正请使用“撤回上一条记录”"})
    case = current_case(enterprise, lock=True)
    if assessment is None and kind in (EventKind.REVIEW_PASS, EventKind.REVIEW_FAIL):
        assessment = (
            case.assessments.filter(kind=AssessmentKind.REVIEW, status=AssessmentStatus.SUBMITTED)
            .order_by("-submitted_on", "-id")
            .first()
        )
    return _record(
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
        on=max(_today(), target.on),
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
        status=RectificationStatus.CLOSED, closed_on=_today(), close_note="对应评审结果已撤回"
    )
    _sync_case(case, actor=actor, note=f"撤回“{target.get_kind_display()}”:{note.strip()}")
    return correction


# --- Assessments ------------------------------------------------------------------------


def can_edit(actor, assessment: Assessment) -> bool:
    """Whether `actor` may score this draft assessment (no exception; for templates too)."""
    if actor is None:
        return True
    if assessment.status != AssessmentStatus.DRAFT:
        return False
    if assessment.kind == AssessmentKind.REVIEW:
        if not perms.has_perm(actor, perms.CASE_REVIEW):
            return False
        if actor.role == Role.STATION:
            return in_scope(actor, assessment.case)
        if actor.role == Role.AGENCY:
            return bool(actor.agency_id) and assessment.agency_id == actor.agency_id
        return assessment.experts.filter(pk=actor.pk).exists()
    if not perms.has_perm(actor, perms.CASE_SELF_ASSESS):
        return False
    if actor.role == Role.AGENCY:
        return independence.consulted(actor.agency, assessment.case.enterprise) and (
            in_scope(actor, assessment.case)
        )
    return in_scope(actor, assessment.case)


def _check_edit(actor, assessment: Assessment) -> None:
    if assessment.status != AssessmentStatus.DRAFT:
        raise ValidationError("该评定已提交,不能再修改")
    if not can_edit(actor, assessment):
        raise PermissionDenied("您不能填写此评定")


@transaction.atomic
def assessment_start(*, actor, enterprise: Enterprise, kind: str) -> Assessment:
    """Begin (or resume: the open draft of that kind) a self- or annual self-evaluation."""
    if kind not in (AssessmentKind.SELF, AssessmentKind.ANNUAL):
        raise ValidationError({"kind": "评审由安监站指派评审机构或专家后开始"})
    require(actor, perms.CASE_SELF_ASSESS, obj=enterprise, message="您没有填写自评的权限")
    if (
        actor is not None
        and actor.role == Role.AGENCY
        and not independence.consulted(actor.agency, enterprise)
    ):
        raise PermissionDenied("只有为该企业提供技术服务的机构可以代为自评")
    case = current_case(enterprise, lock=True)
    draft = case.assessments.filter(kind=kind, status=AssessmentStatus.DRAFT).first()
    if draft is not None:
        return draft
    event_kind = EventKind.ANNUAL if kind == AssessmentKind.ANNUAL else EventKind.SELF_ASSESSED
    if case.state not in rules.TRANSITIONS[event_kind][0]:
        raise ValidationError(
            {"kind": f"当前状态为“{case.get_state_display()}”,不能开始{AssessmentKind(kind).label}"}
        )
    standard = standards.current(conf.default_standard_code())
    if standard is None:
        raise ValidationError({"kind": "尚未载入评定标准,请联系系统管理员"})
    assessment = Assessment.objects.create(
        case=case, kind=kind, standard=standard, created_by=actor_or_none(actor)
    )
    audit.record(
        actor=actor_or_none(actor),
        action=ChangeLog.Action.CREATE,
        instance=assessment,
        enterprise=enterprise,
    )
    return assessment


@transaction.atomic
def review_assign(
    *, actor, enterprise: Enterprise, on: date, agency=None, experts=(), note: str = ""
) -> Assessment:
    """Assign the review team of an applied case; refused when it is not independent."""
    require(actor, perms.CASE_MANAGE, obj=enterprise, message="您没有指派评审的权限")
    experts = list(experts)
    if agency is None and not experts:
        raise ValidationError({"agency": "请至少指定评审机构或一名评审专家"})
    problems = independence.reviewer_conflicts(
        agency=agency, experts=experts, enterprise=enterprise
    )
    if problems:
        raise ValidationError({"agency": problems})
    case = current_case(enterprise, lock=True)
    standard = standards.current(conf.default_standard_code())
    if standard is None:
        raise ValidationError({"agency": "尚未载入评定标准,请联系系统管理员"})
    assessment = Assessment.objects.create(
        case=case,
        kind=AssessmentKind.REVIEW,
        standard=standard,
        agency=agency,
        created_by=actor_or_none(actor),
    )
    assessment.experts.set(experts)
    team = "、".join([*([agency.name] if agency else []), *(e.display_name for e in experts)])
    _record(
        actor=actor,
        case=case,
        kind=EventKind.REVIEW_START,
        on=on,
        note=(f"评审组:{team}" + (f";{note.strip()}" if note.strip() else ""))[:500],
        assessment=assessment,
    )
    return assessment


def _decimal(value, field: str) -> Decimal:
    number = parse_decimal(value or 0, max_digits=6)  # finite: no NaN, inf or 1e999
    if number is None:
        raise ValidationError({field: f"“{str(value)[:20]}”不是有效的数字"})
    if number < 0:
        raise ValidationError({field: "扣分不能为负数"})
    if number != number.quantize(Decimal("0.1")):
        raise ValidationError({field: "扣分最多保留一位小数"})
    return number


@transaction.atomic
def assessment_save_item(
    *,
    actor,
    assessment: Assessment,
    item: StandardItem,
    deducted=0,
    not_applicable: bool = False,
    veto_failed: bool = False,
    reason: str = "",
) -> ItemScore:
    """Autosave one item of a draft. Incomplete input (a deduction without its reason yet) is
    kept; `assessment_submit` insists on completeness."""
    assessment = Assessment.objects.select_for_update().get(pk=assessment.pk)
    _check_edit(actor, assessment)
    if item.standard_id != assessment.standard_id:
        raise ValidationError({"item": "评定项不属于该评定所用的标准"})
    deducted = _decimal(deducted, "deducted")
    if not_applicable and not item.na_allowed:
        raise ValidationError({"not_applicable": f"第{item.code}项不允许标为空项"})
    if veto_failed and not item.veto:
        raise ValidationError({"veto_failed": f"第{item.code}项不是否决项"})
    score, _ = ItemScore.objects.get_or_create(assessment=assessment, item=item)
    score.deducted = Decimal(0) if not_applicable else deducted
    score.not_applicable = not_applicable
    score.veto_failed = veto_failed and not not_applicable
    score.reason = (reason or "").strip()[:300]
    score.updated_by = actor_or_none(actor)
    score.save()
    return score


def assessment_result(assessment: Assessment) -> scoring.Result:
    saved = {s.item_id: s for s in assessment.scores.all()}
    lines = []
    for item in assessment.standard.items.all():
        s = saved.get(item.pk)
        lines.append(
            scoring.Line(
                points=item.points,
                deducted=s.deducted if s else Decimal(0),
                not_applicable=bool(s and s.not_applicable),
                veto_failed=bool(s and s.veto_failed),
            )
        )
    return scoring.compute(lines)


def incomplete_items(assessment: Assessment) -> list[str]:
    """Items whose deduction, 空项 or veto failure lacks its reason."""
    missing = []
    for s in assessment.scores.select_related("item").order_by("item__sort_order"):
        if (s.deducted > 0 or s.not_applicable or s.veto_failed) and not s.reason:
            what = "空项" if s.not_applicable else "扣分"
            missing.append(f"第{s.item.code}项{what}未填写理由")
    return missing


@transaction.atomic
def assessment_submit(*, actor, assessment: Assessment, on: date | None = None) -> Assessment:
    """Score and close an assessment. A self-evaluation records 完成自评, an annual one 年度自评;
    a review proposes a grade and turns each deficiency into a rectification item."""
    assessment = Assessment.objects.select_for_update().get(pk=assessment.pk)
    _check_edit(actor, assessment)
    on = on or _today()
    missing = incomplete_items(assessment)
    if missing:
        raise ValidationError({"scores": missing})
    result = assessment_result(assessment)
    if result.score is None:
        raise ValidationError({"scores": "所有评定项都是空项,无法计算得分"})
    rule = scoring.grade_for(result.score, result.veto_failed)
    before = audit.snapshot(assessment, ("status", "score", "grade"))
    assessment.status = AssessmentStatus.SUBMITTED
    assessment.submitted_on, assessment.submitted_by = on, actor_or_none(actor)
    assessment.score, assessment.earned = result.score, result.earned
    assessment.applicable, assessment.veto_failed = result.applicable, result.veto_failed
    assessment.grade = rule.code if rule else ""
    assessment.save()
    case = Case.objects.select_for_update().get(pk=assessment.case_id)
    summary = f"得分 {result.score}" + (f",建议等级 {rule.name}" if rule else ",未达到达标线")
    if result.veto_failed:
        summary += ",存在否决项不符合"
    if assessment.kind == AssessmentKind.REVIEW:
        due = on + timedelta(days=conf.rectification_days())
        rows = [
            Rectification(
                case=case,
                assessment=assessment,
                item=s.item,
                description=f"{s.item.code} {s.reason}"[:300],
                due_on=due,
            )
            for s in assessment.scores.select_related("item").order_by("item__sort_order")
            if (s.deducted > 0 or s.veto_failed) and not s.not_applicable
        ]
        Rectification.objects.bulk_create(rows)
    else:
        kind = (
            EventKind.ANNUAL
            if assessment.kind == AssessmentKind.ANNUAL
            else EventKind.SELF_ASSESSED
        )
        _record(actor=actor, case=case, kind=kind, on=on, note=summary, assessment=assessment)
    audit.record(
        actor=actor_or_none(actor),
        action=ChangeLog.Action.STATUS,
        instance=assessment,
        enterprise=case.enterprise,
        changes=audit.diff(assessment, before),
        note=summary,
    )
    return assessment


@transaction.atomic
def rectification_close(*, actor, rectification: Rectification, on: date, note: str) -> None:
    """Close (销项) a rectification item after checking the enterprise fixed it."""
    require(
        actor, perms.CASE_MANAGE, obj=rectification.case.enterprise, message="您没有整改销项的权限"
    )
    if rectification.status == RectificationStatus.CLOSED:
        raise ValidationError({"note": "该整改项已销项"})
    if not (note or "").strip():
        raise ValidationError({"note": "请填写整改情况"})
    if on > _today():
        raise ValidationError({"on": "日期不能晚于今天"})
    before = audit.snapshot(rectification, ("status", "closed_on"))
    rectification.status = RectificationStatus.CLOSED
    rectification.closed_on, rectification.closed_by = on, actor_or_none(actor)
    rectification.close_note = note.strip()[:300]
    rectification.save()
    audit.record(
        actor=actor_or_none(actor),
        action=ChangeLog.Action.STATUS,
        instance=rectification,
        enterprise=rectification.case.enterprise,
        changes=audit.diff(rectification, before),
        note=note.strip(),
    )


# --- Evidence ---------------------------------------------------------------------------


@transaction.atomic
def evidence_add(
    *, actor, enterprise: Enterprise, upload, event=None, item_score=None
) -> EvidenceFile:
    """Check an uploaded file by its content and size, store it, attach it to the case."""
    require(actor, perms.CASE_UPLOAD, obj=enterprise, message="您没有上传证明材料的权限")
    checked = check_upload(upload)
    case = current_case(enterprise, lock=True)
    if event is not None and event.case_id != case.pk:
        raise ValidationError({"file": "事件不属于该企业"})
    if item_score is not None:
        if item_score.assessment.case_id != case.pk:
            raise ValidationError({"file": "评定项不属于该企业"})
        _check_edit(actor, item_score.assessment)
    evidence = EvidenceFile.store(
        checked, uploaded_by=actor_or_none(actor), case=case, event=event, item_score=item_score
    )
    audit.record(
        actor=actor_or_none(actor),
        action=ChangeLog.Action.CREATE,
        instance=evidence,
        enterprise=enterprise,
        note=f"上传证明材料 {checked.name}",
    )
    return evidence


# --- Jobs -------------------------------------------------------------------------------


@transaction.atomic
def expire_certificates(*, on: date | None = None) -> int:
    """Record 证书过期 for certified cases whose certificate ran out without a successor.
    Run daily (`anbiao expire-certificates`); returns the number of cases changed."""
    on = on or _today()
    changed = 0
    cases = Case.objects.filter(state=CaseState.CERTIFIED).select_related("enterprise")
    for case in cases.select_for_update():
        held = _last_certificate(case)
        if held is None or held.expires_on >= on or held.ended_on:
            continue
        last = progress_of(case).last_on
        day = max(held.expires_on + timedelta(days=1), last or held.expires_on)
        _record(
            actor=None,
            case=case,
            kind=EventKind.EXPIRE,
            on=min(day, on),
            note=f"证书 {held.number} 于 {held.expires_on.isoformat()} 到期未换证",
            source="job",
        )
        changed += 1
    return changed
