"""Scoped reads of cases. Every read a user triggers comes through here."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import (
    BooleanField,
    Count,
    DateField,
    DecimalField,
    Exists,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from anbiao.accounts import permissions as perms
from anbiao.accounts.access import in_scope
from anbiao.accounts.choices import Role
from anbiao.cases import certificates, conf, scoring
from anbiao.cases import transitions as rules
from anbiao.cases.choices import (
    AssessmentKind,
    AssessmentStatus,
    CaseState,
    CertificateStatus,
    EventKind,
    RectificationStatus,
    Verdict,
)
from anbiao.cases.filters import BoardFilter
from anbiao.cases.independence import consulted
from anbiao.cases.models import (
    Assessment,
    Case,
    CaseEvent,
    Certificate,
    EvidenceFile,
    ItemScore,
    Rectification,
)
from anbiao.core.pagination import GroupedRows
from anbiao.enterprises.models import Enterprise
from anbiao.enterprises.selectors import LIST_ORDER, in_list_order


def visible_enterprises(user, action: str = "view") -> QuerySet[Enterprise]:
    """Enterprises whose cases `user` may `action` (none without the permission)."""
    return Enterprise.objects.restrict(user, f"case.{action}")


def enterprise_get(*, user, pk: int, action: str = "view") -> Enterprise:
    enterprise = (
        visible_enterprises(user, action).select_related("region", "region__parent").filter(pk=pk)
    ).first()
    if enterprise is None:
        raise Http404("企业不存在或不在您的管辖范围内")
    return enterprise


def annotate_board(qs: QuerySet[Enterprise]) -> QuerySet[Enterprise]:
    """Each enterprise with its current case and latest certificate, in one query."""
    case = Case.objects.filter(enterprise=OuterRef("pk")).order_by("-cycle")
    cert = Certificate.objects.filter(case__enterprise=OuterRef("pk"), void=False).order_by(
        "-issued_on", "-id"
    )
    score = Assessment.objects.filter(
        case__enterprise=OuterRef("pk"), status=AssessmentStatus.SUBMITTED
    ).order_by("-submitted_on", "-id")
    open_items = Rectification.objects.filter(
        case__enterprise=OuterRef("pk"), status=RectificationStatus.OPEN
    )
    # The current case's state is the enterprise's own column `case_state` (kept by triggers,
    # cases/current_state.py): the board's counts group by it without a lookup per enterprise.
    return qs.annotate(
        case_since=Subquery(case.values("state_since")[:1], output_field=DateField()),
        case_flagged=Coalesce(
            Subquery(case.values("flagged")[:1]), Value(False), output_field=BooleanField()
        ),
        cert_number=Subquery(cert.values("number")[:1]),
        cert_grade=Subquery(cert.values("grade")[:1]),
        cert_issued=Subquery(cert.values("issued_on")[:1], output_field=DateField()),
        cert_expires=Subquery(cert.values("expires_on")[:1], output_field=DateField()),
        cert_ended=Subquery(cert.values("ended_on")[:1], output_field=DateField()),
        cert_end_kind=Subquery(cert.values("end_kind")[:1]),
        last_score=Subquery(
            score.values("score")[:1], output_field=DecimalField(max_digits=4, decimal_places=1)
        ),
        last_score_kind=Subquery(score.values("kind")[:1]),
        has_open_rectifications=Exists(open_items),
    )


def board(*, user, params) -> tuple[BoardFilter, QuerySet[Enterprise]]:
    """(filterset, filtered enterprises with case columns), sorted as asked or in LIST_ORDER."""
    base = annotate_board(visible_enterprises(user).select_related("region", "region__parent"))
    filterset = BoardFilter(params, base, user=user)
    qs = filterset.qs
    if not params.get("ordering"):
        qs = qs.order_by(*LIST_ORDER)
    return filterset, qs


@dataclass
class BoardTally:
    """The board's rows counted once: per region in the list's order, for the paginator
    (`GroupedRows`), and per state, the state filter aside, for the state cards."""

    groups: list[tuple[int, int]]
    counts: dict[str, int]

    @property
    def total(self) -> int:
        """Every enterprise the filters select, whatever its state."""
        return sum(self.counts.values())


def board_tally(filterset: BoardFilter) -> BoardTally:
    """One grouped statement over the filtered enterprises (the state filter aside): rows per
    (region, state). The state cards add up its rows by state; the paginator's groups are its
    rows by region, of the asked state only when one is asked, so a state-filtered page needs
    no second count."""
    filtered = filterset.qs_without_state()
    # COUNT(*), not COUNT(id): the index on (region, case_state) answers it without the table.
    rows = Count("pk", distinct=True) if filtered.query.distinct else Count("*")
    counted = (
        filtered.order_by()
        .values_list("region_id", "case_state")
        .annotate(rows=rows, order_key=Max("region__path"))
    )
    asked = filterset.asked_state()
    counts: dict[str, int] = defaultdict(int)
    regions: dict[int, list] = {}
    for region_id, state, rows, order_key in counted:
        counts[state] += rows
        if not asked or state == asked:
            regions.setdefault(region_id, [order_key, 0])[1] += rows
    groups = [
        (region_id, rows)
        for region_id, (_, rows) in sorted(regions.items(), key=lambda item: item[1][0])
    ]
    return BoardTally(groups=groups, counts=dict(counts))


def board_rows(
    qs: QuerySet[Enterprise], params, tally: BoardTally
) -> QuerySet[Enterprise] | GroupedRows:
    """The board's rows for a paginator: in the default order, read region by region with the
    tally's groups (no count of their own)."""
    return qs if params.get("ordering") else in_list_order(qs, groups=tally.groups)


@dataclass
class BoardCertificate:
    status: str
    label: str


def certificate_status_of_row(row, on: date | None = None) -> BoardCertificate | None:
    """Certificate status of an annotated board row (no query)."""
    if not row.cert_number:
        return None
    on = on or timezone.localdate()
    cert = Certificate(
        issued_on=row.cert_issued,
        expires_on=row.cert_expires,
        ended_on=row.cert_ended,
        end_kind=row.cert_end_kind or "",
    )
    status = certificates.status_on(cert, on, successor=None)
    return BoardCertificate(status, CertificateStatus(status).label)


# --- One case -------------------------------------------------------------------------


@dataclass
class CaseView:
    enterprise: Enterprise
    case: Case | None
    progress: rules.Progress
    events: list
    certificates: list
    assessments: list
    rectifications: list
    evidence: list
    allowed_kinds: list
    current_certificate: Certificate | None

    @property
    def next_kind(self) -> str | None:
        """The step the case waits for: the one primary button of the 下一步 card."""
        return rules.next_kind(self.progress.state, self.progress.certified_before)


def case_of(*, user, enterprise: Enterprise) -> Case | None:
    """The enterprise's current case, if it has one (the enterprise is already scoped)."""
    return (
        Case.objects.restrict(user, "view").filter(enterprise=enterprise).order_by("-cycle").first()
    )


def case_view(*, user, enterprise: Enterprise, on: date | None = None) -> CaseView:
    on = on or timezone.localdate()
    case = case_of(user=user, enterprise=enterprise)
    if case is None:
        return CaseView(enterprise, None, rules.Progress(), [], [], [], [], [], _kinds(None), None)
    events = list(
        case.events.select_related("actor", "reverses", "assessment")
        .prefetch_related("evidence")
        .order_by("on", "id")
    )
    reversed_ids = {e.reverses_id for e in events if e.reverses_id}
    for event in events:
        event.is_reversed = event.pk in reversed_ids
    certs = list(case.certificates.select_related("replaces", "event"))
    current = None
    for cert in certs:
        successor = next((c for c in certs if c.replaces_id == cert.pk), None)
        cert.status = certificates.status_on(cert, on, successor=successor)
        cert.status_label = CertificateStatus(cert.status).label
        cert.grade_name = conf.grade_name(cert.grade)
        if current is None and certificates.is_current(cert.status):
            current = cert
    assessments = list(
        case.assessments.select_related("standard", "agency", "submitted_by")
        .prefetch_related("experts")
        .order_by("-created_at", "-id")
    )
    for a in assessments:
        a.grade_name = conf.grade_name(a.grade) if a.grade else ""
        a.editable = can_edit(user, a)
    progress = rules.replay(events)
    return CaseView(
        enterprise=enterprise,
        case=case,
        progress=progress,
        events=list(reversed(events)),
        certificates=certs,
        assessments=assessments,
        rectifications=list(case.rectifications.select_related("item").all()),
        evidence=list(case.evidence.select_related("uploaded_by", "event").all()),
        allowed_kinds=_kinds(progress),
        current_certificate=current,
    )


def _kinds(progress):
    progress = progress or rules.Progress()
    return [
        (k, EventKind(k).label)
        for k in rules.allowed_kinds(progress.state, progress.certified_before)
    ]


def progress_of(case: Case) -> rules.Progress:
    """The case's progress replayed from its events."""
    return rules.replay(case.events.all())


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
        return consulted(actor.agency, assessment.case.enterprise) and in_scope(
            actor, assessment.case
        )
    return in_scope(actor, assessment.case)


def assessment_result(assessment: Assessment) -> scoring.Result:
    """The running result. In a draft an item nobody answered yet counts in `unanswered` and
    earns nothing: the score is only given once every item is answered. (Assessments submitted
    before items had verdicts listed only their deductions: a missing item there is 符合.)"""
    saved = {s.item_id: s for s in assessment.scores.all()}
    lines = []
    for item in assessment.standard.items.all():
        s = saved.get(item.pk)
        answered = bool(s and s.verdict) or not assessment.is_draft
        lines.append(
            scoring.Line(
                points=item.points,
                deducted=s.deducted if s else Decimal(0),
                not_applicable=bool(s and s.not_applicable),
                veto_failed=bool(s and s.veto_failed),
                answered=answered,
            )
        )
    return scoring.compute(lines)


def incomplete_items(assessment: Assessment) -> list[str]:
    """What keeps a draft from being submitted: items not answered yet, a 扣分 without its
    points, and a deduction, 空项 or veto failure without its reason."""
    missing = []
    saved = {s.item_id: s for s in assessment.scores.all()}
    unanswered = [
        item.code
        for item in assessment.standard.items.all()
        if not (saved.get(item.pk) and saved[item.pk].verdict)
    ]
    if unanswered:
        shown = "、".join(unanswered[:8]) + ("等" if len(unanswered) > 8 else "")
        missing.append(f"{len(unanswered)} 项尚未评定({shown})")
    for s in assessment.scores.select_related("item").order_by("item__sort_order"):
        if s.verdict == Verdict.DEDUCT and s.deducted <= 0 and not s.veto_failed:
            missing.append(f"第{s.item.code}项选择了扣分但未填写扣分分值")
        if (s.deducted > 0 or s.not_applicable or s.veto_failed) and not s.reason:
            what = "空项" if s.not_applicable else "扣分"
            missing.append(f"第{s.item.code}项{what}未填写理由")
    return missing


def kinds_for(user, allowed_kinds, *, grading: bool) -> list[tuple[str, str]]:
    """The allowed next steps a user may record on the page they use: the 定级部门's decisions
    on the grading page; every step on the station's page (decisions there are 街道代录)."""
    if grading:
        if not perms.has_perm(user, perms.CASE_GRADE):
            return []
        return [(k, label) for k, label in allowed_kinds if k in rules.GRADING_KINDS]
    return list(allowed_kinds)


def self_assessment_action(*, user, case_view: CaseView) -> dict | None:
    """What the user may do about self-evaluation now: start, continue, or nothing."""
    if not perms.has_perm(user, perms.CASE_SELF_ASSESS):
        return None
    if perms.has_perm(user, perms.CASE_MANAGE):
        return None  # the station records a paper self-evaluation as a step instead
    if user.role == Role.AGENCY:
        if not consulted(user.agency, case_view.enterprise):
            return None
    state = case_view.progress.state
    for a in case_view.assessments:
        if a.kind in (AssessmentKind.SELF, AssessmentKind.ANNUAL) and a.is_draft:
            return {"kind": a.kind, "label": f"继续{a.get_kind_display()}", "assessment": a}
    if state == CaseState.CERTIFIED:
        return {"kind": AssessmentKind.ANNUAL, "label": "开始年度自评", "assessment": None}
    if state in rules.TRANSITIONS[EventKind.SELF_ASSESSED][0]:
        return {"kind": AssessmentKind.SELF, "label": "开始自评", "assessment": None}
    return None


# --- Assessments, evidence, rectifications -------------------------------------------


def assessment_get(*, user, pk: int) -> Assessment:
    assessment = (
        Assessment.objects.restrict(user, "view")
        .select_related("case__enterprise__region", "standard", "agency")
        .filter(pk=pk)
        .first()
    )
    if assessment is None:
        raise Http404("评定不存在或不在您的管辖范围内")
    return assessment


def assessment_rows(assessment: Assessment):
    """(element, [(item, score, self_score)]) grouped by 二级要素, in the standard's order.
    For a review, `self_score` is the same item in the case's latest submitted self-evaluation."""
    scores = {s.item_id: s for s in assessment.scores.prefetch_related("evidence")}
    compare = {}
    if assessment.kind == AssessmentKind.REVIEW:
        own = (
            Assessment.objects.filter(
                case=assessment.case,
                kind=AssessmentKind.SELF,
                status=AssessmentStatus.SUBMITTED,
                standard=assessment.standard,
            )
            .order_by("-submitted_on", "-id")
            .first()
        )
        if own is not None:
            compare = {s.item_id: s for s in ItemScore.objects.filter(assessment=own)}
            assessment.compared_with = own
    groups = []
    current = None
    items = assessment.standard.items.select_related("element", "element__parent")
    for item in items:
        if current is None or current[0].pk != item.element_id:
            current = (item.element, [])
            groups.append(current)
        current[1].append((item, scores.get(item.pk), compare.get(item.pk)))
    return groups


def evidence_get(*, user, pk: int) -> EvidenceFile:
    evidence = EvidenceFile.objects.restrict(user, "view").filter(pk=pk).first()
    if evidence is None:
        raise Http404("文件不存在或不在您的管辖范围内")
    return evidence


def rectification_get(*, user, pk: int) -> Rectification:
    item = (
        Rectification.objects.restrict(user, "manage")
        .select_related("case__enterprise")
        .filter(pk=pk)
        .first()
    )
    if item is None:
        raise Http404("整改项不存在或不在您的管辖范围内")
    return item


def my_reviews(*, user) -> QuerySet[Assessment]:
    """Draft reviews assigned to an agency or expert user, with the day each was assigned
    (its 开始评审 step: the row may have been created on another day)."""
    assigned = CaseEvent.objects.filter(
        assessment=OuterRef("pk"), kind=EventKind.REVIEW_START
    ).values("on")[:1]
    qs = (
        Assessment.objects.restrict(user, "view")
        .filter(kind=AssessmentKind.REVIEW, status=AssessmentStatus.DRAFT)
        .annotate(assigned_on=Subquery(assigned))
    )
    if user.role == Role.AGENCY:
        return qs.filter(agency_id=user.agency_id)
    if user.role == Role.EXPERT:
        return qs.filter(experts=user)
    return qs.none()


def standards_list(*, user) -> QuerySet:
    """Every version of every grading standard, for the admin's standards page."""
    from anbiao.accounts.access import require
    from anbiao.cases.models import Standard

    require(user, perms.STANDARD_MANAGE)
    return Standard.objects.annotate(item_count=Count("items")).order_by("code", "-version")


@dataclass
class ReviewerDesk:
    """A reviewer's reviews: those waiting for them (oldest first, with the deadline) and the
    latest they submitted. Dates are those of the case: the day the review was assigned."""

    waiting: list
    done: list


def reviewer_desk(*, user, on: date | None = None, done_limit: int = 10) -> ReviewerDesk:
    """The reviews assigned to an expert (or to the user's agency) within their scope."""
    on = on or timezone.localdate()
    mine = Q(experts=user.pk)
    if user.agency_id:
        mine |= Q(agency_id=user.agency_id)
    assigned = CaseEvent.objects.filter(
        assessment=OuterRef("pk"), kind=EventKind.REVIEW_START
    ).values("on")[:1]
    reviews = (
        Assessment.objects.restrict(user, "view")
        .filter(mine, kind=AssessmentKind.REVIEW)
        .distinct()
        .annotate(assigned_on=Subquery(assigned))
        .select_related("case__enterprise__region", "agency")
    )
    days = conf.review_days()
    waiting = list(reviews.filter(status=AssessmentStatus.DRAFT).order_by("assigned_on", "pk"))
    for review in waiting:
        start = review.assigned_on or review.created_at.date()
        review.due_on = start + timedelta(days=days)
        review.days_left = (review.due_on - on).days
    done = list(
        reviews.filter(status=AssessmentStatus.SUBMITTED).order_by("-submitted_on", "-pk")[
            :done_limit
        ]
    )
    for review in done:
        review.grade_name = conf.grade_name(review.grade) if review.grade else ""
    return ReviewerDesk(waiting=waiting, done=done)
