"""Dictionaries of the enterprise registry under reference_data/dictionaries/ (重点风险 tags),
registered with the reference-data loader (anbiao/core/reference_data.py) by EnterprisesConfig."""

from pathlib import Path

from anbiao.core.reference_data import LoadSummary, read_yaml
from anbiao.enterprises.models import RiskTag


def load_dictionaries(directory: Path, summary: LoadSummary) -> None:
    for path in sorted((directory / "dictionaries").glob("*.yaml")):
        data = read_yaml(path)
        if "risk_tags" in data:
            _load_risk_tags(data["risk_tags"], summary)


def _load_risk_tags(items: list[dict], summary: LoadSummary) -> None:
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
