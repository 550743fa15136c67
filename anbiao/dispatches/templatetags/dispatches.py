"""Template tags of 督办: the dashboard's 需要跟进 lines for the 督办单 the user sees (one tag, so
the campaign dashboard, which sits below this app, needs no import of it)."""

from django import template

from anbiao.accounts import permissions as perms
from anbiao.dispatches.choices import Status
from anbiao.dispatches.selectors import dispatch_counts

register = template.Library()


@register.inclusion_tag("dispatches/_follow_up.html", takes_context=True)
def dispatch_follow_up(context) -> dict:
    """未办结 and 逾期 督办单 among those the user sees, each opening the filtered list."""
    user = context["request"].user
    if not perms.has_perm(user, perms.DISPATCH_VIEW):
        return {}
    counts = dispatch_counts(user=user)
    return {
        "shown": True,
        "open": counts["total"] - counts[Status.ACCEPTED],
        "overdue": counts["overdue"],
    }
