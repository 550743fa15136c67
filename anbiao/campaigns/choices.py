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


# The metric keys of DESIGN §4, with their Chinese names and whether they are rates.
METRICS: dict[str, tuple[str, bool]] = {
    "eligible_total": ("应创企业", False),
    "scope_total": ("范围内企业", False),
    "started": ("已开展创建", False),
    "completed": ("已完成创建", False),
    "completion_rate": ("创建完成率", True),
    "start_rate": ("开展创建率", True),
    "coverage_rate": ("全覆盖率", True),
    "new_total": ("新增企业", False),
    "new_started": ("新增企业已开展", False),
    "new_start_rate": ("新增企业开展率", True),
    "due_certificates": ("到期证书", False),
    "renewed": ("已换证", False),
    "renewal_rate": ("换证率", True),
    "renewal_on_time_rate": ("按期换证率", True),
    "benchmark_candidates": ("标杆培植对象", False),
    "benchmarks": ("标杆企业", False),
    "catalog_size": ("观摩目录企业", False),
    "training_coverage_rate": ("培训覆盖率", True),
}
MetricKey = models.TextChoices("MetricKey", [(k, (k, v[0])) for k, v in METRICS.items()])
