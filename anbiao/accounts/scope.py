"""Data scope: the one place that decides which enterprises (and so which records hanging off
them) a user may see. Every list, detail, edit, export and download goes through here, via
`ScopedQuerySet.restrict` (anbiao/core/querysets.py).

accounts sits below every domain app (docs/architecture.md), so the domain models this module
filters through (Enterprise, Assessment) are named through the app registry, not imported.
"""

from django.apps import apps
from django.db.models import Q, QuerySet
from django.utils import timezone

from anbiao.accounts.choices import REGION_ROLES, Role
from anbiao.accounts.models import DepartmentIndustry, Region

NOTHING = Q(pk__in=[])


def enterprise_scope_q(user, prefix: str = "", *, regional: bool = False) -> Q:
    """A filter selecting the enterprises `user` may see.

    `prefix` is the lookup path from the queried model to its enterprise, ending in "__"
    ("" when querying Enterprise itself, "enterprise__" for records that belong to one).
    `regional` marks a record owned by a region rather than an enterprise (a survey round, a
    training session): it has no industry, so a 行业部门 sees those of its region.
    """
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return NOTHING
    pk = f"{prefix}pk" if prefix else "pk"
    if user.role in REGION_ROLES:
        if user.region_id is None:
            return Q() if user.role == Role.ADMIN else NOTHING
        region = Q(**{f"{prefix}region__in": subtree_ids(user.region)})
        if user.role == Role.DEPARTMENT and not regional:
            return region & Q(**{f"{prefix}industry__in": department_industries(user)})
        return region
    if user.role == Role.ENTERPRISE:
        return Q(**{pk: user.enterprise_id}) if user.enterprise_id else NOTHING
    if user.role == Role.AGENCY:
        if not user.agency_id:
            return NOTHING
        today = timezone.localdate()
        not_ended = Q(agency_assignments__end_on__isnull=True) | Q(
            agency_assignments__end_on__gte=today
        )
        active = (
            Q(agency_assignments__agency_id=user.agency_id)
            & Q(agency_assignments__start_on__lte=today)
            & not_ended
        )
        enterprises = apps.get_model("enterprises", "Enterprise").objects
        return Q(**{f"{pk}__in": enterprises.filter(active).values("pk")}) | Q(
            **{f"{pk}__in": reviewed_enterprises(agency_id=user.agency_id)}
        )
    # Experts see the enterprises of the reviews assigned to them.
    return Q(**{f"{pk}__in": reviewed_enterprises(experts=user.pk)})


def subtree_ids(region: Region) -> QuerySet[Region]:
    """The ids of `region` and every region under it, as a subquery.

    Filtering by `region_id IN (these ids)` lets the database read the subtree's few region rows
    once and then the enterprises' index on region, instead of joining every enterprise to its
    region to compare paths (`path LIKE '…%'` per row): at 100k enterprises a count of the
    scope took several times as long that way."""
    return Region.objects.filter(path__startswith=region.path).values("pk")


def department_industries(user):
    """The industries the division of work (分工表) assigns to a 行业部门 user's department in a
    region containing the user's, or in one inside it. None assigned: nothing to see."""
    path = user.region.path
    ancestors = [path[: i + 1] for i, ch in enumerate(path) if ch == "/"]
    return (
        DepartmentIndustry.objects.filter(department=user.department.strip())
        .filter(Q(region__path__in=ancestors) | Q(region__path__startswith=path))
        .values_list("industry", flat=True)
    )


def regions_for(user):
    """The regions a user may pick (filters, forms): their subtree, or none."""
    if not getattr(user, "is_authenticated", False) or user.role not in REGION_ROLES:
        return Region.objects.none()
    if user.region_id is None:
        return Region.objects.all() if user.role == Role.ADMIN else Region.objects.none()
    return Region.objects.filter(path__startswith=user.region.path)


def reviewed_enterprises(**assessment_filter):
    """Enterprise ids of the reviews (评审) assigned to an agency or an expert."""
    return (
        apps.get_model("cases", "Assessment")
        .objects.filter(kind="review", **assessment_filter)
        .values("case__enterprise_id")
    )


def scope_key(user) -> str:
    """A cache key part naming `user`'s data scope: two users share it exactly when
    `enterprise_scope_q` gives them the same enterprises (same role kind and the same region,
    enterprise, agency or expert). Used by caches of scoped figures (anbiao/campaigns/cache.py)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return "none"
    if user.role in REGION_ROLES:
        if user.region_id is None:
            return "all" if user.role == Role.ADMIN else "none"
        if user.role == Role.DEPARTMENT:
            # A 行业部门 sees only its industries of the region: its figures are not the
            # station's, nor another department's with other industries.
            industries = ",".join(sorted(set(department_industries(user))))
            return f"region:{user.region_id}:industries:{industries}"
        return f"region:{user.region_id}"
    if user.role == Role.ENTERPRISE:
        return f"enterprise:{user.enterprise_id or 0}"
    if user.role == Role.AGENCY:
        return f"agency:{user.agency_id or 0}"
    return f"expert:{user.pk}"
