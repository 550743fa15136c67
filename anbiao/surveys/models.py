from django.conf import settings
from django.db import models

from anbiao.core.querysets import ScopedQuerySet
from anbiao.enterprises.choices import Industry, OperatingStatus, Size


class SurveyRound(models.Model):
    """A half-yearly survey (摸排) of one 镇街: every enterprise in it is visited and what was
    found is recorded; closing the round applies the findings to the ledger as dated facts."""

    class Status(models.TextChoices):
        OPEN = "open", "进行中"
        CLOSED = "closed", "已结束"

    name = models.CharField("名称", max_length=100)
    region = models.ForeignKey(
        "accounts.Region",
        verbose_name="摸排区域",
        on_delete=models.PROTECT,
        related_name="survey_rounds",
    )
    period_start = models.DateField("开始日期")
    period_end = models.DateField("结束日期")
    surveyors = models.CharField("摸排人员", max_length=200, blank=True)
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.OPEN)
    closed_on = models.DateField("结束(生效)日期", null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="结束人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    report = models.JSONField("变化报告", default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="创建人",
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope_prefix = ""  # scoped by the round's own region
    scope_object = "survey"

    class Meta:
        verbose_name = "摸排轮次"
        verbose_name_plural = "摸排轮次"
        ordering = ["-period_start", "-id"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("surveys:detail", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN


class SurveyFinding(models.Model):
    """What the surveyors found at one enterprise, or a new enterprise they found (no
    `enterprise` yet: it is registered when the round closes)."""

    round = models.ForeignKey(
        SurveyRound, verbose_name="摸排轮次", on_delete=models.CASCADE, related_name="findings"
    )
    enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        verbose_name="企业",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="findings",
    )
    # A newly found enterprise's registry data (used only when `enterprise` is empty).
    new_name = models.CharField("企业名称", max_length=100, blank=True)
    new_uscc = models.CharField("统一社会信用代码", max_length=18, blank=True)
    new_industry = models.CharField("行业", max_length=20, choices=Industry.choices, blank=True)
    new_region = models.ForeignKey(
        "accounts.Region",
        verbose_name="所属区域",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    new_address = models.CharField("生产经营地址", max_length=200, blank=True)
    # What was found.
    recorded = models.BooleanField("已摸排", default=False)
    status = models.CharField(
        "经营状态", max_length=14, choices=OperatingStatus.choices, blank=True
    )
    size = models.CharField("企业规模", max_length=10, choices=Size.choices, blank=True)
    employees = models.PositiveIntegerField("从业人员数", null=True, blank=True)
    eligible = models.BooleanField("符合创建条件", null=True, blank=True)
    eligibility_reason = models.CharField("不符合原因", max_length=200, blank=True)
    note = models.CharField("备注", max_length=200, blank=True)
    surveyor = models.CharField("摸排人", max_length=50, blank=True)
    surveyed_on = models.DateField("摸排日期", null=True, blank=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "摸排结果"
        verbose_name_plural = "摸排结果"
        ordering = ["round", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["round", "enterprise"],
                name="finding_unique",
                condition=models.Q(enterprise__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.enterprise.name if self.enterprise_id else self.new_name

    @property
    def display_uscc(self) -> str:
        return self.enterprise.uscc if self.enterprise_id else self.new_uscc
