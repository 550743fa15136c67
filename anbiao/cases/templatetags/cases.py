from django import template

from anbiao.accounts import permissions as perms
from anbiao.cases import conf, selectors
from anbiao.cases.choices import CaseState

register = template.Library()

STATE_COLORS = {
    "not_started": "secondary",
    "in_progress": "blue",
    "self_assessed": "cyan",
    "applied": "indigo",
    "under_review": "purple",
    "passed": "teal",
    "certified": "green",
    "expired": "red",
    "revoked": "orange",
}
CERT_COLORS = {
    "valid": "green",
    "expiring": "yellow",
    "expired": "red",
    "renewed": "secondary",
    "revoked": "orange",
    "downgraded": "orange",
    "not_yet": "secondary",
    "void": "secondary",
}


@register.inclusion_tag("cases/_panel_body.html", takes_context=True)
def case_panel(context):
    """The case summary on the enterprise page, read with the viewer's scope applied."""
    user, enterprise = context["user"], context["enterprise"]
    if not perms.has_perm(user, perms.CASE_VIEW):
        return {"visible": False}
    view = selectors.case_view(user=user, enterprise=enterprise)
    return {
        "visible": True,
        "enterprise": enterprise,
        "cv": view,
        "recent": view.events[:5],
        "can_manage": perms.has_perm(user, perms.CASE_MANAGE),
        "self_action": selectors.self_assessment_action(user=user, case_view=view),
        "csrf_token": context.get("csrf_token"),
    }


@register.filter
def state_color(state: str) -> str:
    return STATE_COLORS.get(str(state), "secondary")


@register.filter
def cert_color(status: str) -> str:
    return CERT_COLORS.get(str(status), "secondary")


@register.filter
def grade_name(code: str) -> str:
    return conf.grade_name(code) if code else ""


@register.filter
def state_label(state: str) -> str:

    return CaseState(state).label if state in CaseState.values else state
