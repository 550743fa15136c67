"""Campaign plans as YAML (see docs/campaigns.md): validated, then loaded idempotently.

A campaign is matched by slug, its phases, tasks and targets by code. Loading the same file
again changes nothing; a changed file updates what it describes (task progress recorded by users
is kept). Edits made in the UI stay until the file itself changes (its digest is remembered).
"""

import hashlib
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import yaml
from django.core.exceptions import ValidationError
from django.db import transaction

from anbiao.accounts.models import DepartmentIndustry, Region
from anbiao.campaigns.choices import FilingFrequency
from anbiao.campaigns.metrics import METRICS
from anbiao.campaigns.models import Campaign, DivisionEntry, Phase, Target, Task
from anbiao.enterprises.choices import Industry, Size


@dataclass
class LoadResult:
    slug: str
    outcome: str  # created | updated | unchanged


def _date(data: dict, key: str, where: str, required: bool = True) -> date | None:
    value = data.get(key)
    if value is None:
        if required:
            raise ValidationError(f"{where}缺少 {key}")
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError as exc:
        raise ValidationError(f"{where}的 {key}“{value}”不是有效日期(YYYY-MM-DD)") from exc


ALLOWED_KEYS = {
    "": {
        "version",
        "slug",
        "name",
        "plan_title",
        "issuer",
        "issued_on",
        "document_number",
        "region",
        "industries",
        "sizes",
        "exclude_torch_zone",
        "baseline_on",
        "starts_on",
        "ends_on",
        "summary",
        "phases",
        "tasks",
        "targets",
        "division",
        "filing",
    },
    "phases": {"code", "name", "starts_on", "ends_on", "description"},
    "tasks": {"code", "phase", "title", "deadline", "department", "deliverable"},
    "targets": {"code", "label", "metric", "threshold", "deadline", "cap_metric"},
    "division": {"department", "responsibilities", "industries"},
}
FILING_KEYS = {"frequency", "due_days"}
SECTION_NAMES = {"phases": "阶段", "tasks": "任务", "targets": "目标", "division": "分工"}


def _check_keys(data: dict) -> None:
    """Unknown keys are refused: in YAML an unquoted ASCII comma silently splits a text."""
    unknown = set(data) - ALLOWED_KEYS[""]
    if unknown:
        raise ValidationError(f"专项行动含未知字段 {sorted(unknown)}")
    filing = data.get("filing")
    if filing is not None:
        if not isinstance(filing, dict):
            raise ValidationError("报送安排 filing 应写成 frequency 和 due_days 两项")
        extra = set(filing) - FILING_KEYS
        if extra:
            raise ValidationError(f"报送安排 filing 含未知字段 {sorted(extra)}")
    for section, allowed in ALLOWED_KEYS.items():
        for index, item in enumerate(data.get(section) or [] if section else [], start=1):
            extra = set(item) - allowed
            if extra:
                raise ValidationError(
                    f"{SECTION_NAMES[section]}第{index}项({item.get('code', '')})含未知字段 "
                    f"{sorted(extra)};文字中的英文逗号请改用中文逗号或给整段文字加引号"
                )


def _validate(data: dict) -> None:
    _check_keys(data)
    for key in ("slug", "name", "region", "baseline_on", "starts_on", "ends_on"):
        if not data.get(key):
            raise ValidationError(f"专项行动缺少必填项 {key}")
    bad = [i for i in data.get("industries", []) if i not in Industry.values]
    if bad:
        raise ValidationError(f"未知的行业 {bad}(可选 {Industry.values})")
    bad = [s for s in data.get("sizes", []) if s not in Size.values]
    if bad:
        raise ValidationError(f"未知的企业规模 {bad}(可选 {Size.values})")
    _validate_filing(data.get("filing") or {})
    for target in data.get("targets", []):
        where = f"目标 {target.get('code', '?')} "
        for key in ("metric", "cap_metric"):
            if target.get(key) and (
                target[key] not in METRICS or not METRICS[target[key]].targetable
            ):
                choices = [k for k, m in METRICS.items() if m.targetable]
                raise ValidationError(f"{where}的指标“{target[key]}”未定义(可选 {choices})")
        if (
            target.get("metric") in METRICS
            and METRICS[target["metric"]].is_rate
            and not 0 <= float(target.get("threshold", -1)) <= 1
        ):
            raise ValidationError(f"{where}是比率指标,目标值应在0到1之间")


def _validate_filing(filing: dict) -> None:
    """The filing schedule (信息报送): a frequency and the days after a period's end it is due."""
    frequency = filing.get("frequency", FilingFrequency.NONE)
    if frequency not in FilingFrequency.values:
        raise ValidationError(
            f"报送安排的 frequency“{frequency}”无效(可选 {FilingFrequency.values})"
        )
    due_days = filing.get("due_days", 10)
    if isinstance(due_days, bool) or not isinstance(due_days, int) or not 0 <= due_days <= 90:
        raise ValidationError(f"报送安排的 due_days“{due_days}”应为0到90之间的整数")


def load_campaign_file(path: Path) -> LoadResult:
    """Load one campaign YAML file (idempotent)."""
    raw = Path(path).read_bytes()
    digest = hashlib.sha256(raw).hexdigest()
    data = yaml.safe_load(raw) or {}
    _validate(data)
    return load_campaign(data, digest=digest)


@transaction.atomic
def load_campaign(data: dict, *, digest: str = "") -> LoadResult:
    region = Region.objects.filter(code=str(data["region"])).first()
    if region is None:
        raise ValidationError(f"未知的区划代码“{data['region']}”,请先载入区划参考数据")
    existing = Campaign.objects.filter(slug=data["slug"]).first()
    if existing is not None and digest and existing.source_digest == digest:
        return LoadResult(data["slug"], "unchanged")
    fields = {
        "name": data["name"],
        "plan_title": data.get("plan_title", ""),
        "issuer": data.get("issuer", ""),
        "issued_on": _date(data, "issued_on", "专项行动", required=False),
        "document_number": data.get("document_number", ""),
        "region": region,
        "industries": list(data.get("industries") or Industry.values),
        "sizes": list(data.get("sizes") or ["small", "micro"]),
        "exclude_torch_zone": bool(data.get("exclude_torch_zone", True)),
        "baseline_on": _date(data, "baseline_on", "专项行动"),
        "starts_on": _date(data, "starts_on", "专项行动"),
        "ends_on": _date(data, "ends_on", "专项行动"),
        "summary": data.get("summary", ""),
        "filing_frequency": (data.get("filing") or {}).get("frequency", FilingFrequency.NONE),
        "filing_due_days": (data.get("filing") or {}).get("due_days", 10),
        "source_digest": digest,
    }
    campaign, created = Campaign.objects.update_or_create(slug=data["slug"], defaults=fields)
    phases = {}
    for order, item in enumerate(data.get("phases", [])):
        phases[item["code"]], _ = Phase.objects.update_or_create(
            campaign=campaign,
            code=item["code"],
            defaults={
                "name": item["name"],
                "sort_order": order,
                "starts_on": _date(item, "starts_on", f"阶段 {item['code']} ", False),
                "ends_on": _date(item, "ends_on", f"阶段 {item['code']} ", False),
                "description": item.get("description", ""),
            },
        )
    for order, item in enumerate(data.get("tasks", [])):
        where = f"任务 {item.get('code', '?')} "
        if item.get("phase") and item["phase"] not in phases:
            raise ValidationError(f"{where}的阶段“{item['phase']}”未定义")
        Task.objects.update_or_create(
            campaign=campaign,
            code=item["code"],
            defaults={
                "title": item["title"],
                "deadline": _date(item, "deadline", where),
                "department": item.get("department", ""),
                "deliverable": item.get("deliverable", ""),
                "phase": phases.get(item.get("phase")),
                "sort_order": order,
            },
        )
    for order, item in enumerate(data.get("targets", [])):
        where = f"目标 {item.get('code', '?')} "
        Target.objects.update_or_create(
            campaign=campaign,
            code=item["code"],
            defaults={
                "label": item["label"],
                "metric": item["metric"],
                "threshold": item["threshold"],
                "deadline": _date(item, "deadline", where),
                "cap_metric": item.get("cap_metric", ""),
                "sort_order": order,
            },
        )
    if "division" in data:
        _load_department_industries(campaign, data["division"])
        campaign.division.all().delete()
        DivisionEntry.objects.bulk_create(
            DivisionEntry(
                campaign=campaign,
                department=item["department"],
                responsibilities=item["responsibilities"],
                sort_order=order,
            )
            for order, item in enumerate(data["division"])
        )
    return LoadResult(campaign.slug, "created" if created else "updated")


def _load_department_industries(campaign: Campaign, division: list[dict]) -> None:
    """The industries each department answers for (附件2), which scope 行业部门 users."""
    DepartmentIndustry.objects.filter(source=campaign.slug).delete()
    rows = {}
    for item in division:
        for industry in item.get("industries") or ():
            if industry not in Industry.values:
                names = "、".join(Industry.values)
                raise ValidationError(
                    f"分工表 {item['department']} 的行业“{industry}”无效(可选:{names})"
                )
            key = (item["department"], industry)
            rows[key] = DepartmentIndustry(
                region=campaign.region,
                department=item["department"],
                industry=industry,
                source=campaign.slug,
            )
    DepartmentIndustry.objects.bulk_create(rows.values(), ignore_conflicts=True)


def load_directory(directory: Path) -> list[LoadResult]:
    return [load_campaign_file(path) for path in sorted(Path(directory).glob("*.yaml"))]


def load_reference(directory: Path, summary) -> None:
    """Reference-data loader (registered by CampaignsConfig): the campaign plans under
    reference_data/campaigns/."""
    if not (directory / "campaigns").is_dir():
        return
    for result in load_directory(directory / "campaigns"):
        summary.count_outcome(result.outcome, "专项行动")
