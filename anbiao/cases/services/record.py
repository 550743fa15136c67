"""The one step recorder behind every case write: it checks a step against the transition
table (`transitions.TRANSITIONS`), writes the event and the certificate rows it implies, and
stores the replayed state. The public services (events, assessments, certificates) check the
actor's permission and scope, then call `record_step`; it checks no permission itself."""

from datetime import date

from django.core.exceptions import ValidationError
from django.utils import timezone

from anbiao.accounts.access import actor_or_none
from anbiao.cases import steps
from anbiao.cases import transitions as rules
from anbiao.cases.choices import EventKind
from anbiao.cases.models import Assessment, Case, CaseEvent, Certificate
from anbiao.cases.selectors import progress_of
from anbiao.core import audit
from anbiao.core.models import ChangeLog
from anbiao.enterprises.models import Enterprise

# The rules themselves live in `anbiao/cases/steps.py`; these names stay the services' surface.
CERTIFICATE_KINDS = steps.CERTIFICATE_KINDS
ISSUING_KINDS = steps.ISSUING_KINDS
END_KINDS = steps.END_KINDS
REASON_REQUIRED = steps.REASON_REQUIRED
CertificateData = steps.CertificateData


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


def last_certificate(case: Case) -> Certificate | None:
    return (
        case.certificates.filter(void=False)
        .select_related("event")
        .order_by("-issued_on", "-id")
        .first()
    )


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
    `ends_on` and `outcome` are a 公示's last day and result. The rules are
    `steps.CaseHistory.plan`, the same the progress import replays a file with."""
    history = steps.CaseHistory.of(case)
    step = history.plan(
        kind=kind,
        on=on,
        today=today(),
        names=steps.grade_names(),
        number_taken=_number_taken,
        actor_id=getattr(actor_or_none(actor), "pk", None),
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
    event = step.event
    event.save()
    history.apply(step)
    if step.ends is not None:
        step.ends.save()
    if step.certificate is not None:
        step.certificate.save()
    elif kind == EventKind.REVIEW_FAIL and assessment is not None:
        assessment.rectifications.filter(event__isnull=True).update(event=event)
    sync_case(case, actor=actor, note=f"{EventKind(kind).label} {on.isoformat()}")
    return event


def _number_taken(number: str, keeping: Certificate | None) -> bool:
    """Certificate numbers are unique among certificates that are not void (an extension keeps
    the number of the certificate it extends)."""
    clash = Certificate.objects.filter(number=number, void=False)
    if keeping is not None:
        clash = clash.exclude(pk=keeping.pk)
    return clash.exists()


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
