"""Supervision (日常监管, docs/supervision.md): checklists, inspections, hazards (隐患) and their
closed loop, the dated supervision class (分类监管) of each enterprise, yearly inspection plans,
the risk register (双重预防) and the accidents the class rules look at.

Dated, append-only rows are the source of truth: `HazardEvent` for a hazard's lifecycle and
`ClassRecord` for the class history. `Hazard.state` is a cache for lists, written only by
`services.py`.
"""

from django.conf import settings
from django.db import models

from anbiao.core.models import StoredFile
from anbiao.core.querysets import ScopedQuerySet
from anbiao.supervision.choices import (
    ClassSource,
    HazardEventKind,
    HazardLevel,
    HazardState,
    InspectionStatus,
    Outcome,
    RiskColour,
    SupervisionClass,
)

USER = settings.AUTH_USER_MODEL


class Checklist(models.Model):
    """A versioned inspection checklist (检查表) loaded from reference_data/supervision/checklists
    or imported from Excel; a version in use is superseded by a new version, never edited."""

    code = models.CharField("编号", max_length=40)
    version = models.PositiveIntegerField("版本")
    name = models.CharField("名称", max_length=100)
    industries = models.JSONField("适用行业", default=list, blank=True)  # [] = all
    risk_tags = models.JSONField("适用重点风险", default=list, blank=True)  # [] = general
    source = models.CharField("来源", max_length=200, blank=True)
    digest = models.CharField("内容摘要", max_length=64, blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = "检查表"
        verbose_name_plural = "检查表"
        ordering = ["code", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="checklist_code_version")
        ]

    def __str__(self) -> str:
        return f"{self.name}(第{self.version}版)"


class ChecklistItem(models.Model):
    """One thing to check; `major` marks an item whose failure is a 重大隐患 by the
    工贸行业重大事故隐患判定标准 themes."""

    checklist = models.ForeignKey(
        Checklist, verbose_name="检查表", on_delete=models.CASCADE, related_name="items"
    )
    code = models.CharField("编号", max_length=20)
    section = models.CharField("检查类别", max_length=60)
    text = models.CharField("检查内容", max_length=300)
    basis = models.CharField("依据", max_length=300, blank=True)
    major = models.BooleanField("不符合即为重大隐患", default=False)
    order = models.PositiveIntegerField("顺序", default=0)

    class Meta:
        verbose_name = "检查项"
        verbose_name_plural = "检查项"
        ordering = ["checklist", "order"]

    def __str__(self) -> str:
        return f"{self.code} {self.text}"


class Inspection(models.Model):
    """One on-site inspection of an enterprise against a checklist: drafted item by item on a
    phone, finished with the enterprise contact's confirmation (name + phone)."""

    enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        verbose_name="企业",
        on_delete=models.PROTECT,
        related_name="inspections",
    )
    checklist = models.ForeignKey(
        Checklist, verbose_name="检查表", on_delete=models.PROTECT, related_name="inspections"
    )
    inspected_on = models.DateField("检查日期")
    inspectors = models.CharField("检查人员", max_length=100)
    status = models.CharField(
        "状态", max_length=8, choices=InspectionStatus.choices, default=InspectionStatus.DRAFT
    )
    summary = models.TextField("检查情况", blank=True)
    contact_name = models.CharField("企业确认人", max_length=50, blank=True)
    contact_phone = models.CharField("确认人电话", max_length=20, blank=True)
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)
    created_by = models.ForeignKey(
        USER, verbose_name="检查人", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope_prefix = "enterprise__"
    scope_object = "inspection"

    class Meta:
        verbose_name = "检查记录"
        verbose_name_plural = "检查记录"
        ordering = ["-inspected_on", "-id"]
        indexes = [models.Index(fields=["status", "inspected_on"])]

    def __str__(self) -> str:
        return f"{self.inspected_on} {self.enterprise}"


class InspectionResult(models.Model):
    """The result of one checklist item in one inspection (saved as the officer goes)."""

    inspection = models.ForeignKey(
        Inspection, verbose_name="检查", on_delete=models.CASCADE, related_name="results"
    )
    item = models.ForeignKey(
        ChecklistItem, verbose_name="检查项", on_delete=models.PROTECT, related_name="+"
    )
    outcome = models.CharField("结果", max_length=4, choices=Outcome.choices, blank=True)
    note = models.CharField("问题描述", max_length=500, blank=True)
    location = models.CharField("部位", max_length=100, blank=True)
    level = models.CharField(
        "隐患级别", max_length=8, choices=HazardLevel.choices, default=HazardLevel.GENERAL
    )
    saved_at = models.DateTimeField("保存时间", auto_now=True)

    class Meta:
        verbose_name = "检查结果"
        verbose_name_plural = "检查结果"
        ordering = ["item__order"]
        constraints = [
            models.UniqueConstraint(fields=["inspection", "item"], name="result_once_per_item")
        ]

    def __str__(self) -> str:
        return f"{self.item_id}:{self.get_outcome_display() or '未检查'}"


class InspectionPhoto(StoredFile):
    """A photo taken during an inspection (compressed on upload; `taken_at` from EXIF)."""

    inspection = models.ForeignKey(
        Inspection, verbose_name="检查", on_delete=models.CASCADE, related_name="photos"
    )
    item = models.ForeignKey(
        ChecklistItem,
        verbose_name="检查项",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    taken_at = models.DateTimeField("拍摄时间", null=True, blank=True)
    # Chosen by the browser for each photo, so a retried upload is stored once.
    client_key = models.CharField("上传标识", max_length=40, blank=True, db_index=True)
    file = models.FileField("文件", upload_to="supervision/photos/%Y/%m/", max_length=200)

    objects = ScopedQuerySet.as_manager()
    scope_prefix = "inspection__enterprise__"
    scope_object = "inspection"

    class Meta:
        verbose_name = "检查照片"
        verbose_name_plural = "检查照片"
        ordering = ["id"]


class Hazard(models.Model):
    """A hazard (隐患) found at an enterprise, followed until it is closed (销号).

    A 重大隐患 needs the 五落实 plan (责任、措施、资金、时限、预案) and is under listed supervision
    (挂牌督办) until closed."""

    enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        verbose_name="企业",
        on_delete=models.PROTECT,
        related_name="hazards",
    )
    inspection = models.ForeignKey(
        Inspection,
        verbose_name="来源检查",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="hazards",
    )
    result = models.OneToOneField(
        InspectionResult,
        verbose_name="检查项",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="hazard",
    )
    level = models.CharField("隐患级别", max_length=8, choices=HazardLevel.choices)
    description = models.CharField("隐患描述", max_length=500)
    location = models.CharField("隐患部位", max_length=100, blank=True)
    legal_basis = models.CharField("依据", max_length=300, blank=True)
    found_on = models.DateField("发现日期")
    deadline = models.DateField("整改期限")
    responsible = models.CharField("整改责任人", max_length=50, blank=True)
    measures = models.TextField("整改措施", blank=True)
    funds = models.DecimalField(
        "整改资金(元)", max_digits=12, decimal_places=2, null=True, blank=True
    )
    contingency = models.TextField("应急预案", blank=True)
    state = models.CharField(
        "状态", max_length=16, choices=HazardState.choices, default=HazardState.REGISTERED
    )
    state_since = models.DateField("状态日期")
    closed_on = models.DateField("销号日期", null=True, blank=True)
    created_by = models.ForeignKey(
        USER, verbose_name="登记人", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField("登记时间", auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope_prefix = "enterprise__"
    scope_object = "hazard"

    class Meta:
        verbose_name = "隐患"
        verbose_name_plural = "隐患"
        ordering = ["-found_on", "-id"]
        indexes = [
            models.Index(fields=["state", "deadline"]),
            models.Index(fields=["level", "found_on"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_level_display()}:{self.description[:40]}"

    @property
    def is_major(self) -> bool:
        return self.level == HazardLevel.MAJOR

    @property
    def listed(self) -> bool:
        """挂牌督办: a 重大隐患 not yet closed."""
        return self.is_major and self.state != HazardState.CLOSED

    def missing_plan(self) -> list[str]:
        """The parts of the 五落实 plan still empty (责任、措施、资金、时限、预案)."""
        parts = {
            "责任": self.responsible.strip(),
            "措施": self.measures.strip(),
            "资金": self.funds is not None,
            "时限": self.deadline is not None,
            "预案": self.contingency.strip(),
        }
        return [name for name, present in parts.items() if not present]


class HazardEvent(models.Model):
    """A dated step of a hazard: who did what, from which state to which, and why."""

    hazard = models.ForeignKey(
        Hazard, verbose_name="隐患", on_delete=models.CASCADE, related_name="events"
    )
    kind = models.CharField("事项", max_length=16, choices=HazardEventKind.choices)
    on = models.DateField("日期")
    state_before = models.CharField("原状态", max_length=16, choices=HazardState.choices)
    state_after = models.CharField("新状态", max_length=16, choices=HazardState.choices)
    note = models.CharField("说明", max_length=500, blank=True)
    actor = models.ForeignKey(
        USER, verbose_name="操作人", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField("记录时间", auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope_prefix = "hazard__enterprise__"
    scope_object = "hazard"

    class Meta:
        verbose_name = "隐患处置记录"
        verbose_name_plural = "隐患处置记录"
        ordering = ["on", "id"]

    def __str__(self) -> str:
        return f"{self.on} {self.get_kind_display()}"


class HazardFile(StoredFile):
    """A photo of the hazard or evidence of its rectification (整改材料)."""

    hazard = models.ForeignKey(
        Hazard, verbose_name="隐患", on_delete=models.CASCADE, related_name="files"
    )
    event = models.ForeignKey(
        HazardEvent,
        verbose_name="记录",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="files",
    )
    file = models.FileField("文件", upload_to="supervision/hazards/%Y/%m/", max_length=200)

    objects = ScopedQuerySet.as_manager()
    scope_prefix = "hazard__enterprise__"
    scope_object = "hazard"

    class Meta:
        verbose_name = "隐患材料"
        verbose_name_plural = "隐患材料"
        ordering = ["id"]


class Incident(models.Model):
    """A production safety accident (生产安全事故) at an enterprise; the class rules look at
    the recent ones."""

    enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        verbose_name="企业",
        on_delete=models.PROTECT,
        related_name="incidents",
    )
    occurred_on = models.DateField("发生日期")
    description = models.CharField("事故概况", max_length=300)
    casualties = models.CharField("伤亡情况", max_length=100, blank=True)
    recorded_by = models.ForeignKey(
        USER, verbose_name="记录人", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField("记录时间", auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope_prefix = "enterprise__"
    scope_object = "supervision"

    class Meta:
        verbose_name = "生产安全事故"
        verbose_name_plural = "生产安全事故"
        ordering = ["-occurred_on", "-id"]

    def __str__(self) -> str:
        return f"{self.occurred_on} {self.description[:30]}"


class ClassRecord(models.Model):
    """One dated supervision class of an enterprise, with why: the rule that set it, or the
    station's reason for overriding it. The class on day D is the latest record on or before D."""

    enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        verbose_name="企业",
        on_delete=models.CASCADE,
        related_name="class_records",
    )
    on = models.DateField("生效日期")
    klass = models.CharField("监管类别", max_length=1, choices=SupervisionClass.choices)
    source = models.CharField("来源", max_length=8, choices=ClassSource.choices)
    rule = models.CharField("规则", max_length=40, blank=True)
    reason = models.CharField("理由", max_length=300)
    actor = models.ForeignKey(
        USER, verbose_name="操作人", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField("记录时间", auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope_prefix = "enterprise__"
    scope_object = "supervision"

    class Meta:
        verbose_name = "监管类别记录"
        verbose_name_plural = "监管类别记录"
        ordering = ["on", "id"]
        indexes = [models.Index(fields=["enterprise", "on"])]

    def __str__(self) -> str:
        return f"{self.on} {self.get_klass_display()}"


class InspectionPlan(models.Model):
    """The yearly inspection plan (年度检查计划) of one 镇街, generated from the classes."""

    region = models.ForeignKey(
        "accounts.Region", verbose_name="镇街", on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveIntegerField("年度")
    created_by = models.ForeignKey(
        USER, verbose_name="编制人", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField("编制时间", auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope_prefix = ""  # the plan's own `region` is what scope filters on
    scope_object = "supervision"

    class Meta:
        verbose_name = "年度检查计划"
        verbose_name_plural = "年度检查计划"
        ordering = ["-year", "region__code"]
        constraints = [models.UniqueConstraint(fields=["region", "year"], name="plan_per_year")]

    def __str__(self) -> str:
        return f"{self.region.name}{self.year}年度检查计划"


class PlanEntry(models.Model):
    """One planned inspection: which enterprise, which month, by whom."""

    plan = models.ForeignKey(
        InspectionPlan, verbose_name="计划", on_delete=models.CASCADE, related_name="entries"
    )
    enterprise = models.ForeignKey(
        "enterprises.Enterprise", verbose_name="企业", on_delete=models.CASCADE, related_name="+"
    )
    month = models.PositiveSmallIntegerField("计划月份")
    klass = models.CharField("监管类别", max_length=1, choices=SupervisionClass.choices)
    inspector = models.CharField("检查人员", max_length=50, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_prefix = "enterprise__"
    scope_object = "supervision"

    class Meta:
        verbose_name = "计划检查"
        verbose_name_plural = "计划检查"
        ordering = ["month", "enterprise__name_pinyin", "id"]

    def __str__(self) -> str:
        return f"{self.month}月 {self.enterprise_id}"


class RiskPoint(models.Model):
    """A risk point (风险点) of the enterprise's risk register (双重预防机制), graded in four
    colours, with its controls, owner and next review date."""

    enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        verbose_name="企业",
        on_delete=models.PROTECT,
        related_name="risk_points",
    )
    name = models.CharField("风险点", max_length=100)
    location = models.CharField("部位/场所", max_length=100, blank=True)
    colour = models.CharField("风险等级", max_length=8, choices=RiskColour.choices)
    factors = models.CharField("主要危险因素", max_length=300, blank=True)
    controls = models.TextField("管控措施")
    owner = models.CharField("管控责任人", max_length=50)
    review_on = models.DateField("下次评估日期", null=True, blank=True)
    active = models.BooleanField("在用", default=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    objects = ScopedQuerySet.as_manager()
    scope_prefix = "enterprise__"
    scope_object = "risk"

    class Meta:
        verbose_name = "风险点"
        verbose_name_plural = "风险点"
        ordering = ["enterprise", "colour", "name"]

    def __str__(self) -> str:
        return f"{self.name}({self.get_colour_display()})"
