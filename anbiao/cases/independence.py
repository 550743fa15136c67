"""Independence (docs/cases.md, "Assessments and scoring"): an agency that consulted for an
enterprise may not review it, and an expert may not review an enterprise they are linked to.

An agency "consulted" for an enterprise when it has a guidance record (技术服务记录) there, or a
technical-service assignment that has started (running or ended) — every caller goes through
this module. An expert is linked to an enterprise they work at (their user account or their
expert-registry entry names it) or that their agency consulted for.
"""

from django.utils import timezone

from anbiao.accounts.choices import Role
from anbiao.agencies.models import AgencyAssignment, Expert, GuidanceRecord


def consulted(agency, enterprise) -> bool:
    """True when `agency` gave technical guidance to `enterprise` (so may not review it)."""
    if agency is None:
        return False

    if GuidanceRecord.objects.filter(agency=agency, enterprise=enterprise).exists():
        return True
    return AgencyAssignment.objects.filter(
        agency=agency, enterprise=enterprise, start_on__lte=timezone.localdate()
    ).exists()


def expert_linked(user, enterprise) -> str:
    """Why expert `user` is linked to `enterprise` (may not review it), or "" when independent."""
    if user.enterprise_id == enterprise.pk:
        return f"专家“{user.display_name}”是该企业人员"
    if user.agency_id and consulted(user.agency, enterprise):
        return f"专家“{user.display_name}”所在机构为该企业提供过技术服务"

    profile = Expert.objects.filter(user=user).select_related("agency").first()
    if profile is not None:
        if profile.enterprise_id == enterprise.pk:
            return f"专家“{user.display_name}”在该企业任职"
        if profile.agency_id and profile.agency_id != user.agency_id:
            if consulted(profile.agency, enterprise):
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
