"""The guidance records of one enterprise, shown on its page (enterprises/detail.html)."""

from django import template

from anbiao.accounts import permissions as perms
from anbiao.agencies import selectors

register = template.Library()


@register.inclusion_tag("agencies/_guidance_panel.html", takes_context=True)
def guidance_panel(context):
    """The latest guidance visits at the page's enterprise, read with the viewer's scope."""
    user, enterprise = context["user"], context["enterprise"]
    if not perms.has_perm(user, perms.AGENCY_VIEW):
        return {"visible": False}
    records = selectors.guidance_list(user=user, params={"enterprise": str(enterprise.pk)})
    return {
        "visible": True,
        "enterprise": enterprise,
        "records": list(records[:10]),
        "can_record": perms.has_perm(user, perms.GUIDANCE_RECORD),
    }
