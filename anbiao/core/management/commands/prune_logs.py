"""`anbiao prune-logs --before DATE`: delete change-log and login-log entries older than DATE,
never any younger than the retention period (等保2.0: at least 6 months)."""

from datetime import date

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from anbiao.accounts.models import LoginLog
from anbiao.core.models import ChangeLog
from anbiao.core.parsing import parse_date


def retention_cutoff(today: date) -> date:
    """The oldest date that must still be kept: today minus ANBIAO_LOG_RETENTION_MONTHS."""
    months = max(6, settings.ANBIAO_LOG_RETENTION_MONTHS)
    total = today.year * 12 + today.month - 1 - months
    year, month = divmod(total, 12)
    day = min(today.day, 28)
    return date(year, month + 1, day)


class Command(BaseCommand):
    help = "删除早于指定日期的变更记录和登录日志(不会删除保留期内的记录,至少保留6个月)"

    def add_arguments(self, parser):
        parser.add_argument("--before", required=True, help="删除此日期(YYYY-MM-DD)之前的记录")

    def handle(self, *args, before, **options):
        on = parse_date(before)
        if on is None:
            raise CommandError(f"日期“{before}”无效,格式为 YYYY-MM-DD")
        cutoff = retention_cutoff(timezone.localdate())
        if on > cutoff:
            raise CommandError(
                f"拒绝删除:{on} 之前的记录包含保留期内的记录,"
                f"只能删除 {cutoff} 之前的记录(保留 {settings.ANBIAO_LOG_RETENTION_MONTHS} 个月)"
            )
        with transaction.atomic():
            changes, _ = ChangeLog.objects.filter(at__date__lt=on).delete()
            logins, _ = LoginLog.objects.filter(at__date__lt=on).delete()
        self.stdout.write(f"已删除 {on} 之前的变更记录 {changes} 条、登录日志 {logins} 条")
