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
IMPORT_VIEW = "import.view"  # the import jobs list (anbiao/core/import_views.py)

# --- Accounts and audit
USER_MANAGE = "user.manage"
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

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    # 系统管理员: accounts and the audit trail; everything else read-only.
    Role.ADMIN: frozenset(
        {
            # enterprises and imports
            ENTERPRISE_VIEW,
            ENTERPRISE_EXPORT,
            IMPORT_VIEW,
            # accounts and audit
            USER_MANAGE,
            LOGIN_LOG_VIEW,
            AUDIT_VIEW,
            # surveys
            SURVEY_VIEW,
            # cases
            CASE_VIEW,
            CASE_EXPORT,
            # campaigns
            CAMPAIGN_VIEW,
            REPORT_EXPORT,
            # agencies, experts, benchmarks, training
            AGENCY_VIEW,
            EXPERT_VIEW,
            BENCHMARK_VIEW,
            TRAINING_VIEW,
        }
    ),
    # 区应急管理局: plans the campaign and manages agencies; reads the rest of its district.
    Role.DISTRICT: frozenset(
        {
            # enterprises and imports
            ENTERPRISE_VIEW,
            ENTERPRISE_EXPORT,
            IMPORT_VIEW,
            # accounts and audit
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
        }
    ),
    # 企业: its own profile and its own case.
    Role.ENTERPRISE: frozenset(
        {
            ENTERPRISE_VIEW,
            ENTERPRISE_EDIT_PROFILE,
            CASE_VIEW,
            CASE_SELF_ASSESS,
            CASE_UPLOAD,
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
        }
    ),
    # 专家: the reviews assigned to them.
    Role.EXPERT: frozenset(
        {
            ENTERPRISE_VIEW,
            CASE_VIEW,
            CASE_REVIEW,
            CASE_UPLOAD,
        }
    ),
}


def has_perm(user, perm: str) -> bool:
    """True when the user is active and their role grants `perm`."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return perm in ROLE_PERMISSIONS.get(user.role, frozenset())
