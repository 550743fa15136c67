from django.db import models


class Stage(models.TextChoices):
    """The stages of a benchmark, in order (方案:分别实施创建、运行、提升试点)."""

    CANDIDATE = "candidate", "培植对象"
    PILOT_CREATE = "pilot_create", "创建试点"
    PILOT_RUN = "pilot_run", "运行试点"
    PILOT_IMPROVE = "pilot_improve", "提升试点"
    ESTABLISHED = "established", "已建成"

    @classmethod
    def order(cls) -> dict[str, int]:
        return {value: index for index, value in enumerate(cls.values)}


class EventKind(models.TextChoices):
    STAGE = "stage", "阶段变更"
    SITE_MEETING = "meeting", "现场会"
    WITHDRAW = "withdraw", "退出培植"
