"""The landing page (/). It lives in campaigns because the campaign dashboard is what station
and district users land on; without a campaign it falls back to the registry summary."""

from django.db.models import Count
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from anbiao.accounts import permissions as perms
from anbiao.accounts.access import requires_login
from anbiao.accounts.choices import Role
from anbiao.campaigns import selectors as campaign_selectors
from anbiao.campaigns.views import dashboard
from anbiao.cases import selectors as case_selectors
from anbiao.cases.conf import review_days
from anbiao.enterprises.choices import OperatingStatus
from anbiao.enterprises.models import Enterprise


@require_GET
@requires_login
def home(request):
    """The landing page: the registry at a glance within the user's scope. The campaign
    dashboard (targets, forecast) replaces the body when campaigns exist."""
    user = request.user
    if perms.has_perm(user, perms.CAMPAIGN_VIEW):
        response = dashboard(request)
        if response is not None:
            return response
    summary = None
    if perms.has_perm(user, perms.ENTERPRISE_VIEW):
        qs = Enterprise.objects.restrict(user, "view")
        by_status = dict(qs.values_list("status").annotate(n=Count("id")).order_by())
        summary = {
            "total": sum(by_status.values()),
            "operating": by_status.get(OperatingStatus.OPERATING, 0),
            "closed": sum(n for s, n in by_status.items() if s != OperatingStatus.OPERATING),
            "eligible": qs.filter(status=OperatingStatus.OPERATING, eligible=True).count(),
            "pending": qs.filter(status=OperatingStatus.OPERATING, eligible__isnull=True).count(),
        }
    # An expert's day is the reviews waiting for them: land on 待我评审, not on enterprise cards.
    if user.role == Role.EXPERT:
        desk = case_selectors.reviewer_desk(user=user)
        return render(
            request,
            "core/home.html",
            {"desk": desk, "review_days": review_days(), "summary": summary},
        )
    # Enterprise and agency users work on a handful of enterprises: show them by name.
    mine = None
    if user.role in ("enterprise", "agency") and summary is not None:
        mine = (
            Enterprise.objects.restrict(user, "view")
            .select_related("region", "region__parent")
            .order_by("name_pinyin")[:20]
        )
    # An officer whose area has no campaign yet still gets a working 工作台.
    bench = None
    if mine is None and summary is not None and perms.has_perm(user, perms.CASE_VIEW):
        bench = campaign_selectors.workbench(user=user, on=timezone.localdate())
    return render(
        request,
        "core/home.html",
        {
            "summary": summary,
            "mine": mine,
            "bench": bench,
            "can_view_campaigns": perms.has_perm(user, perms.CAMPAIGN_VIEW),
            "can_manage_campaigns": perms.has_perm(user, perms.CAMPAIGN_MANAGE),
        },
    )
