"""Cases (one enterprise's path to a certificate), their dated events, assessments against a
versioned standard, certificates, rectification items and evidence files.

Rows are written only by `services.py`. `Case.state` is a cache of the state replayed from the
case's events (`transitions.replay`), kept for fast lists.
"""

from django.conf import settings
from django.db import models

from anbiao.cases import conf
from anbiao.cases.choices import (
    AssessmentKind,
    AssessmentStatus,
    CaseState,
    EventKind,
    PublicityOutcome,
    RectificationStatus,
    Verdict,
)
from anbiao.core.models import StoredFile
from anbiao.core.querysets import ScopedQuerySet


class Standard(models.Model):
    """A version of a grading standard (评定标准), loaded from YAML. Once an assessment uses it,
    it never changes: a new version supersedes it."""

    code = models.CharField("标准代码", max_length=40)
    version = models.PositiveIntegerField("版本")
    name = models.CharField("标准名称", max_length=120)
    issued_by = models.CharField("发布单位", max_length=100, blank=True)
    effective_on = models.DateField("施行日期", null=True, blank=True)
    description = models.TextField("说明", blank=True)
    # The sample standard shipped with anbiao is not an official one: it is labelled 示例标准
    # wherever it is shown, until a deployment loads its official standard.
    sample = models.BooleanField("示例标准", default=False)
    # The standard's own grade ladder [{code, name, min_score}], highest first; empty = the
    # deployment's grade rules (reference_data/standards/grade-rules.yaml).
    grades = models.JSONField("等级设置", default=list, blank=True)
    total_points = models.DecimalField("总分", max_digits=7, decimal_places=1, default=0)
    digest = models.CharField("内容摘要", max_length=64, editable=False)
    loaded_at = models.DateTimeField("载入时间", auto_now=True)

    class Meta:
        verbose_name = "评定标准"
        verbose_name_plural = "评定标准"
        ordering = ["code", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="standard_code_version")
        ]

    def __str__(self) -> str:
        return f"{self.display_name}(第{self.version}版)"

    @property
    def display_name(self) -> str:
        return f"{self.name}【示例标准】" if self.sample else self.name


class StandardElement(models.Model):
    """一级要素 (parent null) or 二级要素 of a standard."""

    standard = models.ForeignKey(
        Standard, verbose_name="标准", on_delete=models.CASCADE, related_name="elements"
    )
    parent = models.ForeignKey(
        "self",
        verbose_name="上级要素",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="children",
    )
    code = models.CharField("编号", max_length=20)
    name = models.CharField("要素", max_length=100)
    sort_order = models.PositiveIntegerField("排序", default=0)

    class Meta:
        verbose_name = "标准要素"
        verbose_name_plural = "标准要素"
        ordering = ["standard", "sort_order"]
        constraints = [
            models.UniqueConstraint(fields=["standard", "code"], name="element_code_unique")
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class StandardItem(models.Model):
    """One scoring item: what is required, its points, how points are deducted (扣分标准)."""

    standard = models.ForeignKey(
        Standard, verbose_name="标准", on_delete=models.CASCADE, related_name="items"
    )
    element = models.ForeignKey(
        StandardElement, verbose_name="要素", on_delete=models.CASCADE, related_name="items"
    )
    code = models.CharField("编号", max_length=20)
    text = models.TextField("评定内容")
    points = models.DecimalField("标准分", max_digits=5, decimal_places=1)
    method = models.TextField("扣分标准", blank=True)
    veto = models.BooleanField("否决项", default=False)
    na_allowed = models.BooleanField("可为空项", default=False)
    # A veto only for these industries (e.g. 考核 of safety managers, required by law for 金属冶炼);
    # empty = a veto for every enterprise.
    veto_industries = models.JSONField("否决适用行业", default=list, blank=True)
    sort_order = models.PositiveIntegerField("排序", default=0)

    class Meta:
        verbose_name = "评定项"
        verbose_name_plural = "评定项"
        ordering = ["standard", "sort_order"]
        constraints = [
            models.UniqueConstraint(fields=["standard", "code"], name="item_code_unique")
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.text[:30]}"

    @property
    def veto_scope(self) -> str:
        """The industries a limited veto applies to, in words ("" = every industry)."""
        from anbiao.enterprises.choices import Industry

        return "、".join(Industry(code).label for code in self.veto_industries)

    def is_veto_for(self, industry: str) -> bool:
        """Whether failing this item fails the assessment of an enterprise of `industry`."""
        return self.veto and (not self.veto_industries or industry in self.veto_industries)


class Case(models.Model):
    """One enterprise's standardization case in one cycle. Renewal stays in the same case;
    `cycle` counts fresh starts (a new case after the old one was closed for good)."""

    enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        verbose_name="企业",
        on_delete=models.PROTECT,
        related_name="cases",
    )
    cycle = models.PositiveIntegerField("周期", default=1)
    state = models.CharField(
        "状态", max_length=16, choices=CaseState.choices, default=CaseState.NOT_STARTED
    )
    state_since = models.DateField("状态日期", null=True, blank=True)
    started_on = models.DateField("启动日期", null=True, blank=True)
    flagged = models.BooleanField("待重新评审", default=False)
    flag_reason = models.CharField("重新评审原因", max_length=200, blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    objects = ScopedQuerySet.as_manager()
    scope_prefix = "enterprise__"
    scope_object = "case"

    class Meta:
        verbose_name = "创建档案"
        verbose_name_plural = "创建档案"
        ordering = ["enterprise", "-cycle"]
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "cycle"], name="case_enterprise_cycle")
        ]
        indexes = [
            models.Index(fields=["state"]),
            # The board reads each enterprise's current state (its latest cycle) for every
            # enterprise in scope: with the state in the index that is an index-only lookup.
            models.Index(fields=["enterprise", "cycle", "state"], name="case_current_state_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.enterprise} · {self.get_state_display()}"


class GradeLabelMixin:
    """Grades are codes whose names live in the grade rules (docs/cases.md): the change log
    shows 二级, never level2 (`anbiao.core.audit.display_value` asks for this label)."""

    def get_grade_label(self) -> str:
        return conf.grade_name(self.grade)


class Assessment(GradeLabelMixin, models.Model):
    """A self-evaluation, external review or annual self-evaluation, scored item by item."""

    case = models.ForeignKey(
        Case, verbose_name="创建档案", on_delete=models.CASCADE, related_name="assessments"
    )
    kind = models.CharField("类型", max_length=10, choices=AssessmentKind.choices)
    standard = models.ForeignKey(
        Standard, verbose_name="评定标准", on_delete=models.PROTECT, related_name="assessments"
    )
    status = models.CharField(
        "状态", max_length=10, choices=AssessmentStatus.choices, default=AssessmentStatus.DRAFT
    )
    agency = models.ForeignKey(
        "agencies.Agency",
        verbose_name="评审机构",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assessments",
    )
    experts = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name="评审专家", blank=True, related_name="reviews"
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="创建人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    submitted_on = models.DateField("提交日期", null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="提交人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    score = models.DecimalField("得分率", max_digits=4, decimal_places=1, null=True, blank=True)
    earned = models.DecimalField("实得分", max_digits=7, decimal_places=1, null=True, blank=True)
    applicable = models.DecimalField(
        "应得分", max_digits=7, decimal_places=1, null=True, blank=True
    )
    veto_failed = models.BooleanField("否决项不符合", default=False)
    grade = models.CharField("建议等级", max_length=20, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_prefix = "case__enterprise__"
    scope_object = "case"

    class Meta:
        verbose_name = "评定"
        verbose_name_plural = "评定"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.case.enterprise} {self.get_kind_display()}"

    @property
    def is_draft(self) -> bool:
        return self.status == AssessmentStatus.DRAFT


class ItemScore(models.Model):
    """The score of one item in one assessment: its verdict (符合, 扣分 with the points and a
    reason, or 空项); blank while nobody has answered it (an evidence file may come first)."""

    assessment = models.ForeignKey(
        Assessment, verbose_name="评定", on_delete=models.CASCADE, related_name="scores"
    )
    item = models.ForeignKey(
        StandardItem, verbose_name="评定项", on_delete=models.PROTECT, related_name="+"
    )
    verdict = models.CharField("评定结论", max_length=8, choices=Verdict.choices, blank=True)
    deducted = models.DecimalField("扣分", max_digits=5, decimal_places=1, default=0)
    not_applicable = models.BooleanField("空项", default=False)
    veto_failed = models.BooleanField("否决项不符合", default=False)
    reason = models.CharField("扣分/空项理由", max_length=300, blank=True)
    updated_at = models.DateTimeField("保存时间", auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="填写人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = "评定项得分"
        verbose_name_plural = "评定项得分"
        constraints = [
            models.UniqueConstraint(fields=["assessment", "item"], name="itemscore_unique")
        ]

    def __str__(self) -> str:
        return f"{self.item.code} -{self.deducted}"


class CaseEvent(GradeLabelMixin, models.Model):
    """A dated, append-only step of a case: the source of truth for its history and state.
    A wrong entry is cancelled by a later CORRECTION event that `reverses` it."""

    case = models.ForeignKey(
        Case, verbose_name="创建档案", on_delete=models.CASCADE, related_name="events"
    )
    kind = models.CharField("事项", max_length=16, choices=EventKind.choices)
    on = models.DateField("日期")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="记录人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    note = models.CharField("备注", max_length=500, blank=True)
    state_after = models.CharField("之后状态", max_length=16, choices=CaseState.choices)
    assessment = models.ForeignKey(
        Assessment,
        verbose_name="评定",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="events",
    )
    grade = models.CharField("等级", max_length=20, blank=True)
    score = models.DecimalField("得分", max_digits=4, decimal_places=1, null=True, blank=True)
    reverses = models.OneToOneField(
        "self",
        verbose_name="撤回的记录",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reversed_by",
    )
    source = models.CharField("来源", max_length=10, default="manual")
    # A grading decision a station entered for the 定级部门 that made it (街道代录): who decided.
    proxy_for = models.CharField("代录:决定单位", max_length=100, blank=True)
    ends_on = models.DateField("公示截止日期", null=True, blank=True)
    outcome = models.CharField(
        "公示结果", max_length=12, choices=PublicityOutcome.choices, blank=True
    )
    recorded_at = models.DateTimeField("记录时间", auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope_prefix = "case__enterprise__"
    scope_object = "case"

    class Meta:
        verbose_name = "创建事件"
        verbose_name_plural = "创建事件"
        ordering = ["on", "id"]

    def __str__(self) -> str:
        return f"{self.on} {self.get_kind_display()}"

    @property
    def is_proxy(self) -> bool:
        """A grading decision recorded by a station on the issuer's behalf (街道代录)."""
        return bool(self.proxy_for)


class Certificate(GradeLabelMixin, models.Model):
    """A grade certificate. Its status on a date is computed (`certificates.status_on`) from
    its dates, its end (revoked/downgraded) and its successor."""

    case = models.ForeignKey(
        Case, verbose_name="创建档案", on_delete=models.PROTECT, related_name="certificates"
    )
    event = models.OneToOneField(
        CaseEvent, verbose_name="发证记录", on_delete=models.PROTECT, related_name="certificate"
    )
    number = models.CharField("证书编号", max_length=60)
    grade = models.CharField("等级", max_length=20)
    issuer = models.CharField("发证单位", max_length=100, blank=True)
    issued_on = models.DateField("发证日期")
    expires_on = models.DateField("有效期至", db_index=True)
    replaces = models.OneToOneField(
        "self",
        verbose_name="换发自",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="successor",
    )
    ended_on = models.DateField("终止日期", null=True, blank=True)
    end_kind = models.CharField("终止方式", max_length=12, blank=True)  # revoked | downgraded
    end_reason = models.CharField("终止原因", max_length=200, blank=True)
    end_event = models.ForeignKey(
        CaseEvent,
        verbose_name="终止记录",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="ended_certificates",
    )
    void = models.BooleanField("已作废", default=False)  # its issuing event was reversed

    objects = ScopedQuerySet.as_manager()
    scope_prefix = "case__enterprise__"
    scope_object = "case"

    class Meta:
        verbose_name = "证书"
        verbose_name_plural = "证书"
        ordering = ["-issued_on", "-id"]

    def __str__(self) -> str:
        return self.number


class Rectification(models.Model):
    """A deficiency found by a review (整改项), with a due date and a closing step (销项)."""

    case = models.ForeignKey(
        Case, verbose_name="创建档案", on_delete=models.CASCADE, related_name="rectifications"
    )
    assessment = models.ForeignKey(
        Assessment, verbose_name="评审", on_delete=models.CASCADE, related_name="rectifications"
    )
    item = models.ForeignKey(
        StandardItem, verbose_name="评定项", on_delete=models.PROTECT, related_name="+"
    )
    event = models.ForeignKey(
        CaseEvent,
        verbose_name="评审结果记录",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="rectifications",
    )
    description = models.CharField("问题描述", max_length=300)
    due_on = models.DateField("整改期限")
    status = models.CharField(
        "状态", max_length=8, choices=RectificationStatus.choices, default=RectificationStatus.OPEN
    )
    closed_on = models.DateField("销项日期", null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="销项人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    close_note = models.CharField("整改情况", max_length=300, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_prefix = "case__enterprise__"
    scope_object = "case"

    class Meta:
        verbose_name = "整改项"
        verbose_name_plural = "整改项"
        ordering = ["status", "due_on", "id"]

    def __str__(self) -> str:
        return self.description


class EvidenceFile(StoredFile):
    """An uploaded evidence file of a case (optionally of one event or one assessed item).
    Stored through Django storage, served only by the scoped download view."""

    case = models.ForeignKey(
        Case, verbose_name="创建档案", on_delete=models.CASCADE, related_name="evidence"
    )
    event = models.ForeignKey(
        CaseEvent,
        verbose_name="事件",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="evidence",
    )
    item_score = models.ForeignKey(
        ItemScore,
        verbose_name="评定项",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="evidence",
    )
    file = models.FileField("文件", upload_to="evidence/%Y/%m/", max_length=200)

    objects = ScopedQuerySet.as_manager()
    scope_prefix = "case__enterprise__"
    scope_object = "case"

    class Meta:
        verbose_name = "证明材料"
        verbose_name_plural = "证明材料"
        ordering = ["-uploaded_at", "-id"]
