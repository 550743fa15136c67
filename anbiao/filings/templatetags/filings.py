"""Template tags of 信息报送: the dashboard's notice for a date already filed (one include, so
the dashboard template needs one line), and a target status label."""

from django import template

from anbiao.accounts import permissions as perms
from anbiao.campaigns import metrics
from anbiao.campaigns.choices import TargetStatus
from anbiao.filings.changes import Difference
from anbiao.filings.selectors import filings_for, standing_filings
from anbiao.filings.snapshot import KEY_METRICS

register = template.Library()


@register.filter
def target_status(status: str) -> str:
    return TargetStatus(status).label if status in TargetStatus.values else status


@register.inclusion_tag("filings/_dashboard_notice.html", takes_context=True)
def filing_notice(context, board) -> dict:
    """When the dashboard's 镇街 and date were filed: what was filed, and which figures today's
    view of that date shows differently (with a link to why)."""
    user = context["request"].user
    if not perms.has_perm(user, perms.FILING_VIEW):
        return {}
    scope = board.scope
    found = standing_filings(
        filings_for(user).filter(campaign=scope.campaign, region=scope.area, as_of=scope.on)
    )
    if not found:
        return {}
    filing = max(found, key=lambda f: f.filed_at)
    differences = [
        Difference(key, metrics.label(key), filing.values.get(key), board.values.get(key))
        for key in KEY_METRICS
        if key in board.values
    ]
    return {"filing": filing, "changed": [d for d in differences if d.changed]}
