"""What each built-in role may do: the one role → permission table. Where it may do it is the
data scope (`scope.py`); both are checked through the access layer (`access.py`).

Permissions are plain strings "<object>.<action>". To add one: name it below with its subject,
grant it in ROLE_PERMISSIONS, check it with `@requires` / `require` (docs/architecture.md), and
describe it in docs/roles-and-scope.md.
"""

from anbiao.accounts.choices import Role

# --- Enterprise registry (anbiao/enterprises) and ledger imports
ENTERPRISE_VIEW = "enterprise.view"
ENTERPRISE_CREATE = "enterprise.create"
ENTERPRISE_CHANGE = "enterprise.change"  # every field, dated status changes
ENTERPRISE_EDIT_PROFILE = "enterprise.edit_profile"  # contacts, address, staff figures
ENTERPRISE_EXPORT = "enterprise.export"
LEDGER_IMPORT = "enterprise.import"
IMPORT_VIEW = "import.view"  # the import records (anbiao/core/imports/views.py)

# --- Accounts, regions and audit
USER_MANAGE = "user.manage"
REGION_MANAGE = "region.manage"  # communities of the region tree (区划管理)
LOGIN_LOG_VIEW = "loginlog.view"
AUDIT_VIEW = "audit.view"

# --- Survey rounds (摸排, anbiao/surveys)
SURVEY_VIEW = "survey.view"
SURVEY_CHANGE = "survey.change"

# --- Standardization cases (anbiao/cases). Where: the enterprise scope; experts and reviewing
# agencies also see the enterprises of the reviews assigned to them (scope.py).
CASE_VIEW = "case.view"
CASE_EXPORT = "case.export"
CASE_MANAGE = "case.manage"  # record steps, assign reviewers, issue/revoke certificates
CASE_SELF_ASSESS = "case.self_assess"  # self-evaluation and annual self-evaluation
CASE_REVIEW = "case.review"  # score a review (only one the user is assigned to, or station)
CASE_UPLOAD = "case.upload"  # attach evidence files
# Grading decisions: review results, 公示, certificates, downgrades, revocations, 延期 (the
# 定级部门; a station with CASE_MANAGE records them only as 街道代录, see cases/services/events.py).
CASE_GRADE = "case.grade"
STANDARD_MANAGE = "standard.manage"  # load the office's grading standards (admin)

# --- Campaigns (plans, targets, metrics, tasks, reports)
CAMPAIGN_VIEW = "campaign.view"
CAMPAIGN_MANAGE = "campaign.manage"  # create/edit campaigns and targets
TASK_UPDATE = "task.update"  # report progress on tasks assigned to one's department
REPORT_EXPORT = "report.export"

# --- Agencies and experts (anbiao/agencies). The expert registry and workload carry personal
# contacts, so `expert.view` is for region roles only; agency users see the agency registry and
# their own records.
AGENCY_VIEW = "agency.view"
AGENCY_MANAGE = "agency.manage"  # registries, assignments
GUIDANCE_RECORD = "guidance.record"  # dated guidance records (technical service visits)
EXPERT_VIEW = "expert.view"

# --- Benchmarks (标杆企业) and training (anbiao/benchmarks, anbiao/training)
BENCHMARK_VIEW = "benchmark.view"
BENCHMARK_MANAGE = "benchmark.manage"
TRAINING_VIEW = "training.view"
TRAINING_MANAGE = "training.manage"

# --- Notifications and the schedule (anbiao/notifications): everyone who logs in has a bell and
# preferences (their own only); the schedule's run log is for administrators.
NOTIFICATION_VIEW = "notification.view"
SCHEDULE_VIEW = "schedule.view"

# --- 督办 (anbiao/dispatches): the district and stations issue, accept and return; departments,
# enterprises and agencies reply to those sent to them. Which ones: the dispatch scope
# (anbiao/dispatches/selectors.py `visible_q`).
DISPATCH_VIEW = "dispatch.view"
DISPATCH_ISSUE = "dispatch.issue"  # issue, accept, return (the issuing unit's own)
DISPATCH_REPLY = "dispatch.reply"  # reply and hand in (those sent to one's unit)
DISPATCH_EXPORT = "dispatch.export"
# --- 信息报送 and the district's roll-up (anbiao/filings): a station files its 镇街's figures;
# the district receives (签收) or returns (退回) them and reads every 镇街 on one page. Which
# filings: those of the user's region subtree (anbiao/filings/selectors.py).
FILING_VIEW = "filing.view"
FILING_SUBMIT = "filing.submit"  # file one's own 镇街's figures for a period
FILING_RECEIVE = "filing.receive"  # 签收 / 退回 the filings of one's district
ROLLUP_VIEW = "rollup.view"  # all 镇街 of the district on one page, and its export
# --- Supervision (anbiao/supervision): inspections, hazards, classes, plans, risk register.
# Where: the enterprise scope. The enterprise user sees its own inspections, rectifies its own
# hazards and keeps its own risk register; the station inspects, reviews and plans.
INSPECTION_VIEW = "inspection.view"
INSPECTION_RECORD = "inspection.record"  # carry out inspections, import checklists
HAZARD_VIEW = "hazard.view"
HAZARD_RECTIFY = "hazard.rectify"  # 五落实 plan, evidence, request a review
HAZARD_REVIEW = "hazard.review"  # register hazards, review (复查) and close (销号)
RISK_VIEW = "risk.view"
RISK_MANAGE = "risk.manage"
SUPERVISION_VIEW = "supervision.view"  # classes, plans, figures beyond one's own enterprise
SUPERVISION_MANAGE = "supervision.manage"  # class overrides, accidents, plans
SUPERVISION_EXPORT = "supervision.export"
# --- API tokens (anbiao/api): everyone may hold personal tokens acting with their own role and
# scope; administrators issue tokens for system accounts, revoke any token and read their use.
API_TOKEN_OWN = "apitoken.own"  # noqa: S105 - a permission name
API_TOKEN_MANAGE = "apitoken.manage"  # noqa: S105 - a permission name

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    # 系统管理员: accounts and the audit trail; everything else read-only.
    Role.ADMIN: frozenset(
        {
            # enterprises and imports
            ENTERPRISE_VIEW,
            ENTERPRISE_EXPORT,
            IMPORT_VIEW,
            # accounts, regions and audit
            USER_MANAGE,
            API_TOKEN_MANAGE,
            REGION_MANAGE,
            LOGIN_LOG_VIEW,
            AUDIT_VIEW,
            # surveys
            SURVEY_VIEW,
            # cases
            CASE_VIEW,
            CASE_EXPORT,
            STANDARD_MANAGE,
            # campaigns
            CAMPAIGN_VIEW,
            REPORT_EXPORT,
            # agencies, experts, benchmarks, training
            AGENCY_VIEW,
            EXPERT_VIEW,
            BENCHMARK_VIEW,
            TRAINING_VIEW,
            # notifications and 督办
            NOTIFICATION_VIEW,
            SCHEDULE_VIEW,
            DISPATCH_VIEW,
            DISPATCH_EXPORT,
            # 信息报送 and the roll-up
            FILING_VIEW,
            ROLLUP_VIEW,
            # supervision
            INSPECTION_VIEW,
            HAZARD_VIEW,
            RISK_VIEW,
            SUPERVISION_VIEW,
            SUPERVISION_EXPORT,
            # API tokens
            API_TOKEN_OWN,
        }
    ),
    # 区应急管理局: plans the campaign and manages agencies; reads the rest of its district.
    Role.DISTRICT: frozenset(
        {
            # enterprises and imports
            ENTERPRISE_VIEW,
            ENTERPRISE_EXPORT,
            IMPORT_VIEW,
            # regions and audit
            REGION_MANAGE,
            AUDIT_VIEW,
            # surveys
            SURVEY_VIEW,
            # cases
            CASE_VIEW,
            CASE_EXPORT,
            # campaigns
            CAMPAIGN_VIEW,
            CAMPAIGN_MANAGE,
            REPORT_EXPORT,
            # agencies, experts, benchmarks, training
            AGENCY_VIEW,
            AGENCY_MANAGE,
            EXPERT_VIEW,
            BENCHMARK_VIEW,
            TRAINING_VIEW,
            # notifications and 督办
            NOTIFICATION_VIEW,
            DISPATCH_VIEW,
            DISPATCH_ISSUE,
            DISPATCH_EXPORT,
            # 信息报送 and the roll-up
            FILING_VIEW,
            FILING_RECEIVE,
            ROLLUP_VIEW,
            # supervision
            INSPECTION_VIEW,
            HAZARD_VIEW,
            RISK_VIEW,
            SUPERVISION_VIEW,
            SUPERVISION_EXPORT,
            # API tokens
            API_TOKEN_OWN,
        }
    ),
    # 定级部门: the district's grading authority reads the enterprises and cases of its district
    # and records its decisions on them.
    Role.GRADING: frozenset(
        {
            # enterprises
            ENTERPRISE_VIEW,
            # cases
            CASE_VIEW,
            CASE_EXPORT,
            CASE_GRADE,
            CASE_UPLOAD,
            # API tokens (every account may have its own: docs/roles-and-scope.md)
            API_TOKEN_OWN,
            # notifications (everyone has the bell) and reading the district's 督办
            NOTIFICATION_VIEW,
            DISPATCH_VIEW,
        }
    ),
    # 街道安监站: does the work within its subdistrict.
    Role.STATION: frozenset(
        {
            # enterprises and imports
            ENTERPRISE_VIEW,
            ENTERPRISE_CREATE,
            ENTERPRISE_CHANGE,
            ENTERPRISE_EDIT_PROFILE,
            ENTERPRISE_EXPORT,
            LEDGER_IMPORT,
            IMPORT_VIEW,
            # surveys
            SURVEY_VIEW,
            SURVEY_CHANGE,
            # cases
            CASE_VIEW,
            CASE_EXPORT,
            CASE_MANAGE,
            CASE_SELF_ASSESS,
            CASE_REVIEW,
            CASE_UPLOAD,
            # campaigns
            CAMPAIGN_VIEW,
            TASK_UPDATE,
            REPORT_EXPORT,
            # agencies, experts, benchmarks, training
            AGENCY_VIEW,
            AGENCY_MANAGE,
            GUIDANCE_RECORD,
            EXPERT_VIEW,
            BENCHMARK_VIEW,
            BENCHMARK_MANAGE,
            TRAINING_VIEW,
            TRAINING_MANAGE,
            # notifications and 督办
            NOTIFICATION_VIEW,
            DISPATCH_VIEW,
            DISPATCH_ISSUE,
            DISPATCH_EXPORT,
            # 信息报送
            FILING_VIEW,
            FILING_SUBMIT,
            # supervision
            INSPECTION_VIEW,
            HAZARD_VIEW,
            RISK_VIEW,
            SUPERVISION_VIEW,
            SUPERVISION_EXPORT,
            INSPECTION_RECORD,
            HAZARD_RECTIFY,
            HAZARD_REVIEW,
            RISK_MANAGE,
            SUPERVISION_MANAGE,
            # API tokens
            API_TOKEN_OWN,
        }
    ),
    # 行业部门: reads its region and reports progress on its own tasks.
    Role.DEPARTMENT: frozenset(
        {
            # enterprises
            ENTERPRISE_VIEW,
            ENTERPRISE_EXPORT,
            # surveys
            SURVEY_VIEW,
            # cases
            CASE_VIEW,
            # campaigns
            CAMPAIGN_VIEW,
            TASK_UPDATE,
            # benchmarks, training
            BENCHMARK_VIEW,
            TRAINING_VIEW,
            # notifications and 督办
            NOTIFICATION_VIEW,
            DISPATCH_VIEW,
            DISPATCH_REPLY,
            DISPATCH_EXPORT,
            # supervision
            INSPECTION_VIEW,
            HAZARD_VIEW,
            RISK_VIEW,
            SUPERVISION_VIEW,
            # API tokens
            API_TOKEN_OWN,
        }
    ),
    # 企业: its own profile, its own case, its hazards and risk register.
    Role.ENTERPRISE: frozenset(
        {
            ENTERPRISE_VIEW,
            ENTERPRISE_EDIT_PROFILE,
            CASE_VIEW,
            CASE_SELF_ASSESS,
            CASE_UPLOAD,
            # notifications and 督办
            NOTIFICATION_VIEW,
            DISPATCH_VIEW,
            DISPATCH_REPLY,
            # supervision: its inspections, its hazards to rectify, its risk register
            INSPECTION_VIEW,
            HAZARD_VIEW,
            HAZARD_RECTIFY,
            RISK_VIEW,
            RISK_MANAGE,
            # API tokens
            API_TOKEN_OWN,
        }
    ),
    # 第三方机构: the enterprises it serves or reviews.
    Role.AGENCY: frozenset(
        {
            ENTERPRISE_VIEW,
            CASE_VIEW,
            CASE_SELF_ASSESS,
            CASE_REVIEW,
            CASE_UPLOAD,
            AGENCY_VIEW,
            GUIDANCE_RECORD,
            # notifications and 督办
            NOTIFICATION_VIEW,
            DISPATCH_VIEW,
            DISPATCH_REPLY,
            # API tokens
            API_TOKEN_OWN,
        }
    ),
    # 专家: the reviews assigned to them.
    Role.EXPERT: frozenset(
        {
            ENTERPRISE_VIEW,
            CASE_VIEW,
            CASE_REVIEW,
            CASE_UPLOAD,
            # notifications and 督办
            NOTIFICATION_VIEW,
            # API tokens
            API_TOKEN_OWN,
        }
    ),
}


def has_perm(user, perm: str) -> bool:
    """True when the user is active and their role grants `perm`."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return perm in ROLE_PERMISSIONS.get(user.role, frozenset())
