from django.conf import settings
from django.db import models

from anbiao.accounts import permissions as perms
from anbiao.campaigns.choices import FilingFrequency, TaskStatus
from anbiao.core.models import StoredFile
from anbiao.enterprises.choices import Size


class CampaignQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Campaigns whose region overlaps the user's region scope (either contains the other)."""

        if not perms.has_perm(user, perms.CAMPAIGN_VIEW):
            return self.none()
        if user.region_id is None:
            return self if user.role == "admin" else self.none()
        path = user.region.path
        ids = [
            c.pk
            for c in self.select_related("region")
            if c.region.path.startswith(path) or path.startswith(c.region.path)
        ]
        return self.filter(pk__in=ids)


class Campaign(models.Model):
    """A campaign plan (专项行动): its scope, phases, tasks, targets and division of work.
    Loaded from YAML (reference_data/campaigns) and editable in the UI."""

    slug = models.SlugField("代号", max_length=50, unique=True)
    name = models.CharField("名称", max_length=200)
    plan_title = models.CharField(
        "方案全称", max_length=200, blank=True, help_text="印发文件的标题,如 翔安区…实施方案"
    )
    issuer = models.CharField("印发单位", max_length=100, blank=True)
    issued_on = models.DateField("印发日期", null=True, blank=True)
    document_number = models.CharField("文号", max_length=60, blank=True)
    region = models.ForeignKey(
        "accounts.Region",
        verbose_name="实施区域",
        on_delete=models.PROTECT,
        related_name="campaigns",
    )
    industries = models.JSONField("行业", default=list)
    sizes = models.JSONField("企业规模", default=list)
    exclude_torch_zone = models.BooleanField("不含火炬高新区", default=True)
    baseline_on = models.DateField("基线日期", help_text="首轮摸排结束日,此后纳入台账的为新增企业")
    starts_on = models.DateField("开始日期")
    ends_on = models.DateField("结束日期")
    summary = models.TextField("目标概述", blank=True)
    # 信息报送: how often each 镇街 files its figures, and how many days after the end of a
    # period the filing is due (docs/filings.md).
    filing_frequency = models.CharField(
        "报送频次", max_length=10, choices=FilingFrequency.choices, default=FilingFrequency.NONE
    )
    filing_due_days = models.PositiveSmallIntegerField(
        "报送期限(期末后天数)", default=10, help_text="每期结束后多少天内报送"
    )
    source_digest = models.CharField("来源文件摘要", max_length=64, blank=True, editable=False)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    objects = CampaignQuerySet.as_manager()

    class Meta:
        verbose_name = "专项行动"
        verbose_name_plural = "专项行动"
        ordering = ["-starts_on", "slug"]

    def __str__(self) -> str:
        return self.name

    @property
    def full_title(self) -> str:
        """The plan's title as issued, for official drafts (《…实施方案》 without the brackets)."""
        return self.plan_title or f"{self.name}实施方案"

    @property
    def scope_label(self) -> str:
        """范围 in words, e.g. 非火炬高新区小型、微型工贸企业 (Chinese runs on without spaces)."""
        sizes = "、".join(dict(Size.choices).get(s, s) for s in self.sizes)
        zone = "非火炬高新区" if self.exclude_torch_zone else ""
        return f"{zone}{sizes}工贸企业"


class Phase(models.Model):
    campaign = models.ForeignKey(
        Campaign, verbose_name="专项行动", on_delete=models.CASCADE, related_name="phases"
    )
    code = models.CharField("编号", max_length=30)
    name = models.CharField("阶段", max_length=100)
    starts_on = models.DateField("开始日期", null=True, blank=True)
    ends_on = models.DateField("结束日期", null=True, blank=True)
    description = models.TextField("内容", blank=True)
    sort_order = models.PositiveIntegerField("排序", default=0)

    class Meta:
        verbose_name = "实施阶段"
        verbose_name_plural = "实施阶段"
        ordering = ["campaign", "sort_order"]
        constraints = [models.UniqueConstraint(fields=["campaign", "code"], name="phase_code")]

    def __str__(self) -> str:
        return self.name


class Task(models.Model):
    """A dated task of the plan (工作任务) with its responsible department."""

    campaign = models.ForeignKey(
        Campaign, verbose_name="专项行动", on_delete=models.CASCADE, related_name="tasks"
    )
    phase = models.ForeignKey(
        Phase,
        verbose_name="阶段",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tasks",
    )
    code = models.CharField("编号", max_length=30)
    title = models.CharField("任务", max_length=200)
    deadline = models.DateField("完成时限")
    department = models.CharField("责任部门", max_length=100)
    deliverable = models.CharField("工作成果", max_length=200, blank=True)
    status = models.CharField(
        "状态", max_length=12, choices=TaskStatus.choices, default=TaskStatus.NOT_STARTED
    )
    completed_on = models.DateField("完成日期", null=True, blank=True)
    note = models.TextField("进展说明", blank=True)
    sort_order = models.PositiveIntegerField("排序", default=0)

    class Meta:
        verbose_name = "工作任务"
        verbose_name_plural = "工作任务"
        ordering = ["campaign", "deadline", "sort_order"]
        constraints = [models.UniqueConstraint(fields=["campaign", "code"], name="task_code")]

    def __str__(self) -> str:
        return self.title

    def is_overdue(self, on) -> bool:
        return self.status != TaskStatus.DONE and self.deadline < on

    def display_status(self, on) -> str:
        return "逾期" if self.is_overdue(on) else self.get_status_display()


def task_evidence_path(instance, filename: str) -> str:
    """Where task files went before they moved to TaskFile; migration 0001 still names it."""
    import uuid

    return f"tasks/legacy/{uuid.uuid4().hex}"


class TaskUpdate(models.Model):
    """A dated progress report on a task: status, note and an optional evidence file."""

    task = models.ForeignKey(
        Task, verbose_name="任务", on_delete=models.CASCADE, related_name="updates"
    )
    on = models.DateField("日期")
    status = models.CharField("状态", max_length=12, choices=TaskStatus.choices)
    note = models.TextField("说明", blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="填报人",
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    recorded_at = models.DateTimeField("记录时间", auto_now_add=True)

    class Meta:
        verbose_name = "任务进展"
        verbose_name_plural = "任务进展"
        ordering = ["-on", "-id"]

    def __str__(self) -> str:
        return f"{self.task} {self.on}"


class TaskFile(StoredFile):
    """The evidence file of a task progress report, checked by content and stored under a
    server-chosen name like every other upload; served only by the scoped download view."""

    update = models.ForeignKey(
        TaskUpdate, verbose_name="任务进展", on_delete=models.CASCADE, related_name="files"
    )
    file = models.FileField("文件", upload_to="tasks/%Y/%m/", max_length=200)

    class Meta:
        verbose_name = "任务佐证材料"
        verbose_name_plural = "任务佐证材料"
        ordering = ["id"]


class Target(models.Model):
    """A metric, a threshold and a deadline (目标). A rate threshold is a fraction in [0, 1].
    With `cap_metric`, the threshold is at most that metric's value ("不足2家的按实际家数")."""

    campaign = models.ForeignKey(
        Campaign, verbose_name="专项行动", on_delete=models.CASCADE, related_name="targets"
    )
    code = models.CharField("编号", max_length=30)
    label = models.CharField("目标", max_length=200)
    # Keys of the metric registry (campaigns/metrics.py METRICS); the forms and the campaign
    # loader offer and check them, so a new metric needs no migration.
    metric = models.CharField("指标", max_length=30)
    threshold = models.DecimalField("目标值", max_digits=10, decimal_places=4)
    deadline = models.DateField("期限")
    cap_metric = models.CharField("上限指标", max_length=30, blank=True)
    sort_order = models.PositiveIntegerField("排序", default=0)

    class Meta:
        verbose_name = "目标"
        verbose_name_plural = "目标"
        ordering = ["campaign", "deadline", "sort_order"]
        constraints = [models.UniqueConstraint(fields=["campaign", "code"], name="target_code")]

    def __str__(self) -> str:
        return self.label

    @property
    def is_rate(self) -> bool:
        from anbiao.campaigns.metrics import is_rate  # metrics.py imports this module

        return is_rate(self.metric)

    @property
    def metric_label(self) -> str:
        from anbiao.campaigns.metrics import label

        return label(self.metric)


class DivisionEntry(models.Model):
    """One line of the division of work (分工表): a department and its responsibilities."""

    campaign = models.ForeignKey(
        Campaign, verbose_name="专项行动", on_delete=models.CASCADE, related_name="division"
    )
    department = models.CharField("部门", max_length=100)
    responsibilities = models.TextField("职责")
    sort_order = models.PositiveIntegerField("排序", default=0)

    class Meta:
        verbose_name = "分工"
        verbose_name_plural = "分工表"
        ordering = ["campaign", "sort_order"]

    def __str__(self) -> str:
        return self.department


class FigureVersion(models.Model):
    """The data version of the dashboard's figures: one row whose number database triggers
    raise, in the writing transaction, on every write to a table the figures read
    (anbiao/campaigns/figure_version.py). Cached figures are keyed by it."""

    number = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = "统计数据版本"
        verbose_name_plural = verbose_name

    def __str__(self) -> str:
        return str(self.number)


class FigureBlock(models.Model):
    """How many times the counts' data of one block of enterprises changed: the enterprises
    whose ids divided by `figure_version.BLOCK` give `block` (-1: every block, for a write the
    counts read that belongs to no one enterprise). Raised by the same database triggers as
    FigureVersion (anbiao/campaigns/figure_version.py); the counts keep their changes by day
    per block and, after a write, recount only the blocks whose number moved
    (anbiao/campaigns/day_tables.py)."""

    block = models.BigIntegerField(primary_key=True)
    number = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = "统计数据分块版本"
        verbose_name_plural = verbose_name

    def __str__(self) -> str:
        return f"{self.block}: {self.number}"


class DashboardSnapshot(models.Model):
    """The last figures computed for one dashboard (campaign, scope, area, date — "today" for
    today's page, so the first visit of a day finds yesterday's), whatever the data version: a
    large scope's page shows them, with their time, while the worker computes the current ones
    (anbiao/campaigns/cache.py). `requested` ("version@date") keeps one refresh queued."""

    key = models.CharField(max_length=200, unique=True)
    on = models.DateField(null=True)  # the date the figures are for
    version = models.BigIntegerField(null=True)
    computed_at = models.DateTimeField(null=True)
    parts = models.BinaryField(null=True)
    requested = models.CharField(max_length=40, blank=True)
    requested_at = models.DateTimeField(null=True)

    class Meta:
        verbose_name = "工作台数据快照"
        verbose_name_plural = verbose_name

    def __str__(self) -> str:
        return self.key
