"""The schedule's run log, the reminders already sent, the notifications each user receives and
their preferences (docs/notifications.md)."""

from django.conf import settings
from django.db import models


class JobRun(models.Model):
    """One run of a scheduled job for one day. The unique (job, day) pair is the claim: whoever
    inserts it runs the job, so two workers (or cron and a worker) never run it twice."""

    class Status(models.TextChoices):
        RUNNING = "running", "运行中"
        DONE = "done", "完成"
        FAILED = "failed", "失败"

    job = models.CharField("任务", max_length=40)
    day = models.DateField("对应日期")
    status = models.CharField("状态", max_length=10, choices=Status.choices)
    started_at = models.DateTimeField("开始时间")
    finished_at = models.DateTimeField("结束时间", null=True, blank=True)
    summary = models.CharField("结果", max_length=500, blank=True)
    error = models.TextField("错误", blank=True)
    attempts = models.PositiveSmallIntegerField("尝试次数", default=1)

    class Meta:
        verbose_name = "定时任务记录"
        verbose_name_plural = "定时任务记录"
        ordering = ["-day", "job"]
        constraints = [models.UniqueConstraint(fields=["job", "day"], name="jobrun_job_day")]

    def __str__(self) -> str:
        return f"{self.job} {self.day}"


class Reminder(models.Model):
    """The key of a reminder already sent: one row per (rule, object, threshold, due date), so
    a reminder is sent once and survives restarts; a deadline that moves is a new reminder.
    Its notifications hang off it."""

    rule = models.CharField("规则", max_length=40)
    object_type = models.CharField("对象类型", max_length=50)
    object_id = models.PositiveBigIntegerField("对象ID")
    threshold = models.IntegerField("阈值(天)")
    due_on = models.DateField("期限")
    sent_on = models.DateField("发送日期")
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = "已发提醒"
        verbose_name_plural = "已发提醒"
        ordering = ["-sent_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "object_type", "object_id", "threshold", "due_on"],
                name="reminder_once_per_threshold",
            )
        ]

    def __str__(self) -> str:
        return f"{self.rule} {self.object_type}#{self.object_id} {self.threshold}"


class Notification(models.Model):
    """One message to one user: shown under the bell, e-mailed singly or in the digest."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="接收人",
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    rule = models.CharField("类别", max_length=40)
    rule_name = models.CharField("类别名称", max_length=60)
    title = models.CharField("标题", max_length=200)
    body = models.TextField("内容", blank=True)
    url = models.CharField("链接", max_length=300, blank=True)
    reminder = models.ForeignKey(
        Reminder,
        verbose_name="提醒",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    created_at = models.DateTimeField("时间", auto_now_add=True, db_index=True)
    read_at = models.DateTimeField("已读时间", null=True, blank=True)
    emailed_at = models.DateTimeField("邮件发送时间", null=True, blank=True)
    digested_at = models.DateTimeField("摘要发送时间", null=True, blank=True)

    class Meta:
        verbose_name = "通知"
        verbose_name_plural = "通知"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at"])]

    def __str__(self) -> str:
        return self.title

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class NotificationPreference(models.Model):
    """What one user wants: which reminder rules, e-mail on or off, a weekly digest instead of
    single mails, SMS on or off. A user without a row gets the defaults."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name="用户",
        on_delete=models.CASCADE,
        related_name="notification_preference",
    )
    muted_rules = models.JSONField("不接收的提醒", default=list, blank=True)
    email_enabled = models.BooleanField("接收邮件", default=True)
    email_digest = models.BooleanField("每周摘要代替单封邮件", default=False)
    sms_enabled = models.BooleanField("接收短信", default=False)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "通知设置"
        verbose_name_plural = "通知设置"

    def __str__(self) -> str:
        return f"{self.user} 通知设置"
