"""The one step recorder behind every case write: it checks a step against the transition
table (`transitions.TRANSITIONS`), writes the event and the certificate rows it implies, and
stores the replayed state. The public services (events, assessments, certificates) check the
actor's permission and scope, then call `record_step`; it checks no permission itself."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils import timezone

from anbiao.accounts.access import actor_or_none
from anbiao.cases import conf, scoring
from anbiao.cases import transitions as rules
from anbiao.cases.certificates import default_expiry
from anbiao.cases.choices import EventKind
from anbiao.cases.models import Assessment, Case, CaseEvent, Certificate
from anbiao.cases.selectors import progress_of
from anbiao.core import audit
from anbiao.core.models import ChangeLog
from anbiao.enterprises.models import Enterprise

CERTIFICATE_KINDS = (EventKind.CERTIFICATE, EventKind.RENEWAL)
END_KINDS = {EventKind.REVOKE: "revoked", EventKind.DOWNGRADE: "downgraded"}
REASON_REQUIRED = (EventKind.REVOKE, EventKind.DOWNGRADE, EventKind.SLIDE, EventKind.REVIEW_FAIL)


def today() -> date:
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


def _flag_from(events) -> tuple[bool, str]:
    """待重新评审: a slide, revocation or downgrade not yet followed by a new certificate."""
    flagged, reason = False, ""
    for event in rules.effective(events):
        if event.kind in (EventKind.SLIDE, EventKind.REVOKE, EventKind.DOWNGRADE):
            flagged, reason = True, f"{event.get_kind_display()}:{event.note}"[:200]
        elif event.kind in CERTIFICATE_KINDS:
            flagged, reason = False, ""
    return flagged, reason


def sync_case(case: Case, *, actor, note: str) -> None:
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


def last_certificate(case: Case) -> Certificate | None:
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


def check_grade(grade: str, field: str = "grade") -> str:
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


def record_step(
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
    if on > today():
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
        grade = check_grade(grade or (assessment.grade if assessment else ""))
        if not grade:
            raise ValidationError({"grade": "评审通过须填写评定等级"})
    score = _score(score)
    if score is None and assessment is not None:
        score = assessment.score
    if kind in CERTIFICATE_KINDS:
        if certificate is None or not certificate.number.strip():
            raise ValidationError({"number": "发证须填写证书编号"})
        certificate.grade = check_grade(certificate.grade or _last_pass_grade(case))
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
        previous = last_certificate(case)
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
        held = last_certificate(case)
        if held is not None and held.ended_on is None:
            held.ended_on, held.end_kind, held.end_reason = on, END_KINDS[kind], note[:200]
            held.end_event = event
            held.save()
    elif kind == EventKind.REVIEW_FAIL and assessment is not None:
        assessment.rectifications.filter(event__isnull=True).update(event=event)
    sync_case(case, actor=actor, note=f"{EventKind(kind).label} {on.isoformat()}")
    return event
