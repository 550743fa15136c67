from django.conf import settings
from django.urls import reverse

from anbiao.accounts import permissions as perms

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


def navigation(request) -> dict:
    user = getattr(request, "user", None)
    items = []
    if user is not None and user.is_authenticated:
        path = request.path
        matches = [p for *_, p in NAVIGATION if p != "/$" and path.startswith(p)]
        current = max(matches, key=len) if matches else ("/$" if path == "/" else None)
        for label, icon, name, perm, prefix in NAVIGATION:
            if perm is None or perms.has_perm(user, perm):
                items.append(
                    {
                        "label": label,
                        "icon": icon,
                        "url": reverse(name),
                        "active": prefix == current,
                    }
                )
    return {"nav_items": items, "deployment_name": settings.ANBIAO_DEPLOYMENT_NAME}
