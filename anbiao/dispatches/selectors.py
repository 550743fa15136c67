"""Scoped reads of 督办单, and who the parties of one are.

Scope: the issuing side — the district and stations, and administrators read-only — sees the
督办单 issued within its region and those sent to enterprises of its region; a department sees
those sent to its department (by name) in or above its region; an enterprise or an agency sees
those sent to it. Experts see none.
"""

from datetime import date

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from anbiao.accounts import permissions as perms
from anbiao.accounts.access import require
from anbiao.accounts.choices import REGION_ROLES, Role
from anbiao.accounts.models import User
from anbiao.accounts.scope import NOTHING, enterprise_scope_q
from anbiao.dispatches.choices import OPEN, RecipientKind, Status
from anbiao.dispatches.models import Dispatch, DispatchFile
from anbiao.enterprises.models import Enterprise
from anbiao.notifications.recipients import ancestor_paths, region_officers


def visible_q(user, action: str = "view") -> Q:
    if not perms.has_perm(user, f"dispatch.{action}"):
        return NOTHING
    if user.role == Role.DEPARTMENT:
        if user.region_id is None or not user.department:
            return NOTHING
        around = Q(recipient_region__path__in=ancestor_paths(user.region)) | Q(
            recipient_region__path__startswith=user.region.path
        )
        return Q(recipient_kind=RecipientKind.DEPARTMENT, recipient_department=user.department) & (
            around
        )
    if user.role in REGION_ROLES:
        if user.region_id is None:
            return Q() if user.role == Role.ADMIN else NOTHING
        path = user.region.path
        return Q(issuer_region__path__startswith=path) | Q(
            recipient_enterprise__region__path__startswith=path
        )
    if user.role == Role.ENTERPRISE and user.enterprise_id:
        return Q(recipient_enterprise_id=user.enterprise_id)
    if user.role == Role.AGENCY and user.agency_id:
        # Those sent to the agency, and — read only — those sent to the enterprises it serves,
        # which it helps to put things right.
        return Q(recipient_agency_id=user.agency_id) | Q(
            recipient_enterprise__in=Enterprise.objects.filter(enterprise_scope_q(user))
        )
    return NOTHING


def is_issuer(user, dispatch: Dispatch) -> bool:
    """The issuing unit's own officers: they accept or return it."""
    return (
        perms.has_perm(user, perms.DISPATCH_ISSUE) and user.region_id == dispatch.issuer_region_id
    )


def is_recipient(user, dispatch: Dispatch) -> bool:
    """A user of the unit it was sent to: they reply and hand it in."""
    if not perms.has_perm(user, perms.DISPATCH_REPLY):
        return False
    return party_users(dispatch, "recipient").filter(pk=user.pk).exists()


def party_users(dispatch: Dispatch, kind: str) -> QuerySet[User]:
    """The users of one party: "issuer" (the issuing unit), "recipient" (the unit it was sent
    to) or "superior" (the recipient's superior scope, told when it is overdue)."""
    active = User.objects.filter(is_active=True)
    if kind == "issuer":
        return active.filter(
            role__in=[Role.STATION, Role.DISTRICT], region_id=dispatch.issuer_region_id
        )
    if kind == "recipient":
        if dispatch.recipient_kind == RecipientKind.ENTERPRISE:
            return active.filter(
                role=Role.ENTERPRISE, enterprise_id=dispatch.recipient_enterprise_id
            )
        if dispatch.recipient_kind == RecipientKind.AGENCY:
            return active.filter(role=Role.AGENCY, agency_id=dispatch.recipient_agency_id)
        region = dispatch.recipient_region or dispatch.issuer_region
        around = Q(region__path__in=ancestor_paths(region)) | Q(
            region__path__startswith=region.path
        )
        return active.filter(around, role=Role.DEPARTMENT, department=dispatch.recipient_department)
    if kind == "superior":
        if dispatch.recipient_kind == RecipientKind.ENTERPRISE:
            region = dispatch.recipient_enterprise.region
            return active.filter(
                pk__in=region_officers(region, Role.STATION).values("pk")
            ) | active.filter(pk__in=region_officers(region, Role.DISTRICT).values("pk"))
        region = dispatch.recipient_region or dispatch.issuer_region
        return active.filter(pk__in=region_officers(region, Role.DISTRICT).values("pk"))
    raise ValueError(kind)


def dispatch_list(*, user, params) -> QuerySet[Dispatch]:
    """The 督办单 `user` may see, filtered by `params`: q (number, subject, recipient), status
    (a status, or "overdue"), kind (recipient kind), year."""
    require(user, perms.DISPATCH_VIEW)
    qs = Dispatch.objects.restrict(user).select_related(
        "recipient_enterprise", "recipient_agency", "issuer_region"
    )
    text = (params.get("q") or "").strip()
    if text:
        qs = qs.filter(
            Q(number__icontains=text)
            | Q(subject__icontains=text)
            | Q(recipient_department__icontains=text)
            | Q(recipient_enterprise__name__icontains=text)
            | Q(recipient_agency__name__icontains=text)
        )
    status = params.get("status") or ""
    if status in Status.values:
        qs = qs.filter(status=status)
    elif status == "overdue":
        qs = qs.filter(status__in=OPEN, deadline__lt=timezone.localdate())
    elif status == "open":
        qs = qs.exclude(status=Status.ACCEPTED)
    kind = params.get("kind") or ""
    if kind in RecipientKind.values:
        qs = qs.filter(recipient_kind=kind)
    year = params.get("year") or ""
    if year.isdigit():
        qs = qs.filter(year=int(year))
    return qs.order_by("-issued_on", "-id")


def dispatch_counts(*, user, today: date | None = None) -> dict[str, int]:
    """Counts per status plus 逾期 (open past the deadline), over everything `user` sees."""
    today = today or timezone.localdate()
    qs = Dispatch.objects.restrict(user)
    figures = qs.aggregate(
        total=Count("pk"),
        overdue=Count("pk", filter=Q(status__in=OPEN, deadline__lt=today)),
        **{value: Count("pk", filter=Q(status=value)) for value in Status.values},
    )
    return figures


def dispatch_get(*, user, pk: int) -> Dispatch:
    require(user, perms.DISPATCH_VIEW)
    item = (
        Dispatch.objects.restrict(user)
        .select_related(
            "issuer_region",
            "issued_by",
            "recipient_enterprise",
            "recipient_agency",
            "recipient_region",
        )
        .filter(pk=pk)
        .first()
    )
    if item is None:
        raise Http404("督办单不存在或不在您的范围内")
    return item


def dispatch_for(*, user, pk: int, side: str) -> Dispatch:
    """The 督办单 `pk` for a step of one side: "recipient" (reply) or "issuer" (accept,
    return). Anyone else is refused (403) whether or not they may read it."""
    item = Dispatch.objects.select_related("recipient_enterprise", "issuer_region").filter(pk=pk)
    item = item.first()
    if item is None:
        raise Http404("督办单不存在")
    allowed = is_recipient(user, item) if side == "recipient" else is_issuer(user, item)
    if not allowed:
        raise PermissionDenied(
            "只有被督办单位可以回复或报送办结"
            if side == "recipient"
            else "只有下发该督办单的单位可以验收或退回"
        )
    return item


def dispatch_events(dispatch: Dispatch):
    return (
        dispatch.events.select_related("actor")
        .prefetch_related("files")
        .order_by("recorded_at", "id")
    )


def file_get(*, user, pk: int) -> DispatchFile:
    require(user, perms.DISPATCH_VIEW)
    visible = Dispatch.objects.restrict(user).values("pk")
    item = DispatchFile.objects.filter(pk=pk, event__dispatch__in=visible).first()
    if item is None:
        raise Http404("文件不存在或不在您的范围内")
    return item
