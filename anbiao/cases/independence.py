"""Independence (DESIGN §4): an agency that consulted for an enterprise may not review it, and
an expert may not review an enterprise they are linked to.

"Consulted" is, for now, an agency assignment (AgencyAssignment) of that agency to that
enterprise at any time; when guidance records exist (agencies issue), switch `consulted` to
them — every caller goes through this module.
"""

from anbiao.accounts.choices import Role


def consulted(agency, enterprise) -> bool:
    """True when `agency` gave technical guidance to `enterprise` (so may not review it)."""
    if agency is None:
        return False
    from anbiao.agencies.models import AgencyAssignment

    return AgencyAssignment.objects.filter(agency=agency, enterprise=enterprise).exists()


def expert_linked(user, enterprise) -> str:
    """Why expert `user` is linked to `enterprise` (may not review it), or "" when independent."""
    if user.enterprise_id == enterprise.pk:
        return f"专家“{user.display_name}”是该企业人员"
    if user.agency_id and consulted(user.agency, enterprise):
        return f"专家“{user.display_name}”所在机构为该企业提供过技术服务"
    return ""


def reviewer_conflicts(*, agency, experts, enterprise) -> list[str]:
    """Every reason the proposed review team may not review `enterprise` (empty: allowed)."""
    problems = []
    if agency is not None and consulted(agency, enterprise):
        problems.append(f"机构“{agency.name}”为该企业提供过技术服务(咨询),不能担任其评审机构")
    for expert in experts:
        if expert.role != Role.EXPERT:
            problems.append(f"“{expert.display_name}”不是专家账号")
            continue
        reason = expert_linked(expert, enterprise)
        if reason:
            problems.append(reason + ",不能担任其评审专家")
    return problems
