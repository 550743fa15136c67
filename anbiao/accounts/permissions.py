"""What each built-in role may do. Where it may do it is the data scope (`scope.py`).

Permissions are plain strings "<object>.<action>"; views and selectors ask `has_perm`.
"""

from anbiao.accounts.choices import Role

ENTERPRISE_VIEW = "enterprise.view"
ENTERPRISE_CREATE = "enterprise.create"
ENTERPRISE_CHANGE = "enterprise.change"  # every field, dated status changes
ENTERPRISE_EDIT_PROFILE = "enterprise.edit_profile"  # contacts, address, staff figures
ENTERPRISE_EXPORT = "enterprise.export"
USER_MANAGE = "user.manage"
LOGIN_LOG_VIEW = "loginlog.view"
AUDIT_VIEW = "audit.view"

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    Role.ADMIN: frozenset(
        {ENTERPRISE_VIEW, ENTERPRISE_EXPORT, USER_MANAGE, LOGIN_LOG_VIEW, AUDIT_VIEW}
    ),
    Role.DISTRICT: frozenset({ENTERPRISE_VIEW, ENTERPRISE_EXPORT, AUDIT_VIEW}),
    Role.STATION: frozenset(
        {
            ENTERPRISE_VIEW,
            ENTERPRISE_CREATE,
            ENTERPRISE_CHANGE,
            ENTERPRISE_EDIT_PROFILE,
            ENTERPRISE_EXPORT,
        }
    ),
    Role.DEPARTMENT: frozenset({ENTERPRISE_VIEW, ENTERPRISE_EXPORT}),
    Role.ENTERPRISE: frozenset({ENTERPRISE_VIEW, ENTERPRISE_EDIT_PROFILE}),
    Role.AGENCY: frozenset({ENTERPRISE_VIEW}),
    Role.EXPERT: frozenset({ENTERPRISE_VIEW}),
}


def has_perm(user, perm: str) -> bool:
    """True when the user is active and their role grants `perm`."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return perm in ROLE_PERMISSIONS.get(user.role, frozenset())


# --- Ledger import/export and survey rounds (摸排)
LEDGER_IMPORT = "enterprise.import"
IMPORT_VIEW = "import.view"
SURVEY_VIEW = "survey.view"
SURVEY_CHANGE = "survey.change"


def _grant(role: str, *granted: str) -> None:
    ROLE_PERMISSIONS[role] = ROLE_PERMISSIONS[role] | frozenset(granted)


_grant(Role.STATION, LEDGER_IMPORT, IMPORT_VIEW, SURVEY_VIEW, SURVEY_CHANGE)
_grant(Role.DISTRICT, IMPORT_VIEW, SURVEY_VIEW)
_grant(Role.ADMIN, IMPORT_VIEW, SURVEY_VIEW)
_grant(Role.DEPARTMENT, SURVEY_VIEW)


# --- Standardization cases (anbiao/cases). Where: the enterprise scope; experts and reviewing
# agencies also see the enterprises of the reviews assigned to them (scope.py).
CASE_VIEW = "case.view"
CASE_EXPORT = "case.export"
CASE_MANAGE = "case.manage"  # record steps, assign reviewers, issue/revoke certificates
CASE_SELF_ASSESS = "case.self_assess"  # self-evaluation and annual self-evaluation
CASE_REVIEW = "case.review"  # score a review (only one the user is assigned to, or station)
CASE_UPLOAD = "case.upload"  # attach evidence files

_CASE_GRANTS = {
    Role.ADMIN: {CASE_VIEW, CASE_EXPORT},
    Role.DISTRICT: {CASE_VIEW, CASE_EXPORT},
    Role.STATION: {
        CASE_VIEW,
        CASE_EXPORT,
        CASE_MANAGE,
        CASE_SELF_ASSESS,
        CASE_REVIEW,
        CASE_UPLOAD,
    },
    Role.DEPARTMENT: {CASE_VIEW},
    Role.ENTERPRISE: {CASE_VIEW, CASE_SELF_ASSESS, CASE_UPLOAD},
    Role.AGENCY: {CASE_VIEW, CASE_SELF_ASSESS, CASE_REVIEW, CASE_UPLOAD},
    Role.EXPERT: {CASE_VIEW, CASE_REVIEW, CASE_UPLOAD},
}
for _role, _granted in _CASE_GRANTS.items():
    ROLE_PERMISSIONS[_role] = ROLE_PERMISSIONS[_role] | _granted


# --- Campaigns (plans, targets, metrics, tasks, reports)
CAMPAIGN_VIEW = "campaign.view"
CAMPAIGN_MANAGE = "campaign.manage"  # create/edit campaigns and targets
TASK_UPDATE = "task.update"  # report progress on tasks assigned to one's department
REPORT_EXPORT = "report.export"

# --- Agencies and experts, benchmarks, training
AGENCY_VIEW = "agency.view"
AGENCY_MANAGE = "agency.manage"  # registries, assignments
GUIDANCE_RECORD = "guidance.record"  # dated guidance records (technical service visits)
BENCHMARK_VIEW = "benchmark.view"
BENCHMARK_MANAGE = "benchmark.manage"
TRAINING_VIEW = "training.view"
TRAINING_MANAGE = "training.manage"

_grant(Role.ADMIN, CAMPAIGN_VIEW, REPORT_EXPORT, AGENCY_VIEW, BENCHMARK_VIEW, TRAINING_VIEW)
_grant(
    Role.DISTRICT,
    CAMPAIGN_VIEW,
    CAMPAIGN_MANAGE,
    REPORT_EXPORT,
    AGENCY_VIEW,
    AGENCY_MANAGE,
    BENCHMARK_VIEW,
    TRAINING_VIEW,
)
_grant(
    Role.STATION,
    CAMPAIGN_VIEW,
    TASK_UPDATE,
    REPORT_EXPORT,
    AGENCY_VIEW,
    AGENCY_MANAGE,
    GUIDANCE_RECORD,
    BENCHMARK_VIEW,
    BENCHMARK_MANAGE,
    TRAINING_VIEW,
    TRAINING_MANAGE,
)
_grant(Role.DEPARTMENT, CAMPAIGN_VIEW, TASK_UPDATE, BENCHMARK_VIEW, TRAINING_VIEW)
_grant(Role.AGENCY, AGENCY_VIEW, GUIDANCE_RECORD)

# --- Expert registry and workload (anbiao/agencies): district-wide reference data with personal
# contacts, so for region roles only; agency users see the agency registry and their own records.
EXPERT_VIEW = "expert.view"

_grant(Role.ADMIN, EXPERT_VIEW)
_grant(Role.DISTRICT, EXPERT_VIEW)
_grant(Role.STATION, EXPERT_VIEW)

# --- Notifications and the schedule (anbiao/notifications): everyone who logs in has a bell and
# preferences; the schedule's run log is for administrators.
NOTIFICATION_VIEW = "notification.view"
SCHEDULE_VIEW = "schedule.view"

for _role in Role.values:
    _grant(_role, NOTIFICATION_VIEW)
_grant(Role.ADMIN, SCHEDULE_VIEW)

# --- 督办 (anbiao/dispatches): the district and stations issue, accept and return; departments,
# enterprises and agencies reply to those sent to them. Which ones: the dispatch scope
# (anbiao/dispatches/selectors.py `visible_q`).
DISPATCH_VIEW = "dispatch.view"
DISPATCH_ISSUE = "dispatch.issue"  # issue, accept, return (the issuing unit's own)
DISPATCH_REPLY = "dispatch.reply"  # reply and hand in (those sent to one's unit)
DISPATCH_EXPORT = "dispatch.export"

_grant(Role.ADMIN, DISPATCH_VIEW, DISPATCH_EXPORT)
_grant(Role.DISTRICT, DISPATCH_VIEW, DISPATCH_ISSUE, DISPATCH_EXPORT)
_grant(Role.STATION, DISPATCH_VIEW, DISPATCH_ISSUE, DISPATCH_EXPORT)
_grant(Role.DEPARTMENT, DISPATCH_VIEW, DISPATCH_REPLY, DISPATCH_EXPORT)
_grant(Role.ENTERPRISE, DISPATCH_VIEW, DISPATCH_REPLY)
_grant(Role.AGENCY, DISPATCH_VIEW, DISPATCH_REPLY)
