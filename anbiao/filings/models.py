from django.conf import settings
from django.db import models

from anbiao.core.models import StoredFile
from anbiao.filings.choices import FilingStatus


class Filing(models.Model):
    """报送: the figures a 镇街's station reported to the district for one period of a campaign,
    frozen when filed (docs/filings.md).

    Everything the report said is kept as it was — every metric, the breakdowns by 镇街 and
    industry, the target statuses, the enterprise ids behind the key numbers and the generated
    进度报表 — so what was reported can always be shown, whatever is recorded later. Only the
    district's answer (签收 / 退回) is written afterwards, by `services.py`. A returned filing is
    kept; the station files the period again, as a new filing.
    """

    campaign = models.ForeignKey(
        "campaigns.Campaign", verbose_name="专项行动", on_delete=models.PROTECT, related_name="+"
    )
    region = models.ForeignKey(
        "accounts.Region", verbose_name="报送单位(镇街)", on_delete=models.PROTECT, related_name="+"
    )
    period = models.CharField("报送期", max_length=10, help_text="2025-06、2025-Q2,临时报送为空")
    period_label = models.CharField("报送期名称", max_length=40)
    as_of = models.DateField("统计截至日期")
    due_on = models.DateField("报送期限", null=True, blank=True)
    note = models.CharField("报送说明", max_length=500, blank=True)
    values = models.JSONField("指标值", default=dict)
    breakdowns = models.JSONField("分组统计", default=dict)  # subdistrict, industry, new_by_reason
    targets = models.JSONField("目标完成情况", default=list)
    enterprise_ids = models.JSONField("指标对应企业", default=dict)  # list key → [ids]
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="报送人",
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    filed_at = models.DateTimeField("报送时间(记录时间)")
    status = models.CharField(
        "状态", max_length=10, choices=FilingStatus.choices, default=FilingStatus.FILED
    )
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="签收/退回人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    answered_at = models.DateTimeField("签收/退回时间", null=True, blank=True)
    comment = models.CharField("退回意见", max_length=500, blank=True)

    class Meta:
        verbose_name = "信息报送"
        verbose_name_plural = "信息报送"
        ordering = ["-filed_at", "-id"]
        indexes = [models.Index(fields=["campaign", "region", "period"])]

    def __str__(self) -> str:
        return f"{self.region} {self.period_label}"

    # What may change after filing: the district's answer, nothing of what was filed.
    ANSWER_FIELDS = frozenset({"status", "comment", "answered_by", "answered_at"})

    def save(self, *args, **kwargs):
        """A filing is written once; afterwards only its answer (签收 / 退回) may be saved."""
        fields = kwargs.get("update_fields")
        if self.pk is not None and not kwargs.get("force_insert"):
            if fields is None or not set(fields) <= self.ANSWER_FIELDS:
                raise ValueError("报送的内容不可修改,只能签收或退回")
        super().save(*args, **kwargs)

    @property
    def is_late(self) -> bool:
        """Filed after its due date (a 临时报送 has none)."""
        return bool(self.due_on and self.filed_at.date() > self.due_on)


class FilingFile(StoredFile):
    """A document generated when the filing was made (the 进度报表 .xlsx), kept as filed."""

    filing = models.ForeignKey(Filing, on_delete=models.CASCADE, related_name="files")
    file = models.FileField("文件", upload_to="filings/%Y/%m/")

    class Meta:
        verbose_name = "报送文件"
        verbose_name_plural = "报送文件"
