"""Reads of the notifications app: a user's own notifications, and the schedule's run log."""

from datetime import date

from django.db.models import QuerySet
from django.utils import timezone

from anbiao.accounts import permissions as perms
from anbiao.accounts.access import require
from anbiao.core import workdays
from anbiao.notifications.models import JobRun, Notification


def notification_list(*, user, params) -> QuerySet[Notification]:
    """The user's own notifications (nobody reads another's), filtered by unread and kind."""
    require(user, perms.NOTIFICATION_VIEW)
    qs = Notification.objects.filter(user=user)
    if params.get("unread"):
        qs = qs.filter(read_at__isnull=True)
    rule = params.get("rule") or ""
    if rule:
        qs = qs.filter(rule=rule)
    return qs.order_by("-created_at", "-id")


def unread_count(user) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def run_list(*, user) -> QuerySet[JobRun]:
    require(user, perms.SCHEDULE_VIEW)
    return JobRun.objects.order_by("-day", "-started_at", "job")


def calendar_warning(today: date | None = None) -> str:
    """A warning when this year — or from November, when the State Council has announced the
    next year's holidays, the next — is not in the installed holiday calendar."""
    today = today or timezone.localdate()
    days = [today] + ([date(today.year + 1, 1, 1)] if today.month >= 11 else [])
    missing = workdays.uncovered_years(*days)
    if not missing:
        return ""
    years = "、".join(str(y) for y in missing)
    return (
        f"节假日日历(chinesecalendar)尚未包含 {years} 年:这些年份的工作日暂按“周一至周五”计算,"
        "法定节假日和调休未计入。请升级 chinesecalendar 后重新部署。"
    )
