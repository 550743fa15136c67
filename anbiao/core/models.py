from django.apps import apps
from django.conf import settings
from django.db import models

from anbiao.core.querysets import ScopedQuerySet


class ChangeLog(models.Model):
    """Who changed which business record, when, from which address, and each field's
    old → new value. Append-only: rows are never edited, and deleted only by `anbiao
    prune-changelog` once older than the retention period (at least 6 months).

    Written by `anbiao.core.audit.record` from service functions, never by views. Records that
    belong to an enterprise carry it, so its history is scoped like the enterprise itself.
    """

    class Action(models.TextChoices):
        CREATE = "create", "新建"
        UPDATE = "update", "修改"
        STATUS = "status", "状态变更"
        DELETE = "delete", "删除"

    at = models.DateTimeField("时间", auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="操作人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    action = models.CharField("操作", max_length=10, choices=Action.choices)
    object_type = models.CharField("对象类型", max_length=50)
    object_id = models.CharField("对象ID", max_length=40)
    object_repr = models.CharField("对象", max_length=200)
    enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        verbose_name="企业",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="change_logs",
    )
    changes = models.JSONField("变更内容", default=list)
    note = models.CharField("说明", max_length=200, blank=True)
    ip_address = models.GenericIPAddressField("IP地址", null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_prefix = "enterprise__"
    scope_object = "audit"

    class Meta:
        verbose_name = "变更记录"
        verbose_name_plural = "变更记录"
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.object_repr}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValueError("变更记录只能追加,不能修改")
        super().save(*args, **kwargs)

    @property
    def object_label(self) -> str:
        """The Chinese name of the changed object's kind (评定, 证书 …)."""
        try:
            return str(apps.get_model(self.object_type)._meta.verbose_name)
        except (LookupError, ValueError):
            return ""


class ImportJob(models.Model):
    """One uploaded file and what importing it did: who, when, counts, row errors.

    The file is kept so it can be downloaded again. Scoped by the uploader's region.
    """

    class Kind(models.TextChoices):
        LEDGER = "ledger", "企业台账"
        SURVEY = "survey", "摸排结果"
        PROGRESS = "progress", "创建进度"
        TRAINING = "training", "培训签到"
        AGENCY = "agency", "第三方机构"
        EXPERT = "expert", "专家"

    class Status(models.TextChoices):
        # Checking writes nothing; only 导入中 → 已完成 changes data (in one transaction, or in
        # whole batches for a ledger: anbiao/enterprises/importers.py).
        CHECKING = "checking", "检查中"
        CHECKED = "checked", "检查通过"
        CHECK_FAILED = "check_failed", "检查失败"
        IMPORTING = "importing", "导入中"
        DONE = "done", "已完成"
        FAILED = "failed", "失败"
        CANCELLED = "cancelled", "已取消"

    kind = models.CharField("类型", max_length=10, choices=Kind.choices)
    status = models.CharField(
        "状态", max_length=20, choices=Status.choices, default=Status.CHECKING
    )
    file = models.FileField("文件", upload_to="imports/%Y/%m/")
    original_name = models.CharField("原文件名", max_length=200)
    region = models.ForeignKey(
        "accounts.Region",
        verbose_name="导入范围",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    target_id = models.PositiveBigIntegerField("目标对象", null=True, blank=True)
    skip_invalid = models.BooleanField("跳过错误行", default=False)
    effective_on = models.DateField("变化生效日期", null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="导入人",
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField("上传时间", auto_now_add=True)
    started_at = models.DateTimeField("开始处理时间", null=True, blank=True)
    finished_at = models.DateTimeField("导入时间", null=True, blank=True)
    total_rows = models.PositiveIntegerField("数据行", default=0)
    created_count = models.PositiveIntegerField("新增", default=0)
    updated_count = models.PositiveIntegerField("更新", default=0)
    unchanged_count = models.PositiveIntegerField("无变化", default=0)
    invalid_count = models.PositiveIntegerField("错误行", default=0)
    errors = models.JSONField("错误明细", default=list)
    warnings = models.JSONField("提示明细", default=list)
    # ignored_columns, missing_columns, new_communities, notices (see ImportOutcome)
    report = models.JSONField("检查结果", default=dict)
    mapping = models.JSONField("列对应", default=dict)  # header text → column key ("" = ignore)

    objects = ScopedQuerySet.as_manager()
    scope_prefix = ""  # the job's own `region` is what scope filters on
    scope_object = "import"

    class Meta:
        verbose_name = "导入记录"
        verbose_name_plural = "导入记录"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.original_name}"

    @property
    def running(self) -> bool:
        return self.status in (self.Status.CHECKING, self.Status.IMPORTING)


class ImportMapping(models.Model):
    """A column mapping a 镇街 chose in an import preview (their header → our column, or ""
    to ignore it), offered again on that 镇街's next import of the same kind."""

    region = models.ForeignKey(
        "accounts.Region", verbose_name="镇街", on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField("导入类型", max_length=10, choices=ImportJob.Kind.choices)
    header = models.CharField("表头", max_length=100)
    column = models.CharField("对应字段", max_length=40, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="设置人",
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    updated_at = models.DateTimeField("设置时间", auto_now=True)

    class Meta:
        verbose_name = "导入列对应"
        verbose_name_plural = "导入列对应"
        constraints = [
            models.UniqueConstraint(
                fields=["region", "kind", "header"], name="import_mapping_once_per_header"
            )
        ]

    def __str__(self) -> str:
        return f"{self.header} → {self.column or '忽略'}"


class StoredFile(models.Model):
    """An uploaded file, its type read from the content, its size and digest; served only
    through a scoped download view. Each owner adds its `file` field (its own folder) and the
    link to what it documents."""

    name = models.CharField("文件名", max_length=200)
    file_type = models.CharField("类型", max_length=10)
    size = models.PositiveIntegerField("大小")
    sha256 = models.CharField("SHA-256", max_length=64)
    uploaded_at = models.DateTimeField("上传时间", auto_now_add=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="上传人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.name

    @classmethod
    def store(cls, checked, *, uploaded_by=None, **links):
        """Save a file that passed the content check (core/evidence.py `check_upload`) under
        its random storage name, linked by `links` to what it documents."""
        from django.core.files.base import ContentFile

        item = cls(
            name=checked.name,
            file_type=checked.file_type.code,
            size=len(checked.data),
            sha256=checked.sha256,
            uploaded_by=uploaded_by,
            **links,
        )
        item.file.save(checked.storage_name, ContentFile(checked.data), save=False)
        item.save()
        return item
