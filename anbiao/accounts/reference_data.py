"""The region trees (行政区划) under reference_data/regions/, registered with the reference-data
loader (anbiao/core/reference_data.py) by AccountsConfig."""

from pathlib import Path

from anbiao.accounts.models import Region
from anbiao.core.reference_data import LoadSummary, read_yaml


def load_regions(directory: Path, summary: LoadSummary) -> None:
    """Insert missing regions and update changed names, levels, parents and order."""
    for path in sorted((directory / "regions").glob("*.yaml")):
        for index, node in enumerate(read_yaml(path).get("regions", [])):
            _load_region(node, None, summary, index)


def _load_region(node: dict, parent, summary: LoadSummary, order: int) -> None:
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
