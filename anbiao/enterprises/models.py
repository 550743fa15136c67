from django.conf import settings
from django.db import models

from anbiao.accounts.models import Region
from anbiao.core.querysets import ScopedQuerySet
from anbiao.enterprises.choices import (
    EntryReason,
    FactKind,
    FactSource,
    Industry,
    OperatingStatus,
    Size,
)


class RiskTag(models.Model):
    """A key risk (粉尘涉爆, 涉氨制冷, …): a dictionary entry loaded from reference data."""

    code = models.CharField("代码", max_length=40, unique=True)
    name = models.CharField("名称", max_length=40, unique=True)
    sort_order = models.PositiveIntegerField("排序", default=0)

    class Meta:
        verbose_name = "重点风险"
        verbose_name_plural = "重点风险"
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return self.name


class Enterprise(models.Model):
    """One legal entity in the registry, keyed by its 统一社会信用代码.

    Status, size, eligibility, torch-zone and region are also kept as dated `EnterpriseFact`
    rows, so the ledger can be asked as of any past date; the columns here are the current
    values, written only by `services.py` together with the fact.
    """

    name = models.CharField("企业名称", max_length=100)
    uscc = models.CharField("统一社会信用代码", max_length=18, unique=True)
    name_initials = models.CharField("名称拼音首字母", max_length=100, blank=True, db_index=True)
    name_pinyin = models.CharField("名称全拼", max_length=300, blank=True)
    address = models.CharField("生产经营地址", max_length=200, blank=True)
    region = models.ForeignKey(
        "accounts.Region",
        verbose_name="所属区域",
        on_delete=models.PROTECT,
        related_name="enterprises",
        db_index=False,  # the (region, status) index starts with it
    )
    industry = models.CharField("行业", max_length=20, choices=Industry.choices)
    industry_code = models.CharField(
        "国民经济行业代码", max_length=5, blank=True, help_text="GB/T 4754,可选,如 C3311"
    )
    size = models.CharField("企业规模", max_length=10, choices=Size.choices)
    employees = models.PositiveIntegerField("从业人员数", null=True, blank=True)
    revenue = models.DecimalField(
        "营业收入(万元)", max_digits=14, decimal_places=2, null=True, blank=True
    )
    in_torch_zone = models.BooleanField("位于火炬高新区", default=False)
    status = models.CharField(
        "经营状态",
        max_length=14,
        choices=OperatingStatus.choices,
        default=OperatingStatus.OPERATING,
    )
    status_since = models.DateField("状态日期", null=True, blank=True)
    ledger_since = models.DateField("纳入台账日期", null=True, blank=True)
    principal_name = models.CharField("主要负责人", max_length=50, blank=True)
    principal_phone = models.CharField("主要负责人电话", max_length=20, blank=True)
    safety_manager_name = models.CharField("安全管理人员", max_length=50, blank=True)
    safety_manager_phone = models.CharField("安全管理人员电话", max_length=20, blank=True)
    risk_tags = models.ManyToManyField(
        RiskTag, verbose_name="重点风险", blank=True, related_name="enterprises"
    )
    eligible = models.BooleanField("符合创建条件", null=True, blank=True)
    eligibility_reason = models.CharField("不符合原因", max_length=200, blank=True)
    # The state of the enterprise's current case (not_started without one), for the case
    # board's counts at 100k. Kept by database triggers the cases app installs
    # (anbiao/cases/current_state.py), whatever writes a case; never written by Python.
    case_state = models.CharField(
        "创建状态", max_length=16, default="not_started", db_default="not_started", editable=False
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    objects = ScopedQuerySet.as_manager()
    scope_prefix = ""
    scope_object = "enterprise"

    class Meta:
        verbose_name = "企业"
        verbose_name_plural = "企业"
        ordering = ["name", "id"]
        indexes = [
            models.Index(fields=["region", "status"]),
            # The lists' default order within a region (selectors.in_list_order): a page is an
            # index range, not a sort of every enterprise.
            models.Index(fields=["region", "name_pinyin", "id"], name="enterprise_list_order_idx"),
            # PostgreSQL also has enterprise_case_state_idx on (case_state, region), created by
            # migration 0008 on PostgreSQL only (see there).
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def subdistrict(self):
        """The 镇街 above (or equal to) the enterprise's region."""
        region = self.region
        while region.parent_id and region.level == "community":
            region = region.parent
        return region


class EnterpriseFact(models.Model):
    """A dated fact about an enterprise: from `effective_on`, `kind` had `value`.

    Append-only. The ledger as of a date takes, per kind, the latest fact on or before it.
    """

    enterprise = models.ForeignKey(
        Enterprise,
        verbose_name="企业",
        on_delete=models.CASCADE,
        related_name="facts",
        db_index=False,  # fact_as_of_idx starts with it: a second index only slows imports
    )
    kind = models.CharField("类别", max_length=12, choices=FactKind.choices)
    value = models.CharField("值", max_length=40)
    reason = models.CharField("说明", max_length=200, blank=True)
    effective_on = models.DateField("生效日期")
    source = models.CharField(
        "来源", max_length=10, choices=FactSource.choices, default=FactSource.MANUAL
    )
    recorded_at = models.DateTimeField("记录时间", auto_now_add=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="记录人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = ScopedQuerySet.as_manager()
    scope_prefix = "enterprise__"
    scope_object = "enterprise"

    class Meta:
        verbose_name = "企业动态信息"
        verbose_name_plural = "企业动态信息"
        ordering = ["enterprise", "kind", "effective_on", "id"]
        # Every read of facts names the enterprise (its page, the as-of lookups, the metrics'
        # entry reasons): this index answers them all, so it is the only one. An index on
        # (kind, effective_on) that no query used cost a ledger import a B-tree insert per fact.
        indexes = [
            models.Index(fields=["enterprise", "kind", "effective_on"], name="fact_as_of_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.enterprise_id} {self.get_kind_display()}={self.value}@{self.effective_on}"

    @property
    def display_value(self) -> str:
        """The value as a person reads it (labels instead of codes)."""
        if self.kind == FactKind.STATUS:
            return OperatingStatus(self.value).label
        if self.kind == FactKind.SIZE:
            return Size(self.value).label
        if self.kind == FactKind.ELIGIBILITY:
            return "符合" if self.value == "1" else "不符合"
        if self.kind in (FactKind.TORCH_ZONE, FactKind.LEDGER):
            return "是" if self.value == "1" else "否"
        if self.kind == FactKind.ENTRY:
            return EntryReason(self.value).label
        if self.kind == FactKind.REGION:
            region = Region.objects.filter(pk=self.value).first()
            return region.name if region else self.value
        return self.value


class LedgerSpan(models.Model):
    """A period during which none of an enterprise's dated facts changed, with their values.

    Derived from EnterpriseFact by `spans.rebuild_spans` whenever facts are written, so "the
    ledger on D" is one indexed range lookup per enterprise instead of one subquery per kind.
    `ends_on` is exclusive; an open span has none.
    """

    # span_enterprise_idx starts with the enterprise: no separate index for the foreign key.
    enterprise = models.ForeignKey(
        Enterprise, on_delete=models.CASCADE, related_name="spans", db_index=False
    )
    starts_on = models.DateField()
    ends_on = models.DateField(null=True, blank=True)
    in_ledger = models.BooleanField(default=False)
    status = models.CharField(max_length=14, blank=True)
    size = models.CharField(max_length=10, blank=True)
    torch_zone = models.BooleanField(null=True)
    region_id_on = models.BigIntegerField(null=True)
    eligibility = models.CharField(max_length=1, blank=True)  # "1", "0" or "" (undecided)
    entered_on = models.DateField(null=True)  # the first day in the ledger, ever

    class Meta:
        indexes = [
            models.Index(fields=["enterprise", "starts_on"], name="span_enterprise_idx"),
            models.Index(fields=["starts_on", "ends_on"], name="span_dates_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.enterprise_id} {self.starts_on}–{self.ends_on or ''}"


class ExportJob(models.Model):
    """A large export (the registry, or 附件3) built by the background worker with progress,
    then kept for download: an export of more than `ANBIAO_EXPORT_INLINE_ROWS` rows does not
    tie up a web worker (docs/enterprises.md, "Exports"). The request's filters are kept in
    `params`; the file is built with the scope of the user who asked for it. Who may see the
    job: `export_jobs.visible_jobs` (the requester's region, like the import records)."""

    class Kind(models.TextChoices):
        REGISTRY = "registry", "企业台账"
        ATTACHMENT3 = "attachment3", "附件3 应创台账"

    class Status(models.TextChoices):
        QUEUED = "queued", "排队中"
        RUNNING = "running", "导出中"
        DONE = "done", "已完成"
        FAILED = "failed", "失败"

    kind = models.CharField("类型", max_length=12, choices=Kind.choices)
    status = models.CharField("状态", max_length=10, choices=Status.choices, default="queued")
    params = models.JSONField("筛选条件", default=dict)
    filename = models.CharField("文件名", max_length=200)
    file = models.FileField("文件", upload_to="exports/%Y/%m/", blank=True)
    region = models.ForeignKey(
        Region,
        verbose_name="导出范围",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    total_rows = models.PositiveIntegerField("数据行", default=0)
    error = models.TextField("失败原因", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="导出人",
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField("申请时间", auto_now_add=True)
    started_at = models.DateTimeField("开始时间", null=True, blank=True)
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)

    class Meta:
        verbose_name = "导出任务"
        verbose_name_plural = "导出任务"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.filename

    @property
    def running(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)
