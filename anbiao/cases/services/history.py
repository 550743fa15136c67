"""Many cases at once, for the progress import: read the histories of a few hundred enterprises
in a few queries, and write the steps `steps.CaseHistory` planned for them with multi-row
INSERTs. The rules are the ones `record_step` applies to a single step (`anbiao/cases/steps.py`);
what is written — events, certificates, the case's stored state, one change-log entry per step
— is what recording the same steps one by one writes. See docs/cases.md, "Progress import"."""

from collections import defaultdict
from collections.abc import Iterable, Sequence

from django.db.models import Count, Max
from django.utils import timezone

from anbiao.accounts.access import actor_or_none
from anbiao.cases.choices import AssessmentKind, AssessmentStatus, EventKind
from anbiao.cases.models import Assessment, Case, CaseEvent, Certificate, Rectification
from anbiao.cases.steps import CaseHistory, PlannedStep
from anbiao.core import audit
from anbiao.core.models import ChangeLog
from anbiao.enterprises.models import Enterprise

CASE_FIELDS = ("state", "state_since", "flagged")  # what the change log compares, as sync_case
STORED = ("state", "state_since", "started_on", "flagged", "flag_reason", "updated_at")
Fingerprint = tuple


class HistoryChanged(RuntimeError):
    """The cases of a batch changed between the check and the write (someone recorded a step
    meanwhile): the batch is not written; the batches before it are, and importing the file
    again completes it (the import is idempotent)."""


def load_histories(enterprises: Sequence[Enterprise]) -> dict[int, CaseHistory]:
    """Enterprise id → the history of its current case (a new, unsaved 未开展 case when it has
    none), in four queries whatever the number (at most ~900 enterprises: SQLite's limit on
    query parameters)."""
    ids = [e.pk for e in enterprises]
    by_pk = {e.pk: e for e in enterprises}
    current: dict[int, Case] = {}
    case_enterprise: dict[int, int] = {}
    for case in Case.objects.filter(enterprise_id__in=ids).order_by("enterprise_id", "-cycle"):
        case_enterprise[case.pk] = case.enterprise_id
        if case.enterprise_id not in current:
            case.enterprise = by_pk[case.enterprise_id]
            current[case.enterprise_id] = case
    case_ids = [c.pk for c in current.values()]
    events: dict[int, list[CaseEvent]] = defaultdict(list)
    for event in CaseEvent.objects.filter(case_id__in=case_ids).order_by("id"):
        events[event.case_id].append(event)
    certificates: dict[int, list[Certificate]] = defaultdict(list)
    for certificate in Certificate.objects.filter(case__enterprise_id__in=ids).order_by("id"):
        certificates[case_enterprise[certificate.case_id]].append(certificate)
    reviews: dict[int, Assessment] = {}
    submitted = Assessment.objects.filter(
        case_id__in=case_ids, kind=AssessmentKind.REVIEW, status=AssessmentStatus.SUBMITTED
    ).order_by("-submitted_on", "-id")
    for assessment in submitted:
        reviews.setdefault(assessment.case_id, assessment)
    histories = {}
    for enterprise in enterprises:
        case = current.get(enterprise.pk) or Case(enterprise=enterprise, cycle=1)
        history = CaseHistory(
            case,
            events.get(case.pk, ()),
            certificates.get(enterprise.pk, ()),
            review=reviews.get(case.pk),
        )
        history.fingerprint = _fingerprint(
            case.pk, events.get(case.pk, ()), certificates.get(enterprise.pk, ())
        )
        histories[enterprise.pk] = history
    return histories


def _fingerprint(case_id, events: Iterable, certificates: Iterable) -> Fingerprint:
    events, certificates = list(events), list(certificates)
    return (
        case_id,
        len(events),
        max((e.pk for e in events), default=None),
        len(certificates),
        max((c.pk for c in certificates), default=None),
    )


def _current_fingerprints(enterprise_ids: list[int]) -> dict[int, Fingerprint]:
    """The same fingerprints, read again with the cases locked (PostgreSQL: a service call on
    one of them waits for the batch; SQLite: the batch already holds the write lock)."""
    current: dict[int, int] = {}
    cases = Case.objects.select_for_update().filter(enterprise_id__in=enterprise_ids)
    for enterprise_id, case_id in cases.order_by("enterprise_id", "-cycle").values_list(
        "enterprise_id", "id"
    ):
        current.setdefault(enterprise_id, case_id)
    events = {
        row["case_id"]: (row["n"], row["last"])
        for row in CaseEvent.objects.filter(case_id__in=list(current.values()))
        .values("case_id")
        .annotate(n=Count("id"), last=Max("id"))
    }
    certificates = {
        row["case__enterprise_id"]: (row["n"], row["last"])
        for row in Certificate.objects.filter(case__enterprise_id__in=enterprise_ids)
        .values("case__enterprise_id")
        .annotate(n=Count("id"), last=Max("id"))
    }
    prints = {}
    for enterprise_id in enterprise_ids:
        case_id = current.get(enterprise_id)
        prints[enterprise_id] = (
            case_id,
            *events.get(case_id, (0, None)),
            *certificates.get(enterprise_id, (0, None)),
        )
    return prints


def write_planned(planned: Sequence[tuple[CaseHistory, list[PlannedStep]]], *, actor) -> None:
    """Write steps planned on histories loaded by `load_histories` (and applied to them), inside
    the caller's transaction: new cases, events, certificates (a renewal after the certificate
    it renews), ended certificates, the cases' stored state and one change-log entry per step,
    as `record_step` writes them. Raises HistoryChanged when a case changed since it was read."""
    planned = [(history, steps) for history, steps in planned if steps]
    if not planned:
        return
    ids = [history.case.enterprise_id for history, _ in planned]
    now = _current_fingerprints(ids)
    if any(now[h.case.enterprise_id] != h.fingerprint for h, _ in planned):
        raise HistoryChanged(
            "导入期间有企业的创建进度被修改,本批未写入;请重新导入(已写入的不会重复写入)"
        )
    Case.objects.bulk_create([h.case for h, _ in planned if h.case.pk is None])
    events = [step.event for _, steps in planned for step in steps]
    for event in events:
        event.case_id = event.case.pk
    CaseEvent.objects.bulk_create(events)
    _write_certificates([s for _, steps in planned for s in steps])
    for _, steps in planned:
        for step in steps:
            event = step.event
            if event.kind == EventKind.REVIEW_FAIL and event.assessment_id:
                Rectification.objects.filter(
                    assessment_id=event.assessment_id, event__isnull=True
                ).update(event=event)
    _write_cases_and_log(planned, actor=actor)


def _write_certificates(steps: list[PlannedStep]) -> None:
    """New certificates in generations (a renewal refers to the certificate it renews, which
    may be new in the same batch), then the stored ones a step ended."""
    pending = [s.certificate for s in steps if s.certificate is not None]
    for certificate in pending:
        certificate.case_id = certificate.case.pk
        certificate.event_id = certificate.event.pk
    while pending:
        ready = [c for c in pending if c.replaces is None or c.replaces.pk is not None]
        for certificate in ready:
            certificate.replaces_id = certificate.replaces.pk if certificate.replaces else None
            if certificate.end_event is not None:
                certificate.end_event_id = certificate.end_event.pk
        Certificate.objects.bulk_create(ready)
        pending = [c for c in pending if c.pk is None]
    ended = {id(s.ends): s.ends for s in steps if s.ends is not None and s.ends.pk is not None}
    for certificate in ended.values():
        certificate.end_event_id = certificate.end_event.pk
    if ended:
        Certificate.objects.bulk_update(
            list(ended.values()), ["ended_on", "end_kind", "end_reason", "end_event"]
        )


def _write_cases_and_log(planned, *, actor) -> None:
    """Each case's state after each step, for its change-log entry (the diff `sync_case`
    writes), then the final state once per case."""
    actor = actor_or_none(actor)
    stamp = timezone.now()
    logs: list[ChangeLog] = []
    for history, steps in planned:
        case = history.case
        for step in steps:
            before = audit.snapshot(case, CASE_FIELDS)
            for name, value in step.after.items():
                setattr(case, name, value)
            logs.append(
                audit.entry(
                    actor=actor,
                    action=ChangeLog.Action.STATUS,
                    instance=case,
                    enterprise=case.enterprise,
                    changes=audit.diff(case, before),
                    note=f"{EventKind(step.event.kind).label} {step.event.on.isoformat()}",
                )
            )
        case.updated_at = stamp
    Case.objects.bulk_update([h.case for h, _ in planned], STORED)
    ChangeLog.objects.bulk_create(logs)
