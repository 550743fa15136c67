"""Training (培训): sessions (宣贯/培训/现场会/观摩) and who attended them, by 五项岗位 role.

A session belongs to the region that organised it and is scoped by it; an attendee who belongs
to an enterprise names it (the enterprise must lie in the session's region), which is what the
coverage of the 应创企业 (principal and safety manager trained) is computed from.
"""

from django.conf import settings
from django.db import models

from anbiao.core.models import StoredFile
from anbiao.core.querysets import ScopedQuerySet


class SessionKind(models.TextChoices):
    PUBLICITY = "publicity", "宣贯"
    TRAINING = "training", "培训"
    SITE_MEETING = "meeting", "现场会"
    OBSERVATION = "observation", "观摩"


class TraineeRole(models.TextChoices):
    """五项岗位 (方案 四(三)): the key people every training campaign must reach."""

    LEADER = "leader", "领导干部"
    SUPERVISOR = "supervisor", "监管人员"
    EXPERT = "expert", "安全专家"
    PRINCIPAL = "principal", "企业主要负责人"
    SAFETY_MANAGER = "safety_manager", "安全生产管理员"


ENTERPRISE_ROLES = (TraineeRole.PRINCIPAL, TraineeRole.SAFETY_MANAGER)


class Session(models.Model):
    """One training session, publicity meeting, site meeting or observation visit."""

    topic = models.CharField("主题", max_length=150)
    kind = models.CharField("形式", max_length=12, choices=SessionKind.choices)
    held_on = models.DateField("日期")
    hours = models.DecimalField("学时", max_digits=4, decimal_places=1, null=True, blank=True)
    region = models.ForeignKey(
        "accounts.Region",
        verbose_name="组织区域",
        on_delete=models.PROTECT,
        related_name="+",
    )
    organiser = models.CharField("组织单位", max_length=100)
    trainer = models.CharField("授课人", max_length=100, blank=True)
    place = models.CharField("地点", max_length=150, blank=True)
    materials = models.TextField("培训材料", blank=True, help_text="材料名称或内容摘要")
    note = models.CharField("备注", max_length=300, blank=True)
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
    scope_prefix = ""  # the session's own `region` is what scope filters on
    scope_object = "training"

    class Meta:
        verbose_name = "培训"
        verbose_name_plural = "培训"
        ordering = ["-held_on", "-id"]

    def __str__(self) -> str:
        return f"{self.held_on} {self.topic}"


class Attendance(models.Model):
    """One person at one session. `person_key` identifies the person within the session
    (name + enterprise or unit), so nobody signs in twice."""

    session = models.ForeignKey(
        Session, verbose_name="培训", on_delete=models.CASCADE, related_name="attendances"
    )
    name = models.CharField("姓名", max_length=50)
    role = models.CharField("岗位类别", max_length=16, choices=TraineeRole.choices)
    enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        verbose_name="所在企业",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="training_attendances",
    )
    unit = models.CharField("工作单位", max_length=100, blank=True)
    position = models.CharField("职务", max_length=50, blank=True)
    phone = models.CharField("联系电话", max_length=20, blank=True)
    person_key = models.CharField("人员标识", max_length=160, editable=False)
    recorded_at = models.DateTimeField("记录时间", auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope_prefix = "session__"
    scope_object = "training"

    class Meta:
        verbose_name = "参训人员"
        verbose_name_plural = "参训人员"
        ordering = ["session", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "person_key"], name="attendance_person_unique"
            )
        ]
        indexes = [models.Index(fields=["enterprise", "role"])]

    def __str__(self) -> str:
        return f"{self.name}({self.get_role_display()})"

    @staticmethod
    def key_for(name: str, enterprise_id: int | None, unit: str) -> str:
        where = f"e{enterprise_id}" if enterprise_id else f"u{unit.strip()}"
        return f"{name.strip()}|{where}"[:160]


class SessionFile(StoredFile):
    """Training material (课件, 签到表扫描件, 照片), checked by content; scoped download only."""

    session = models.ForeignKey(
        Session, verbose_name="培训", on_delete=models.CASCADE, related_name="files"
    )
    file = models.FileField("文件", upload_to="training/%Y/%m/", max_length=200)

    objects = ScopedQuerySet.as_manager()
    scope_prefix = "session__"
    scope_object = "training"

    class Meta:
        verbose_name = "培训材料"
        verbose_name_plural = "培训材料"
        ordering = ["id"]
