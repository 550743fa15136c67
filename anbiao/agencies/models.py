"""Third-party agencies (第三方机构) and review experts (专家): district-wide registries, the
assignment of an agency to an enterprise for technical guidance (技术服务), and the dated
guidance records of those visits with their files.

The registries are reference data (not scoped by region); assignments, guidance records and
their files belong to an enterprise and are scoped like it (anbiao/accounts/scope.py).
"""

from django.conf import settings
from django.db import models

from anbiao.core.models import StoredFile
from anbiao.core.querysets import ScopedQuerySet
from anbiao.enterprises.choices import Industry


def specialty_labels(value: str) -> list[str]:
    """`specialties` ("machinery,trade") as labels (["机械", "商贸"])."""
    labels = dict(Industry.choices)
    return [str(labels.get(code, code)) for code in value.split(",") if code]


class Agency(models.Model):
    """A third-party technical service agency (第三方机构). Its users see the enterprises it is
    assigned to (scope.py)."""

    class Status(models.TextChoices):
        ACTIVE = "active", "在册"
        SUSPENDED = "suspended", "暂停"
        REMOVED = "removed", "退出"

    name = models.CharField("机构名称", max_length=100, unique=True)
    uscc = models.CharField("统一社会信用代码", max_length=18, blank=True)
    qualification = models.CharField(
        "资质", max_length=200, blank=True, help_text="如:安全评价机构资质、安全生产标准化咨询"
    )
    qualification_no = models.CharField("资质证书编号", max_length=60, blank=True)
    qualification_expires_on = models.DateField("资质有效期至", null=True, blank=True)
    # Comma-separated Industry values: the 工贸 sub-sectors the agency serves.
    specialties = models.CharField("服务行业", max_length=200, blank=True)
    address = models.CharField("地址", max_length=200, blank=True)
    contact_name = models.CharField("联系人", max_length=50, blank=True)
    contact_phone = models.CharField("联系电话", max_length=20, blank=True)
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.ACTIVE)
    is_active = models.BooleanField("在册", default=True)  # kept equal to status == active
    note = models.CharField("备注", max_length=300, blank=True)
    created_at = models.DateTimeField("登记时间", auto_now_add=True, null=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True, null=True)

    class Meta:
        verbose_name = "第三方机构"
        verbose_name_plural = "第三方机构"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def specialty_labels(self) -> list[str]:
        return specialty_labels(self.specialties)


class Expert(models.Model):
    """A review expert (专家) in the registry. `user` is their login (role 专家), which is what
    review assignments (cases.Assessment.experts) name; `agency` and `enterprise` are where they
    work — the independence rule refuses them for the enterprises those link them to."""

    class Status(models.TextChoices):
        ACTIVE = "active", "在册"
        SUSPENDED = "suspended", "暂停"
        REMOVED = "removed", "退出"

    name = models.CharField("姓名", max_length=50)
    phone = models.CharField("联系电话", max_length=20)
    employer = models.CharField("工作单位", max_length=100, blank=True)
    title = models.CharField("职称/职务", max_length=60, blank=True)
    qualification = models.CharField(
        "资格", max_length=200, blank=True, help_text="如:注册安全工程师、省级安全生产专家"
    )
    specialties = models.CharField("专业行业", max_length=200, blank=True)
    agency = models.ForeignKey(
        Agency,
        verbose_name="所在机构",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="experts",
    )
    enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        verbose_name="所在企业",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name="登录账号",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="expert_profile",
    )
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.ACTIVE)
    note = models.CharField("备注", max_length=300, blank=True)
    created_at = models.DateTimeField("登记时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "专家"
        verbose_name_plural = "专家"
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["name", "phone"], name="expert_name_phone_unique")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def specialty_labels(self) -> list[str]:
        return specialty_labels(self.specialties)


class AgencyAssignment(models.Model):
    """An agency assigned to an enterprise for technical guidance (技术服务), over dates.
    While it runs (start_on ≤ today ≤ end_on) the agency's users see the enterprise."""

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
    note = models.CharField("服务内容", max_length=200, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_prefix = "enterprise__"
    scope_object = "agency"

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


class GuidanceRecord(models.Model):
    """One dated guidance visit at an enterprise: an agency's technical service (技术服务记录), or
    the station's own 服务指导 (no agency; the recorder's 安监站 is named in `station_name`), which
    may be at any enterprise in scope, eligible or not yet."""

    agency = models.ForeignKey(
        Agency,
        verbose_name="机构",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="guidance_records",
    )
    station_name = models.CharField("服务单位(安监站)", max_length=100, blank=True)
    enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        verbose_name="企业",
        on_delete=models.PROTECT,
        related_name="guidance_records",
    )
    assignment = models.ForeignKey(
        AgencyAssignment,
        verbose_name="服务指派",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="records",
    )
    visited_on = models.DateField("服务日期")
    staff = models.CharField("服务人员", max_length=100, blank=True)
    content = models.TextField("服务内容")
    issues = models.TextField("发现问题", blank=True)
    suggestions = models.TextField("整改建议", blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="记录人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    recorded_at = models.DateTimeField("记录时间", auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope_prefix = "enterprise__"
    scope_object = "agency"

    class Meta:
        verbose_name = "技术服务记录"
        verbose_name_plural = "技术服务记录"
        ordering = ["-visited_on", "-id"]
        indexes = [models.Index(fields=["agency", "enterprise"])]

    def __str__(self) -> str:
        return f"{self.visited_on} {self.provider} @ {self.enterprise}"

    @property
    def provider(self) -> str:
        """Who gave the guidance: the agency, or the station for its own 服务指导."""
        return self.agency.name if self.agency_id else (self.station_name or "街道安监站")

    @property
    def by_station(self) -> bool:
        return self.agency_id is None


class GuidanceFile(StoredFile):
    """A file of a guidance record (服务记录表, photos), checked by content, served only by the
    scoped download view."""

    record = models.ForeignKey(
        GuidanceRecord, verbose_name="服务记录", on_delete=models.CASCADE, related_name="files"
    )
    file = models.FileField("文件", upload_to="guidance/%Y/%m/", max_length=200)

    objects = ScopedQuerySet.as_manager()
    scope_prefix = "record__enterprise__"
    scope_object = "agency"

    class Meta:
        verbose_name = "技术服务附件"
        verbose_name_plural = "技术服务附件"
        ordering = ["id"]
