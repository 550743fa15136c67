"""Benchmark enterprises (标杆企业): a candidate chosen from the ledger is nurtured through the
pilot stages to 已建成, which puts it in the observation catalog (现场观摩企业目录).

`BenchmarkEvent` rows are the dated, append-only history and the source of truth (stage on any
date, site meetings, withdrawal); `Benchmark.stage` and its dates are a cache for lists, written
only by `services.py`. Cross-learning visits (交叉学习) are trips of our enterprises to benchmarks
elsewhere.
"""

from django.conf import settings
from django.db import models

from anbiao.benchmarks.choices import EventKind, Stage
from anbiao.core.models import StoredFile
from anbiao.core.querysets import ScopedQuerySet


class Benchmark(models.Model):
    """One enterprise cultivated as a benchmark (标杆企业培植对象 → 已建成)."""

    enterprise = models.OneToOneField(
        "enterprises.Enterprise",
        verbose_name="企业",
        on_delete=models.PROTECT,
        related_name="benchmark",
    )
    chosen_on = models.DateField("选定日期")
    reason = models.CharField("培植理由", max_length=300)
    agency = models.ForeignKey(
        "agencies.Agency",
        verbose_name="技术支撑机构",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="benchmarks",
    )
    stage = models.CharField(
        "当前阶段", max_length=16, choices=Stage.choices, default=Stage.CANDIDATE
    )
    stage_since = models.DateField("阶段日期")
    established_on = models.DateField("建成日期", null=True, blank=True)
    withdrawn_on = models.DateField("退出日期", null=True, blank=True)
    withdraw_reason = models.CharField("退出原因", max_length=300, blank=True)
    # Observation catalog (附件5) details, filled in when the benchmark is established.
    highlights = models.TextField("创建亮点", blank=True)
    visit_arrangement = models.CharField(
        "观摩安排",
        max_length=300,
        blank=True,
        help_text="如:每周二、四上午,每批不超过20人,提前3天预约",
    )
    visit_contact = models.CharField("观摩联系人", max_length=50, blank=True)
    visit_phone = models.CharField("观摩联系电话", max_length=20, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="登记人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField("登记时间", auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope_prefix = "enterprise__"
    scope_object = "benchmark"

    class Meta:
        verbose_name = "标杆企业"
        verbose_name_plural = "标杆企业"
        ordering = ["chosen_on", "id"]

    def __str__(self) -> str:
        return f"{self.enterprise} · {self.get_stage_display()}"

    @property
    def in_catalog(self) -> bool:
        return self.stage == Stage.ESTABLISHED and self.withdrawn_on is None

    @property
    def is_withdrawn(self) -> bool:
        return self.withdrawn_on is not None


class BenchmarkEvent(models.Model):
    """A dated step of a benchmark: a stage reached, a site meeting held, a withdrawal."""

    benchmark = models.ForeignKey(
        Benchmark, verbose_name="标杆企业", on_delete=models.CASCADE, related_name="events"
    )
    kind = models.CharField("事项", max_length=12, choices=EventKind.choices)
    on = models.DateField("日期")
    stage = models.CharField("阶段", max_length=16, choices=Stage.choices, blank=True)
    previous_stage = models.CharField("原阶段", max_length=16, choices=Stage.choices, blank=True)
    note = models.CharField("情况说明", max_length=500, blank=True)
    reason = models.CharField("退回原因", max_length=300, blank=True)
    attendees = models.TextField("参会人员", blank=True)
    attendee_count = models.PositiveIntegerField("参会人数", null=True, blank=True)
    place = models.CharField("地点", max_length=100, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="记录人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    recorded_at = models.DateTimeField("记录时间", auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope_prefix = "benchmark__enterprise__"
    scope_object = "benchmark"

    class Meta:
        verbose_name = "标杆培植记录"
        verbose_name_plural = "标杆培植记录"
        ordering = ["on", "id"]
        indexes = [models.Index(fields=["benchmark", "kind", "on"])]

    def __str__(self) -> str:
        return f"{self.on} {self.get_kind_display()}"

    @property
    def is_backward(self) -> bool:
        order = Stage.order()
        return bool(
            self.kind == EventKind.STAGE
            and self.previous_stage
            and order[self.stage] < order[self.previous_stage]
        )


class BenchmarkFile(StoredFile):
    """Evidence of a benchmark event, checked by content, served only by the scoped view."""

    event = models.ForeignKey(
        BenchmarkEvent, verbose_name="记录", on_delete=models.CASCADE, related_name="files"
    )
    file = models.FileField("文件", upload_to="benchmarks/%Y/%m/", max_length=200)

    objects = ScopedQuerySet.as_manager()
    scope_prefix = "event__benchmark__enterprise__"
    scope_object = "benchmark"

    class Meta:
        verbose_name = "标杆培植材料"
        verbose_name_plural = "标杆培植材料"
        ordering = ["id"]


class CrossVisit(models.Model):
    """A cross-learning visit (交叉学习): our enterprises and staff visiting a benchmark
    enterprise of another 镇街 (or district). Scoped by the organising region."""

    visited_on = models.DateField("观摩日期")
    host_name = models.CharField("观摩标杆企业", max_length=100)
    host_region = models.CharField("所在镇街", max_length=60, blank=True)
    region = models.ForeignKey(
        "accounts.Region",
        verbose_name="组织单位(区域)",
        on_delete=models.PROTECT,
        related_name="+",
    )
    organiser = models.CharField("组织人", max_length=60, blank=True)
    participants = models.TextField("参加人员", help_text="姓名及单位,一行一人或用顿号分隔")
    participant_count = models.PositiveIntegerField("参加人数", null=True, blank=True)
    enterprises = models.ManyToManyField(
        "enterprises.Enterprise", verbose_name="参加企业", blank=True, related_name="cross_visits"
    )
    takeaways = models.TextField("学习收获/查缺补漏", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="记录人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField("记录时间", auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope_prefix = ""  # the visit's own `region` is what scope filters on
    scope_object = "benchmark"

    class Meta:
        verbose_name = "交叉学习"
        verbose_name_plural = "交叉学习"
        ordering = ["-visited_on", "-id"]

    def __str__(self) -> str:
        return f"{self.visited_on} {self.host_name}"
