from django.conf import settings
from django.urls import reverse

from anbiao.accounts import permissions as perms
from anbiao.accounts.choices import Role

# Sidebar: (label, icon, url name, permission needed or None, url prefix that marks it active)
NAVIGATION = (
    ("工作台", "ti-layout-dashboard", "home", None, "/$"),
    ("专项行动", "ti-flag", "campaigns:list", perms.CAMPAIGN_VIEW, "/campaigns/"),
    (
        "企业台账",
        "ti-building-factory-2",
        "enterprises:list",
        perms.ENTERPRISE_VIEW,
        "/enterprises/",
    ),
    (
        "应创台账",
        "ti-list-check",
        "enterprises:ledger",
        perms.ENTERPRISE_VIEW,
        "/enterprises/ledger/",
    ),
    ("摸排", "ti-clipboard-list", "surveys:list", perms.SURVEY_VIEW, "/surveys/"),
    ("创建进度", "ti-timeline", "cases:board", perms.CASE_VIEW, "/cases/"),
    ("标杆企业", "ti-award", "benchmarks:list", perms.BENCHMARK_VIEW, "/benchmarks/"),
    ("培训", "ti-school", "training:list", perms.TRAINING_VIEW, "/training/"),
    ("监管检查", "ti-clipboard-check", "supervision:home", perms.HAZARD_VIEW, "/supervision/"),
    ("机构与专家", "ti-briefcase", "agencies:list", perms.AGENCY_VIEW, "/agencies/"),
    ("督办", "ti-speakerphone", "dispatches:list", perms.DISPATCH_VIEW, "/dispatches/"),
    ("信息报送", "ti-send", "filings:list", perms.FILING_VIEW, "/filings/"),
    ("各镇街汇总", "ti-chart-bar", "filings:rollup", perms.ROLLUP_VIEW, "/filings/rollup/"),
    ("消息提醒", "ti-bell", "notifications:list", perms.NOTIFICATION_VIEW, "/notifications/"),
    (
        "定时任务",
        "ti-clock-play",
        "notifications:runs",
        perms.SCHEDULE_VIEW,
        "/notifications/schedule/",
    ),
    ("导入记录", "ti-file-import", "imports:list", perms.IMPORT_VIEW, "/imports/"),
    ("区划管理", "ti-map-2", "accounts:region_list", perms.REGION_MANAGE, "/accounts/regions/"),
    ("用户管理", "ti-users", "accounts:user_list", perms.USER_MANAGE, "/accounts/users/"),
    ("登录日志", "ti-history", "accounts:login_log", perms.LOGIN_LOG_VIEW, "/accounts/login-log/"),
    ("审计日志", "ti-file-search", "audit_log", perms.AUDIT_VIEW, "/audit/"),
)


# An enterprise user works on one enterprise: lists of the whole registry (a one-row 企业台账
# with its filter panel, an empty 应创台账) mean nothing to them. Their menu names their own
# things: (label, icon, url name, url kwargs from the user, permission, active prefix).
ENTERPRISE_NAVIGATION = (
    ("工作台", "ti-layout-dashboard", "home", None, None, "/$"),
    (
        "本企业",
        "ti-building-factory-2",
        "enterprises:detail",
        lambda u: {"pk": u.enterprise_id},
        perms.ENTERPRISE_VIEW,
        "/enterprises/",
    ),
    (
        "创建进度",
        "ti-timeline",
        "cases:detail",
        lambda u: {"pk": u.enterprise_id},
        perms.CASE_VIEW,
        "/cases/",
    ),
    (
        "隐患整改",
        "ti-tool",
        "supervision:hazards",
        None,
        perms.HAZARD_VIEW,
        "/supervision/hazards/",
    ),
    (
        "风险管控",
        "ti-alert-triangle",
        "supervision:risks",
        None,
        perms.RISK_VIEW,
        "/supervision/risks/",
    ),
    ("督办", "ti-speakerphone", "dispatches:list", None, perms.DISPATCH_VIEW, "/dispatches/"),
    ("消息提醒", "ti-bell", "notifications:list", None, perms.NOTIFICATION_VIEW, "/notifications/"),
)


def _entries(user) -> list[tuple[str, str, str, dict, str]]:
    """(label, icon, url, permission, active prefix) of the user's menu."""
    if user.role == Role.ENTERPRISE and user.enterprise_id:
        return [
            (label, icon, reverse(name, kwargs=kwargs(user) if kwargs else None), perm, prefix)
            for label, icon, name, kwargs, perm, prefix in ENTERPRISE_NAVIGATION
        ]
    return [
        (label, icon, reverse(name), perm, prefix) for label, icon, name, perm, prefix in NAVIGATION
    ]


def navigation(request) -> dict:
    user = getattr(request, "user", None)
    items = []
    if user is not None and user.is_authenticated:
        path = request.path
        entries = [e for e in _entries(user) if e[3] is None or perms.has_perm(user, e[3])]
        matches = [p for *_, p in entries if p != "/$" and path.startswith(p)]
        current = max(matches, key=len) if matches else ("/$" if path == "/" else None)
        for label, icon, url, _, prefix in entries:
            items.append({"label": label, "icon": icon, "url": url, "active": prefix == current})
    return {"nav_items": items, "deployment_name": settings.ANBIAO_DEPLOYMENT_NAME}
