from django.db import models


class Agency(models.Model):
    """A third-party technical service agency (第三方机构). Its users see the enterprises it is
    assigned to. The registry grows in the agencies/experts issue; this is what scoping needs."""

    name = models.CharField("机构名称", max_length=100, unique=True)
    uscc = models.CharField("统一社会信用代码", max_length=18, blank=True)
    contact_name = models.CharField("联系人", max_length=50, blank=True)
    contact_phone = models.CharField("联系电话", max_length=20, blank=True)
    is_active = models.BooleanField("在册", default=True)

    class Meta:
        verbose_name = "第三方机构"
        verbose_name_plural = "第三方机构"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class AgencyAssignment(models.Model):
    """An agency assigned to an enterprise for technical guidance (技术服务), over dates."""

    agency = models.ForeignKey(
        Agency, verbose_name="机构", on_delete=models.PROTECT, related_name="assignments"
    )
    enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        verbose_name="企业",
        on_delete=models.PROTECT,
        related_name="agency_assignments",
    )
    start_on = models.DateField("开始日期")
    end_on = models.DateField("结束日期", null=True, blank=True)

    class Meta:
        verbose_name = "机构服务指派"
        verbose_name_plural = "机构服务指派"
        ordering = ["-start_on"]
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "enterprise", "start_on"], name="agency_assignment_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.agency} → {self.enterprise}"
