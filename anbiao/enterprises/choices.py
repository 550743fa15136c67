from django.db import models


class Industry(models.TextChoices):
    """工贸行业 sub-sectors covered by work-safety standardization of industry and trade."""

    METALLURGY = "metallurgy", "冶金"
    NONFERROUS = "nonferrous", "有色"
    BUILDING_MATERIALS = "building_materials", "建材"
    MACHINERY = "machinery", "机械"
    LIGHT_INDUSTRY = "light_industry", "轻工"
    TEXTILE = "textile", "纺织"
    TOBACCO = "tobacco", "烟草"
    TRADE = "trade", "商贸"


class Size(models.TextChoices):
    LARGE = "large", "大型"
    MEDIUM = "medium", "中型"
    SMALL = "small", "小型"
    MICRO = "micro", "微型"


SMALL_AND_MICRO = (Size.SMALL, Size.MICRO)


class OperatingStatus(models.TextChoices):
    OPERATING = "operating", "在营"
    SUSPENDED = "suspended", "停产"
    DEREGISTERED = "deregistered", "注销"
    MOVED_OUT = "moved_out", "迁出"


class FactKind(models.TextChoices):
    """Kinds of dated facts about an enterprise from which the ledger as of a date is derived."""

    STATUS = "status", "经营状态"
    SIZE = "size", "企业规模"
    ELIGIBILITY = "eligibility", "创建条件"
    TORCH_ZONE = "torch_zone", "火炬高新区"
    REGION = "region", "所属区域"
    LEDGER = "ledger", "纳入台账"
    ENTRY = "entry", "新增原因"


class EntryReason(models.TextChoices):
    """Why an enterprise entered the campaign's scope after its baseline (a 新增企业), recorded
    as a dated `ENTRY` fact; without one it is read from the ledger spans (campaigns/metrics.py).
    """

    ESTABLISHED = "established", "新设"
    MOVED_IN = "moved_in", "迁入"
    SIZE_CHANGE = "size_change", "规模变化"
    SURVEY = "survey", "摸排补录"


class FactSource(models.TextChoices):
    MANUAL = "manual", "手工录入"
    IMPORT = "import", "导入"
    SURVEY = "survey", "摸排"
