"""Reference data as versioned YAML files under reference_data/, loaded idempotently.

`load_reference_data` runs after every `migrate` (so a migrated system is usable) and from
`anbiao load-reference`. It only inserts missing rows and updates names; it never deletes.
"""

from dataclasses import dataclass, field
from pathlib import Path

import yaml
from django.conf import settings
from django.db import transaction

REFERENCE_DIR = Path(settings.BASE_DIR) / "reference_data"


@dataclass
class LoadSummary:
    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)

    def count(self, bucket: dict[str, int], what: str) -> None:
        bucket[what] = bucket.get(what, 0) + 1

    def __str__(self) -> str:
        parts = [f"新增{k} {v}" for k, v in self.created.items()]
        parts += [f"更新{k} {v}" for k, v in self.updated.items()]
        return ",".join(parts) or "参考数据已是最新"


def _read(path: Path) -> dict:
    with path.open(encoding="utf-8") as fh:
        return yaml.safe_load(fh) or {}


def _load_region(node: dict, parent, summary: LoadSummary, order: int) -> None:
    from anbiao.accounts.models import Region

    region = Region.objects.filter(code=str(node["code"])).first()
    values = {"name": node["name"], "level": node["level"], "parent": parent, "sort_order": order}
    if region is None:
        region = Region.objects.create(code=str(node["code"]), **values)
        summary.count(summary.created, "区划")
    elif any(getattr(region, k) != v for k, v in values.items()):
        for key, value in values.items():
            setattr(region, key, value)
        region.save()
        summary.count(summary.updated, "区划")
    for index, child in enumerate(node.get("children", [])):
        _load_region(child, region, summary, index)


def _load_risk_tags(items: list[dict], summary: LoadSummary) -> None:
    from anbiao.enterprises.models import RiskTag

    for index, item in enumerate(items):
        tag, created = RiskTag.objects.get_or_create(
            code=item["code"], defaults={"name": item["name"], "sort_order": index}
        )
        if created:
            summary.count(summary.created, "重点风险")
        elif (tag.name, tag.sort_order) != (item["name"], index):
            tag.name, tag.sort_order = item["name"], index
            tag.save()
            summary.count(summary.updated, "重点风险")


@transaction.atomic
def load_reference_data(directory: Path = REFERENCE_DIR) -> LoadSummary:
    """Load every region tree and dictionary under `directory`."""
    summary = LoadSummary()
    for path in sorted((directory / "regions").glob("*.yaml")):
        for index, node in enumerate(_read(path).get("regions", [])):
            _load_region(node, None, summary, index)
    for path in sorted((directory / "dictionaries").glob("*.yaml")):
        data = _read(path)
        if "risk_tags" in data:
            _load_risk_tags(data["risk_tags"], summary)
    _load_standards(directory / "standards", summary)
    _load_campaigns(directory / "campaigns", summary)
    return summary


def _load_campaigns(directory: Path, summary: LoadSummary) -> None:
    """Campaign plans (anbiao/campaigns/loader.py)."""
    from django.db import connection

    if not directory.is_dir() or "campaigns_campaign" not in connection.introspection.table_names():
        return
    from anbiao.campaigns.loader import load_directory

    for result in load_directory(directory):
        if result.outcome == "created":
            summary.count(summary.created, "专项行动")
        elif result.outcome == "updated":
            summary.count(summary.updated, "专项行动")


def _load_standards(directory: Path, summary: LoadSummary) -> None:
    """Grading standards (anbiao/cases/standards.py); a changed standard in use is refused."""
    from django.db import connection

    if not directory.is_dir() or "cases_standard" not in connection.introspection.table_names():
        return
    from anbiao.cases.standards import load_directory

    for result in load_directory(directory):
        if result.outcome == "created":
            summary.count(summary.created, "评定标准")
        elif result.outcome == "updated":
            summary.count(summary.updated, "评定标准")


def load_after_migrate(sender, using="default", **kwargs) -> None:
    """post_migrate receiver: keep reference data present after every migrate."""
    from django.db import connections

    if "accounts_region" not in connections[using].introspection.table_names():
        return
    load_reference_data()
