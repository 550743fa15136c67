from django.db import models


class SupervisionClass(models.TextChoices):
    """分类监管: the class sets how often an enterprise is inspected (classes.yaml)."""

    A = "A", "A类"
    B = "B", "B类"
    C = "C", "C类"
    D = "D", "D类"


class ClassSource(models.TextChoices):
    RULES = "rules", "按规则评定"
    OVERRIDE = "override", "监管站调整"


class InspectionStatus(models.TextChoices):
    DRAFT = "draft", "检查中"
    DONE = "done", "已完成"


class Outcome(models.TextChoices):
    """One checklist item's result; blank while not yet checked."""

    PASS = "pass", "符合"
    FAIL = "fail", "不符合"
    NA = "na", "不适用"


class HazardLevel(models.TextChoices):
    GENERAL = "general", "一般隐患"
    MAJOR = "major", "重大隐患"


class HazardState(models.TextChoices):
    """隐患 lifecycle; `hazards.TRANSITIONS` is the one table of allowed steps."""

    REGISTERED = "registered", "登记"
    RECTIFYING = "rectifying", "整改中"
    REVIEW_REQUESTED = "review_requested", "申请复查"
    CLOSED = "closed", "已销号"


class HazardEventKind(models.TextChoices):
    REGISTER = "register", "登记隐患"
    START = "start", "开始整改"
    REQUEST_REVIEW = "request_review", "申请复查"
    PASS = "pass", "复查通过(销号)"
    FAIL = "fail", "复查不通过"
    PLAN = "plan", "填报五落实"
    EVIDENCE = "evidence", "上传整改材料"


class RiskColour(models.TextChoices):
    """双重预防: four-colour risk grade, 红 highest."""

    RED = "red", "重大风险(红)"
    ORANGE = "orange", "较大风险(橙)"
    YELLOW = "yellow", "一般风险(黄)"
    BLUE = "blue", "低风险(蓝)"


class PlanEntryStatus(models.TextChoices):
    DONE = "done", "已检查"
    DUE = "due", "待检查"
    OVERDUE = "overdue", "逾期未检"
