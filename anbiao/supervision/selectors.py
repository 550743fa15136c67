"""Scoped reads of supervision: every list, detail and file goes through `restrict` (the data
scope) after the role permission is checked."""

from collections import Counter, defaultdict
from datetime import date

from django.db.models import Case, Count, IntegerField, Q, QuerySet, Value, When
from django.http import Http404
from django.utils import timezone

from anbiao.accounts import permissions as perms
from anbiao.accounts.access import require
from anbiao.core.parsing import parse_id, parse_int
from anbiao.enterprises.filters import search_q
from anbiao.enterprises.models import Enterprise
from anbiao.supervision.choices import (
    HazardLevel,
    HazardState,
    InspectionStatus,
    PlanEntryStatus,
    RiskColour,
)
from anbiao.supervision.models import (
    Checklist,
    ClassRecord,
    Hazard,
    HazardFile,
    Inspection,
    InspectionPhoto,
    InspectionPlan,
    PlanEntry,
    RiskPoint,
)


def _get(qs, pk, what: str):
    obj = qs.filter(pk=pk).first()
    if obj is None:
        raise Http404(f"{what}不存在或不在您的管辖范围内")
    return obj


def enterprises_for(user, perm: str = perms.SUPERVISION_VIEW) -> QuerySet[Enterprise]:
    require(user, perm)
    return Enterprise.objects.restrict(user, "view")


# --- hazards -----------------------------------------------------------------------------------

HAZARD_FILTERS = ("q", "level", "state", "overdue", "listed", "region", "year")


def hazard_list(*, user, params, on: date | None = None) -> QuerySet[Hazard]:
    """The hazards `user` may see, filtered by `params`: q (name/USCC/initials), level, state
    (or "open"), overdue=1 (open past the deadline), listed=1 (挂牌督办), year (found in)."""
    require(user, perms.HAZARD_VIEW)
    on = on or timezone.localdate()
    qs = Hazard.objects.restrict(user, "view").select_related("enterprise", "enterprise__region")
    text = (params.get("q") or "").strip()
    if text:
        qs = qs.filter(enterprise__in=Enterprise.objects.filter(search_q(text)).values("pk"))
    if params.get("level") in HazardLevel.values:
        qs = qs.filter(level=params["level"])
    state = params.get("state") or ""
    if state in HazardState.values:
        qs = qs.filter(state=state)
    elif state == "open":
        qs = qs.exclude(state=HazardState.CLOSED)
    if params.get("overdue") == "1":
        qs = qs.exclude(state=HazardState.CLOSED).filter(deadline__lt=on)
    if params.get("listed") == "1":
        qs = qs.filter(level=HazardLevel.MAJOR).exclude(state=HazardState.CLOSED)
    year = parse_int(params.get("year"), low=1950, high=2099)
    if year is not None:
        qs = qs.filter(found_on__year=year)
    return qs.order_by("-found_on", "-id")


def hazard_get(*, user, pk: int) -> Hazard:
    require(user, perms.HAZARD_VIEW)
    qs = Hazard.objects.restrict(user, "view").select_related(
        "enterprise", "enterprise__region", "inspection", "created_by"
    )
    return _get(qs, pk, "隐患")


def hazard_events(hazard: Hazard):
    return hazard.events.select_related("actor").prefetch_related("files").order_by("on", "id")


def hazard_file_get(*, user, pk: int) -> HazardFile:
    require(user, perms.HAZARD_VIEW)
    return _get(HazardFile.objects.restrict(user, "view"), pk, "文件")


def hazard_counts(qs: QuerySet[Hazard], on: date) -> dict:
    open_q = ~Q(state=HazardState.CLOSED)
    return qs.aggregate(
        total=Count("pk"),
        open=Count("pk", filter=open_q),
        overdue=Count("pk", filter=open_q & Q(deadline__lt=on)),
        listed=Count("pk", filter=open_q & Q(level=HazardLevel.MAJOR)),
    )


# --- inspections -------------------------------------------------------------------------------


def inspection_list(*, user, params) -> QuerySet[Inspection]:
    require(user, perms.INSPECTION_VIEW)
    qs = (
        Inspection.objects.restrict(user, "view")
        .select_related("enterprise", "checklist")
        .annotate(hazard_count=Count("hazards"))
    )
    text = (params.get("q") or "").strip()
    if text:
        qs = qs.filter(enterprise__in=Enterprise.objects.filter(search_q(text)).values("pk"))
    if params.get("status") in InspectionStatus.values:
        qs = qs.filter(status=params["status"])
    return qs.order_by("-inspected_on", "-id")


def inspection_get(*, user, pk: int) -> Inspection:
    require(user, perms.INSPECTION_VIEW)
    qs = Inspection.objects.restrict(user, "view").select_related(
        "enterprise", "enterprise__region", "checklist", "created_by"
    )
    return _get(qs, pk, "检查记录")


def inspection_rows(inspection: Inspection) -> list[dict]:
    """Every checklist item with its saved result and photos, grouped by section (in order)."""
    results = {r.item_id: r for r in inspection.results.all()}
    photos = defaultdict(list)
    for photo in inspection.photos.all():
        photos[photo.item_id].append(photo)
    sections: dict[str, list] = {}
    for item in inspection.checklist.items.all():
        sections.setdefault(item.section, []).append(
            {"item": item, "result": results.get(item.pk), "photos": photos.get(item.pk, [])}
        )
    return [{"name": name, "rows": rows} for name, rows in sections.items()]


def inspection_photo_get(*, user, pk: int) -> InspectionPhoto:
    require(user, perms.INSPECTION_VIEW)
    return _get(InspectionPhoto.objects.restrict(user, "view"), pk, "照片")


def checklists_for(enterprise: Enterprise) -> list[Checklist]:
    """The latest version of each checklist, those matching the enterprise's risk tags first."""
    latest = {}
    for checklist in Checklist.objects.order_by("code", "-version"):
        latest.setdefault(checklist.code, checklist)
    tags = set(enterprise.risk_tags.values_list("code", flat=True))
    return sorted(
        latest.values(),
        key=lambda c: (not (set(c.risk_tags) & tags), bool(c.risk_tags), c.name),
    )


# --- classes -----------------------------------------------------------------------------------


def class_rows(*, user, params, on: date) -> list[dict]:
    """Each enterprise in scope with its class on `on` and why (filter: klass, q)."""
    from anbiao.supervision.classes import classes_on

    qs = enterprises_for(user).filter(status="operating").select_related("region")
    text = (params.get("q") or "").strip()
    if text:
        qs = qs.filter(search_q(text))
    enterprises = list(qs.order_by("name_pinyin", "pk"))
    verdicts = classes_on([e.pk for e in enterprises], on)
    rows = [{"enterprise": e, "verdict": verdicts[e.pk]} for e in enterprises]
    klass = params.get("klass") or ""
    if klass:
        rows = [r for r in rows if r["verdict"].klass == klass]
    return rows


def class_history(*, user, enterprise: Enterprise) -> QuerySet[ClassRecord]:
    require(user, perms.SUPERVISION_VIEW, obj=enterprise)
    return enterprise.class_records.select_related("actor").order_by("-on", "-id")


# --- plans -------------------------------------------------------------------------------------


def plan_list(*, user) -> QuerySet[InspectionPlan]:
    require(user, perms.SUPERVISION_VIEW)
    return (
        InspectionPlan.objects.restrict(user, "view")
        .select_related("region")
        .annotate(entry_count=Count("entries"))
    )


def plan_get(*, user, pk: int) -> InspectionPlan:
    require(user, perms.SUPERVISION_VIEW)
    return _get(InspectionPlan.objects.restrict(user, "view").select_related("region"), pk, "计划")


def plan_rows(*, user, plan: InspectionPlan, on: date, params=None) -> list[PlanEntry]:
    """The plan's entries the user may see, each with `status` (done/due/overdue) on `on`.

    Per enterprise, its finished inspections of the year (up to `on`) tick off its planned
    inspections in month order; an unticked one is overdue once its month has ended."""
    params = params or {}
    entries = list(
        PlanEntry.objects.restrict(user, "view")
        .filter(plan=plan)
        .select_related("enterprise", "enterprise__region")
        .order_by("enterprise_id", "month", "id")
    )
    done = Counter(
        Inspection.objects.filter(
            enterprise_id__in={e.enterprise_id for e in entries},
            status=InspectionStatus.DONE,
            inspected_on__year=plan.year,
            inspected_on__lte=on,
        ).values_list("enterprise_id", flat=True)
    )
    seen: Counter = Counter()
    for entry in entries:
        seen[entry.enterprise_id] += 1
        month_over = (plan.year, entry.month) < (on.year, on.month)
        if seen[entry.enterprise_id] <= done[entry.enterprise_id]:
            entry.status = PlanEntryStatus.DONE
        else:
            entry.status = PlanEntryStatus.OVERDUE if month_over else PlanEntryStatus.DUE
        entry.status_label = PlanEntryStatus(entry.status).label
    if params.get("klass"):
        entries = [e for e in entries if e.klass == params["klass"]]
    if params.get("status") in PlanEntryStatus.values:
        entries = [e for e in entries if e.status == params["status"]]
    month = parse_int(params.get("month"), low=1, high=12)
    if month is not None:
        entries = [e for e in entries if e.month == month]
    return sorted(entries, key=lambda e: (e.month, e.enterprise.name_pinyin, e.pk))


def plan_summary(entries: list[PlanEntry]) -> list[dict]:
    """done / due / overdue per class."""
    table: dict[str, Counter] = defaultdict(Counter)
    for entry in entries:
        table[entry.klass][entry.status] += 1
        table[entry.klass]["total"] += 1
    return [{"klass": k, **table[k]} for k in sorted(table)]


# --- risk register -----------------------------------------------------------------------------


def risk_list(*, user, params) -> QuerySet[RiskPoint]:
    require(user, perms.RISK_VIEW)
    qs = RiskPoint.objects.restrict(user, "view").select_related("enterprise", "enterprise__region")
    text = (params.get("q") or "").strip()
    if text:
        qs = qs.filter(
            Q(name__icontains=text)
            | Q(enterprise__in=Enterprise.objects.filter(search_q(text)).values("pk"))
        )
    if params.get("colour") in RiskColour.values:
        qs = qs.filter(colour=params["colour"])
    enterprise_id = parse_id(params.get("enterprise"))
    if enterprise_id is not None:
        qs = qs.filter(enterprise_id=enterprise_id)
    rank = Case(
        *(When(colour=c, then=Value(i)) for i, c in enumerate(RiskColour.values)),
        output_field=IntegerField(),
    )
    return (
        qs.filter(active=True)
        .annotate(colour_rank=rank)
        .order_by("enterprise__name_pinyin", "colour_rank", "name", "id")
    )


def risk_get(*, user, pk: int) -> RiskPoint:
    require(user, perms.RISK_VIEW)
    return _get(RiskPoint.objects.restrict(user, "view").select_related("enterprise"), pk, "风险点")


COLOUR_ORDER = [c for c, _ in RiskColour.choices]


def four_colour(qs: QuerySet[RiskPoint], by: str) -> list[dict]:
    """四色 summary: counts per colour, per enterprise or per 镇街 (a community's parent)."""
    table: dict[str, Counter] = defaultdict(Counter)
    fields = (
        ("enterprise__name",)
        if by == "enterprise"
        else (
            "enterprise__region__name",
            "enterprise__region__level",
            "enterprise__region__parent__name",
        )
    )
    for row in qs.order_by().values(*fields, "colour").annotate(n=Count("pk")):
        if by == "enterprise":
            name = row["enterprise__name"]
        elif row["enterprise__region__level"] == "community":
            name = row["enterprise__region__parent__name"]
        else:
            name = row["enterprise__region__name"]
        table[name][row["colour"]] += row["n"]
    return [
        {
            "name": name,
            "counts": [table[name][c] for c in COLOUR_ORDER],
            "total": sum(table[name].values()),
        }
        for name in sorted(table)
    ]
