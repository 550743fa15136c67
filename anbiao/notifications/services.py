"""Writes of the notifications app: sending a notification through the user's channels,
evaluating the reminder rules for a day, the weekly digest, reading and preferences."""

from collections import defaultdict
from datetime import date, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from anbiao.accounts import permissions as perms
from anbiao.accounts.access import require
from anbiao.core import audit
from anbiao.core.workdays import working_days_between
from anbiao.notifications import channels, queries, recipients
from anbiao.notifications.models import Notification, NotificationPreference, Reminder
from anbiao.notifications.rules import Rule, rule_names, rules

NOTIFY = perms.NOTIFICATION_VIEW


def preference_of(user) -> NotificationPreference:
    """The user's preferences (an unsaved default row when they never changed them)."""
    try:
        return user.notification_preference
    except NotificationPreference.DoesNotExist:
        return NotificationPreference(user=user)


def absolute(url: str) -> str:
    base = getattr(settings, "ANBIAO_SITE_URL", "").rstrip("/")
    return f"{base}{url}" if url else base


def notify(*, users, rule: str, title: str, url: str = "", body: str = "", reminder=None) -> int:
    """Give each of `users` a notification, through the channels they chose: the bell always
    (unless they muted this reminder rule), a mail now unless they prefer the weekly digest,
    an SMS if they turned it on. Returns the number of notifications created."""
    names = rule_names()
    created = 0
    for user in users:
        if not user.is_active:
            continue
        pref = preference_of(user)
        if rule in (pref.muted_rules or []):
            continue
        item = Notification.objects.create(
            user=user,
            rule=rule,
            rule_name=names.get(rule, rule),
            title=title[:200],
            body=body,
            url=url,
            reminder=reminder,
        )
        created += 1
        if pref.email_enabled and not pref.email_digest and user.email:
            transaction.on_commit(lambda item=item: _mail_now(item.pk))
        if pref.sms_enabled and user.phone:
            transaction.on_commit(
                lambda phone=user.phone, text=title: channels.sms_backend().send(phone, text)
            )
    return created


def _mail_now(pk: int) -> None:
    item = Notification.objects.select_related("user").get(pk=pk)
    text = item.title + ("\n\n" + item.body if item.body else "")
    if item.url:
        text += f"\n\n查看:{absolute(item.url)}"
    if channels.send_email(to=item.user.email, subject=item.title, body=text):
        Notification.objects.filter(pk=pk).update(emailed_at=timezone.now())


def days_left(rule: Rule, due_on: date, on: date) -> int:
    if rule.unit == "working_days":
        return working_days_between(on, due_on)
    return (due_on - on).days


def crossed_threshold(rule: Rule, left: int) -> int | None:
    """The threshold a subject `left` days from its due date has reached: the most urgent one
    crossed. "Before" thresholds (≥ 0) stop once the due date has passed, so a thing first seen
    overdue gets the overdue reminder, not a late "due in 7 days"."""
    crossed = [t for t in rule.thresholds if left <= t and (t < 0 or left >= 0)]
    return min(crossed) if crossed else None


def evaluate_rules(*, on: date, only: str | None = None) -> dict[str, int]:
    """Send the reminders due on `on`: for each rule and each open thing, the threshold it has
    reached, once per (rule, object, threshold, due date). Returns reminders sent per rule."""
    sent: dict[str, int] = {}
    for rule in rules():
        if only and rule.code != only:
            continue
        sent[rule.code] = 0
        for subject in queries.QUERIES[rule.query](on, rule):
            threshold = crossed_threshold(rule, days_left(rule, subject.due_on, on))
            if threshold is None:
                continue
            if _send(rule=rule, subject=subject, threshold=threshold, on=on):
                sent[rule.code] += 1
    return sent


def _send(*, rule: Rule, subject, threshold: int, on: date) -> bool:
    """Claim the reminder's key and notify; False when it was sent before."""
    try:
        with transaction.atomic():
            reminder = Reminder.objects.create(
                rule=rule.code,
                object_type=subject.object_type,
                object_id=subject.object_id,
                threshold=threshold,
                due_on=subject.due_on,
                sent_on=on,
            )
            users = set()
            for kind in rule.recipients:
                users |= recipients.resolve(kind, subject, on)
            title = rule.title.format(due_on=subject.due_on.isoformat(), **subject.context)
            notify(
                users=sorted(users, key=lambda u: u.pk),
                rule=rule.code,
                title=title,
                url=subject.url,
                reminder=reminder,
            )
            if rule.escalate and rule.query in queries.ESCALATIONS:
                queries.ESCALATIONS[rule.query](subject.obj, on, users)
    except IntegrityError:
        return False
    return True


def send_digests(*, on: date) -> int:
    """The weekly digest: one mail per user who chose it, every notification since the last
    digest grouped by kind. Returns the number of mails sent."""
    pending = (
        Notification.objects.filter(
            digested_at__isnull=True,
            emailed_at__isnull=True,
            user__is_active=True,
            user__notification_preference__email_digest=True,
            user__notification_preference__email_enabled=True,
            created_at__date__lt=on,
        )
        .exclude(user__email="")
        .select_related("user")
        .order_by("user_id", "rule_name", "created_at")
    )
    by_user: dict = defaultdict(list)
    for item in pending:
        by_user[item.user].append(item)
    mails = 0
    for user, items in by_user.items():
        subject, body = digest_text(items, on=on)
        if channels.send_email(to=user.email, subject=subject, body=body):
            now = timezone.now()
            Notification.objects.filter(pk__in=[i.pk for i in items]).update(
                digested_at=now, emailed_at=now
            )
            mails += 1
    return mails


def digest_text(items, *, on: date) -> tuple[str, str]:
    """(subject, body) of one digest: the notifications grouped by kind, each with its link."""
    groups: dict[str, list] = defaultdict(list)
    for item in items:
        groups[item.rule_name].append(item)
    start = on - timedelta(days=7)
    lines = [f"{start:%Y年%m月%d日}至{on - timedelta(days=1):%m月%d日}的提醒共 {len(items)} 条:"]
    for name, group in groups.items():
        lines.append("")
        lines.append(f"【{name}】{len(group)} 条")
        for item in group:
            lines.append(f"  · {item.title}")
            if item.url:
                lines.append(f"    {absolute(item.url)}")
    return f"安标每周提醒摘要({len(items)} 条)", "\n".join(lines)


def mark_read(*, actor, pks=None) -> int:
    """Mark the actor's own notifications read (all unread ones when `pks` is None)."""
    require(actor, NOTIFY)
    qs = Notification.objects.filter(user=actor, read_at__isnull=True)
    if pks is not None:
        qs = qs.filter(pk__in=pks)
    return qs.update(read_at=timezone.now())


@transaction.atomic
def preference_update(
    *, actor, muted_rules, email_enabled: bool, email_digest: bool, sms_enabled: bool
) -> NotificationPreference:
    """Save the actor's own notification preferences (audited)."""
    require(actor, NOTIFY)
    pref, _ = NotificationPreference.objects.get_or_create(user=actor)
    fields = ["muted_rules", "email_enabled", "email_digest", "sms_enabled"]
    before = audit.snapshot(pref, fields)
    pref.muted_rules = sorted(set(muted_rules))
    pref.email_enabled = email_enabled
    pref.email_digest = email_digest
    pref.sms_enabled = sms_enabled
    pref.save()
    changes = audit.diff(pref, before)
    if changes:
        audit.record(actor=actor, action="update", instance=pref, changes=changes)
    return pref
