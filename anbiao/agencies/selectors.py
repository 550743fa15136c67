"""Scoped reads of agencies, experts, assignments and guidance records.

Who sees what (docs/agencies-benchmarks-training.md):
- The agency registry is district-wide reference data: every role with `agency.view` (admin,
  district, station, agency) sees every agency's name, qualifications and contacts.
- The expert registry and the workload view carry personal contacts and review loads: region
  roles only (`expert.view`: admin, district, station).
- Everything that names an enterprise (assignments, guidance records, reviews, counts of them)
  is filtered by the viewer's enterprise scope; an agency user sees only its own agency's
  assignments and guidance records.
"""

from django.apps import apps
from django.db.models import Count, IntegerField, Max, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from anbiao.accounts import permissions as perms
from anbiao.accounts.access import require
from anbiao.accounts.choices import Role
from anbiao.agencies.models import Agency, AgencyAssignment, Expert, GuidanceFile, GuidanceRecord
from anbiao.core.parsing import parse_id

VIEW_DENIED = "您没有查看机构与专家的权限"
EXPERTS_DENIED = "您没有查看专家库的权限"
WORKLOAD_DENIED = "您没有查看工作量统计的权限"


def _own_agency(user, qs: QuerySet, field: str = "agency_id") -> QuerySet:
    if user.role == Role.AGENCY:
        return qs.filter(**{field: user.agency_id})
    return qs


def _count(qs: QuerySet, group: str) -> Coalesce:
    """A correlated COUNT subquery (no join fan-out in the outer query)."""
    sub = qs.order_by().values(group).annotate(n=Count("pk")).values("n")[:1]
    return Coalesce(Subquery(sub, output_field=IntegerField()), Value(0))


def _active_assignments(user):
    today = timezone.localdate()
    return (
        AgencyAssignment.objects.restrict(user, "view")
        .filter(start_on__lte=today)
        .filter(Q(end_on__isnull=True) | Q(end_on__gte=today))
    )


def agency_list(*, user, params) -> QuerySet[Agency]:
    """The registry with, per agency, the enterprises it serves now and its guidance records
    (both counted within the viewer's scope)."""
    require(user, perms.AGENCY_VIEW, message=VIEW_DENIED)
    qs = Agency.objects.annotate(
        serving=_count(_active_assignments(user).filter(agency=OuterRef("pk")), "agency"),
        records=_count(
            GuidanceRecord.objects.restrict(user, "view").filter(agency=OuterRef("pk")),
            "agency",
        ),
    )
    text = (params.get("q") or "").strip()
    if text:
        qs = qs.filter(
            Q(name__icontains=text)
            | Q(qualification__icontains=text)
            | Q(contact_name__icontains=text)
        )
    status = params.get("status") or ""
    if status in Agency.Status.values:
        qs = qs.filter(status=status)
    specialty = params.get("specialty") or ""
    if specialty:
        qs = qs.filter(specialties__contains=specialty)
    return qs.order_by("name", "id")


def agency_get(*, user, pk: int) -> Agency:
    require(user, perms.AGENCY_VIEW, message=VIEW_DENIED)
    agency = Agency.objects.filter(pk=pk).first()
    if agency is None:
        raise Http404("机构不存在")
    return agency


def agency_assignments(*, user, agency: Agency) -> QuerySet[AgencyAssignment]:
    qs = AgencyAssignment.objects.restrict(user, "view").filter(agency=agency)
    qs = _own_agency(user, qs)
    return qs.select_related("enterprise", "enterprise__region").order_by("-start_on", "id")


def assignment_get(*, user, pk: int) -> AgencyAssignment:
    item = (
        _own_agency(user, AgencyAssignment.objects.restrict(user, "view"))
        .select_related("agency", "enterprise")
        .filter(pk=pk)
        .first()
    )
    if item is None:
        raise Http404("技术服务指派不存在或不在您的管辖范围内")
    return item


def guidance_list(*, user, params) -> QuerySet[GuidanceRecord]:
    require(user, perms.AGENCY_VIEW, message=VIEW_DENIED)
    qs = _own_agency(user, GuidanceRecord.objects.restrict(user, "view"))
    qs = qs.select_related("agency", "enterprise", "enterprise__region").annotate(
        file_count=Count("files")
    )
    if params.get("agency") == "station":  # the station's own 服务指导
        qs = qs.filter(agency__isnull=True)
    agency = parse_id(params.get("agency"))  # None for "abc" or 99999999999999999999
    if agency is not None:
        qs = qs.filter(agency_id=agency)
    enterprise = parse_id(params.get("enterprise"))
    if enterprise is not None:
        qs = qs.filter(enterprise_id=enterprise)
    text = (params.get("q") or "").strip()
    if text:
        qs = qs.filter(
            Q(enterprise__name__icontains=text)
            | Q(enterprise__uscc__icontains=text.upper())
            | Q(enterprise__name_initials__contains=text.lower())
            | Q(content__icontains=text)
            | Q(station_name__icontains=text)
            | Q(issues__icontains=text)
        )
    return qs.order_by("-visited_on", "-id")


def guidance_get(*, user, pk: int) -> GuidanceRecord:
    require(user, perms.AGENCY_VIEW, message=VIEW_DENIED)
    record = (
        _own_agency(user, GuidanceRecord.objects.restrict(user, "view"))
        .select_related("agency", "enterprise", "enterprise__region", "recorded_by")
        .filter(pk=pk)
        .first()
    )
    if record is None:
        raise Http404("技术服务记录不存在或不在您的管辖范围内")
    return record


def guidance_file_get(*, user, pk: int) -> GuidanceFile:
    require(user, perms.AGENCY_VIEW, message=VIEW_DENIED)
    qs = _own_agency(user, GuidanceFile.objects.restrict(user, "view"), "record__agency_id")
    item = qs.filter(pk=pk).first()
    if item is None:
        raise Http404("文件不存在或不在您的管辖范围内")
    return item


def _assessments():
    """Reviews (评审) are a cases model and cases sits above agencies (it assigns agencies and
    experts to reviews), so the model is named through the app registry, not imported."""
    return apps.get_model("cases", "Assessment").objects


def _reviews(user) -> QuerySet:
    return _assessments().restrict(user, "view").filter(kind="review")


def expert_list(*, user, params) -> QuerySet[Expert]:
    """The expert registry with each expert's reviews (within the viewer's scope)."""
    require(user, perms.EXPERT_VIEW, message=EXPERTS_DENIED)
    reviews = _reviews(user).filter(experts=OuterRef("user_id"))
    qs = Expert.objects.select_related("agency", "user").annotate(
        review_count=_count(reviews.values("experts"), "experts"),
        last_review=Subquery(reviews.order_by("-created_at").values("created_at")[:1]),
    )
    text = (params.get("q") or "").strip()
    if text:
        qs = qs.filter(
            Q(name__icontains=text)
            | Q(employer__icontains=text)
            | Q(qualification__icontains=text)
            | Q(phone__contains=text)
        )
    status = params.get("status") or ""
    if status in Expert.Status.values:
        qs = qs.filter(status=status)
    specialty = params.get("specialty") or ""
    if specialty:
        qs = qs.filter(specialties__contains=specialty)
    return qs.order_by("name", "id")


def expert_get(*, user, pk: int) -> Expert:
    require(user, perms.EXPERT_VIEW, message=EXPERTS_DENIED)
    expert = Expert.objects.select_related("agency", "user", "enterprise").filter(pk=pk).first()
    if expert is None:
        raise Http404("专家不存在")
    return expert


def expert_reviews(*, user, expert: Expert) -> QuerySet:
    if not expert.user_id:
        return _assessments().none()
    # The day the review was assigned is the date of its 开始评审 step, not the row's creation
    # (a review entered later, or by the demo, was created on another day).
    assigned = (
        apps.get_model("cases", "CaseEvent")
        .objects.filter(assessment=OuterRef("pk"), kind="review_start")
        .values("on")[:1]
    )
    return (
        _reviews(user)
        .filter(experts=expert.user_id)
        .annotate(assigned_on=Subquery(assigned))
        .select_related("case__enterprise", "agency")
        .order_by("-created_at")
    )


def workload(*, user) -> dict:
    """Enterprises per agency (serving now, ever, guidance records, reviews) and reviews per
    expert, counted within the viewer's scope."""
    require(user, perms.EXPERT_VIEW, message=WORKLOAD_DENIED)
    assignments = AgencyAssignment.objects.restrict(user, "view")
    records = GuidanceRecord.objects.restrict(user, "view")
    agencies = Agency.objects.annotate(
        serving=_count(_active_assignments(user).filter(agency=OuterRef("pk")), "agency"),
        ever=Coalesce(
            Subquery(
                assignments.filter(agency=OuterRef("pk"))
                .order_by()
                .values("agency")
                .annotate(n=Count("enterprise", distinct=True))
                .values("n")[:1],
                output_field=IntegerField(),
            ),
            Value(0),
        ),
        records=_count(records.filter(agency=OuterRef("pk")), "agency"),
        last_visit=Subquery(
            records.filter(agency=OuterRef("pk")).order_by("-visited_on").values("visited_on")[:1]
        ),
        reviews=_count(_reviews(user).filter(agency=OuterRef("pk")), "agency"),
    ).order_by("-serving", "name")
    reviews = _reviews(user).filter(experts=OuterRef("user_id"))
    experts = (
        Expert.objects.select_related("agency")
        .annotate(
            review_count=_count(reviews.values("experts"), "experts"),
            open_reviews=_count(reviews.filter(status="draft").values("experts"), "experts"),
            last_review=Subquery(reviews.order_by("-created_at").values("created_at")[:1]),
        )
        .order_by("-review_count", "name")
    )
    unregistered = (
        _reviews(user)
        .filter(experts__isnull=False)
        .exclude(experts__expert_profile__isnull=False)
        .aggregate(n=Max("pk"))
    )
    return {"agencies": agencies, "experts": experts, "has_unregistered": bool(unregistered["n"])}
