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
from anbiao.cases.certificates import add_months, default_expiry
from anbiao.cases.choices import EventKind, PublicityOutcome
from anbiao.cases.models import Assessment, Case, CaseEvent, Certificate, Standard
from anbiao.cases.selectors import progress_of
from anbiao.core import audit
from anbiao.core.models import ChangeLog
from anbiao.enterprises.models import Enterprise

CERTIFICATE_KINDS = (EventKind.CERTIFICATE, EventKind.RENEWAL)
# Steps that write a new certificate row: issue, renew, replace by a lower grade, extend.
ISSUING_KINDS = (*CERTIFICATE_KINDS, EventKind.DOWNGRADE, EventKind.EXTEND)
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
    """待重新评审: a slide or revocation not yet followed by a new certificate. A downgrade is
    the grading authority's answer to a slide, so it clears the flag like any new certificate."""
    flagged, reason = False, ""
    for event in rules.effective(events):
        if event.kind in (EventKind.SLIDE, EventKind.REVOKE):
            flagged, reason = True, f"{event.get_kind_display()}:{event.note}"[:200]
        elif event.kind in ISSUING_KINDS:
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
    for ladder in Standard.objects.exclude(grades=[]).values_list("grades", flat=True):
        by_name.update({g["name"]: g["code"] for g in ladder})  # standards' own grades
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


def check_step(case: Case, kind: str, on: date) -> rules.Progress:
    """The case's progress after `kind` on `on`, or a ValidationError saying why not."""
    if on > today():
        raise ValidationError({"on": "日期不能晚于今天"})
    try:
        return rules.advance(progress_of(case), kind, on)
    except rules.IllegalStep as exc:
        field = "on" if isinstance(exc, rules.OutOfOrder) else "kind"
        raise ValidationError({field: str(exc)}) from exc


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
    proxy_for: str = "",
    ends_on: date | None = None,
    outcome: str = "",
) -> CaseEvent:
    """Append one event after checking it against the table; no permission check here.

    `proxy_for` names the grading authority whose decision a station enters (街道代录);
    `ends_on` and `outcome` are a 公示's last day and result."""
    note = (note or "").strip()
    if on > today():
        raise ValidationError({"on": "日期不能晚于今天"})
    after = check_step(case, kind, on)
    if kind in REASON_REQUIRED and not note:
        raise ValidationError({"note": f"记录“{EventKind(kind).label}”须在备注中写明原因"})
    if kind == EventKind.REVIEW_PASS:
        grade = check_grade(grade or (assessment.grade if assessment else ""))
        if not grade and source != "import":  # history may not have kept it: 等级未记录
            raise ValidationError({"grade": "评审通过须填写评定等级"})
    score = _score(score)
    if score is None and assessment is not None:
        score = assessment.score
    held = last_certificate(case)
    if kind in ISSUING_KINDS:
        certificate = _check_certificate(
            case=case, kind=kind, on=on, certificate=certificate, held=held
        )
    if kind == EventKind.PUBLICITY:
        ends_on, outcome = _check_publicity(on, ends_on, outcome)
    else:
        ends_on, outcome = None, ""
    event = CaseEvent.objects.create(
        case=case,
        kind=kind,
        on=on,
        actor=actor_or_none(actor),
        note=note[:500],
        state_after=after.state,
        assessment=assessment,
        grade=certificate.grade
        if certificate
        else (grade if kind == EventKind.REVIEW_PASS else ""),
        score=score,
        source=source,
        proxy_for=(proxy_for or "").strip()[:100],
        ends_on=ends_on,
        outcome=outcome,
    )
    if kind in END_KINDS and held is not None and held.ended_on is None:
        held.ended_on, held.end_kind, held.end_reason = on, END_KINDS[kind], note[:200]
        held.end_event = event
        held.save()
    if kind in ISSUING_KINDS:
        Certificate.objects.create(
            case=case,
            event=event,
            number=certificate.number,
            grade=certificate.grade,
            issuer=certificate.issuer.strip(),
            issued_on=on,
            expires_on=certificate.expires_on,
            replaces=predecessor(case.enterprise),
        )
    elif kind == EventKind.REVIEW_FAIL and assessment is not None:
        assessment.rectifications.filter(event__isnull=True).update(event=event)
    sync_case(case, actor=actor, note=f"{EventKind(kind).label} {on.isoformat()}")
    return event


def predecessor(enterprise: Enterprise) -> Certificate | None:
    """The certificate a new one of `enterprise` succeeds: its latest certificate not yet
    succeeded, in any case of the enterprise, whether recorded as 取得证书 or 换发证书 and
    whether or not it has lapsed. A revoked certificate is not renewed: the enterprise
    created again, so its next certificate starts a new line."""
    return (
        Certificate.objects.filter(case__enterprise=enterprise, void=False, successor__isnull=True)
        .exclude(end_kind="revoked")
        .order_by("-issued_on", "-id")
        .first()
    )


def _lower_grades(code: str) -> list[str]:
    codes = [r.code for r in conf.grade_rules()]  # highest first
    return codes[codes.index(code) + 1 :] if code in codes else []


def _check_certificate(
    *, case: Case, kind: str, on: date, certificate: CertificateData | None, held
) -> CertificateData:
    """The certificate a step writes, completed and checked: number, grade, validity."""
    certificate = certificate or CertificateData(number="")
    certificate.number = certificate.number.strip()
    if kind in CERTIFICATE_KINDS:
        _check_publicity_passed(case, on)
        certificate.grade = check_grade(certificate.grade or _last_pass_grade(case))
        if not certificate.grade:
            raise ValidationError({"grade": "发证须填写证书等级"})
        certificate.expires_on = certificate.expires_on or default_expiry(on)
    elif held is None or held.ended_on:
        raise ValidationError({"kind": "当前没有有效证书"})
    elif kind == EventKind.DOWNGRADE:
        certificate.grade = check_grade(certificate.grade)
        lower = _lower_grades(held.grade)
        if not lower:
            raise ValidationError(
                {"grade": f"“{conf.grade_name(held.grade)}”已是最低等级,不能降级"}
            )
        if certificate.grade not in lower:
            names = "、".join(conf.grade_name(c) for c in lower)
            raise ValidationError({"grade": f"降级后的等级须低于原等级(可选:{names})"})
        certificate.expires_on = certificate.expires_on or held.expires_on
    else:  # 延期
        years = conf.extension_years(held.grade)
        if not years:
            raise ValidationError(
                {"kind": f"等级规则不允许“{conf.grade_name(held.grade)}”证书延期,须重新评审换证"}
            )
        certificate.grade = held.grade
        certificate.number = certificate.number or held.number
        certificate.expires_on = certificate.expires_on or add_months(held.expires_on, 12 * years)
        certificate.issuer = certificate.issuer or held.issuer
    if not certificate.number:
        raise ValidationError({"number": "发证须填写证书编号"})
    if certificate.expires_on <= on:
        raise ValidationError({"expires_on": "有效期至须晚于发证日期"})
    clash = Certificate.objects.filter(number=certificate.number, void=False)
    if kind == EventKind.EXTEND:
        clash = clash.exclude(pk=held.pk)  # an extension keeps the certificate's number
    if clash.exists():
        raise ValidationError({"number": f"证书编号“{certificate.number}”已登记"})
    return certificate


def _check_publicity(on: date, ends_on: date | None, outcome: str) -> tuple[date, str]:
    if ends_on is None:
        raise ValidationError({"ends_on": "请填写公示截止日期"})
    if ends_on < on:
        raise ValidationError({"ends_on": "公示截止日期不能早于公示开始日期"})
    outcome = outcome or PublicityOutcome.PENDING
    if outcome not in PublicityOutcome.values:
        raise ValidationError({"outcome": f"公示结果“{outcome}”无效"})
    return ends_on, outcome


def _check_publicity_passed(case: Case, on: date) -> None:
    """When the passed review was put to 公示, the certificate waits for its end and needs no
    objection. 公示 is optional: without one the certificate may follow the review at once."""
    last = None
    for event in rules.effective(case.events.all()):
        if event.kind == EventKind.REVIEW_PASS:
            last = None
        elif event.kind == EventKind.PUBLICITY:
            last = event
    if last is None:
        return
    if last.outcome == PublicityOutcome.OBJECTION:
        raise ValidationError({"kind": "公示有异议,不能发证;请处理异议后重新公示或重新评审"})
    if on < last.ends_on or (last.outcome == PublicityOutcome.PENDING and on == last.ends_on):
        raise ValidationError(
            {"on": f"公示期至 {last.ends_on.isoformat()},发证日期须在公示期结束之后"}
        )
