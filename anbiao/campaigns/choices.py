from django.db import models


class TaskStatus(models.TextChoices):
    NOT_STARTED = "not_started", "未开始"
    IN_PROGRESS = "in_progress", "进行中"
    DONE = "done", "已完成"


class TargetStatus(models.TextChoices):
    MET = "met", "已达成"
    ON_TRACK = "on_track", "按期可达"
    AT_RISK = "at_risk", "存在风险"
    BEHIND = "behind", "未达成"


class FilingFrequency(models.TextChoices):
    """How often a station files its figures (信息报送) to the district: the campaign file's
    `filing.frequency`. Ad hoc filings (临时报送) are possible whatever it says."""

    MONTHLY = "monthly", "每月"
    QUARTERLY = "quarterly", "每季度"
    NONE = "none", "不定期"
