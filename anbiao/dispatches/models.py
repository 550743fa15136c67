"""督办 (dispatch): a numbered order from the district or a station to a department, an
enterprise or an agency, with a deadline, linked objects, replies, and the issuer's verdict.

`DispatchEvent` rows are the append-only history (issue, replies, return, acceptance,
escalation); `Dispatch.status` is kept by `services.py` from the transition table."""

from django.conf import settings
from django.db import models

from anbiao.core.models import StoredFile
from anbiao.dispatches.choices import OPEN, EventKind, RecipientKind, Status


class DispatchQuerySet(models.QuerySet):
    def open(self):
        """Not yet handed in for acceptance, nor accepted."""
        return self.filter(status__in=OPEN)

    def restrict(self, user, action: str = "view"):
        """督办单 `user` may see (docs/notifications.md, 督办 scope): the issuing side sees those
        issued within its region; a department, enterprise or agency sees those sent to it."""
        from anbiao.dispatches.selectors import visible_q

        return self.filter(visible_q(user, action))


class Dispatch(models.Model):
    """One 督办单."""

    number = models.CharField("编号", max_length=60, unique=True)
    number_prefix = models.CharField("文号代字", max_length=30)
    year = models.PositiveIntegerField("年度")
    serial = models.PositiveIntegerField("序号")
    issuer_region = models.ForeignKey(
        "accounts.Region", verbose_name="督办单位(区域)", on_delete=models.PROTECT, related_name="+"
    )
    issuer_unit = models.CharField("督办单位", max_length=100)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="签发人",
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    issued_on = models.DateField("下发日期")
    recipient_kind = models.CharField("督办对象类型", max_length=12, choices=RecipientKind.choices)
    recipient_department = models.CharField("责任部门", max_length=100, blank=True)
    recipient_region = models.ForeignKey(
        "accounts.Region",
        verbose_name="部门所在区域",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    recipient_enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        verbose_name="督办企业",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="dispatches",
    )
    recipient_agency = models.ForeignKey(
        "agencies.Agency",
        verbose_name="督办机构",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="dispatches",
    )
    subject = models.CharField("督办事项", max_length=200)
    content = models.TextField("督办内容及要求")
    deadline = models.DateField("办理时限")
    status = models.CharField("状态", max_length=12, choices=Status.choices, default=Status.ISSUED)
    status_since = models.DateField("状态日期")
    escalated_on = models.DateField("逾期上报日期", null=True, blank=True)
    enterprises = models.ManyToManyField(
        "enterprises.Enterprise", verbose_name="关联企业", blank=True, related_name="+"
    )
    tasks = models.ManyToManyField(
        "campaigns.Task", verbose_name="关联任务", blank=True, related_name="dispatches"
    )
    hazards = models.ManyToManyField(
        "supervision.Hazard", verbose_name="关联隐患", blank=True, related_name="dispatches"
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    objects = DispatchQuerySet.as_manager()

    class Meta:
        verbose_name = "督办单"
        verbose_name_plural = "督办单"
        ordering = ["-issued_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["number_prefix", "year", "serial"], name="dispatch_serial_per_issuer"
            )
        ]
        indexes = [models.Index(fields=["status", "deadline"])]

    def __str__(self) -> str:
        return f"{self.number} {self.subject}"

    @property
    def recipient_label(self) -> str:
        if self.recipient_kind == RecipientKind.ENTERPRISE:
            return str(self.recipient_enterprise)
        if self.recipient_kind == RecipientKind.AGENCY:
            return str(self.recipient_agency)
        return self.recipient_department

    @property
    def is_open(self) -> bool:
        return self.status in OPEN


class DispatchEvent(models.Model):
    """A dated step of a 督办单: issued, replied, handed in, returned, accepted, escalated."""

    dispatch = models.ForeignKey(
        Dispatch, verbose_name="督办单", on_delete=models.CASCADE, related_name="events"
    )
    kind = models.CharField("事项", max_length=10, choices=EventKind.choices)
    on = models.DateField("日期")
    text = models.TextField("内容", blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="办理人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    status_after = models.CharField("之后状态", max_length=12, choices=Status.choices)
    recorded_at = models.DateTimeField("记录时间", auto_now_add=True)

    class Meta:
        verbose_name = "督办记录"
        verbose_name_plural = "督办记录"
        ordering = ["recorded_at", "id"]

    def __str__(self) -> str:
        return f"{self.on} {self.get_kind_display()}"


class DispatchFile(StoredFile):
    """An attachment of a 督办单 (with its issue) or of a reply; served by the scoped view."""

    event = models.ForeignKey(
        DispatchEvent, verbose_name="记录", on_delete=models.CASCADE, related_name="files"
    )
    file = models.FileField("文件", upload_to="dispatches/%Y/%m/", max_length=200)

    class Meta:
        verbose_name = "督办附件"
        verbose_name_plural = "督办附件"
        ordering = ["id"]
