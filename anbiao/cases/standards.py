"""Grading standards as versioned YAML (docs/cases.md describes the format).

`load_standard(path)` is idempotent: an unchanged file changes nothing; a changed file replaces
the version's items only while no assessment uses it — a standard in use is superseded by a
new `version`, never edited.
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

import yaml
from django.db import transaction

from anbiao.cases.models import Standard, StandardElement, StandardItem


class StandardError(ValueError):
    """A standard file that cannot be loaded; the message names the place."""


@dataclass
class LoadResult:
    standard: Standard
    outcome: str  # "created" | "updated" | "unchanged"

    def __str__(self) -> str:
        words = {"created": "新增", "updated": "更新", "unchanged": "无变化"}
        return f"{self.standard}:{words[self.outcome]},{self.standard.items.count()} 个评定项"


def _points(value, where: str) -> Decimal:
    try:
        points = Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise StandardError(f"{where}:分值“{value}”不是数字") from exc
    if points <= 0 or points != points.quantize(Decimal("0.1")):
        raise StandardError(f"{where}:分值须为正数,最多一位小数")
    return points


def parse(data: dict, source: str = "") -> dict:
    """Validate a standard's data; returns it normalized (raises StandardError)."""
    where = source or "标准文件"
    for key in ("code", "version", "name", "elements"):
        if not data.get(key):
            raise StandardError(f"{where}:缺少“{key}”")
    if not isinstance(data["version"], int) or data["version"] < 1:
        raise StandardError(f"{where}:version 须为正整数")
    codes: set[str] = set()
    elements = []
    for top in data["elements"]:
        children = []
        for child in top.get("children") or []:
            items = []
            for raw in child.get("items") or []:
                code = str(raw.get("code", ""))
                place = f"{where} 评定项 {code or '(无编号)'}"
                if not code or code in codes:
                    raise StandardError(f"{place}:编号为空或重复")
                if not str(raw.get("text", "")).strip():
                    raise StandardError(f"{place}:缺少评定内容 text")
                codes.add(code)
                items.append(
                    {
                        "code": code,
                        "text": str(raw["text"]).strip(),
                        "points": str(_points(raw.get("points"), place)),
                        "method": str(raw.get("method", "")).strip(),
                        "veto": bool(raw.get("veto", False)),
                        "na_allowed": bool(raw.get("na_allowed", False)),
                    }
                )
            if not items:
                raise StandardError(f"{where} 要素 {child.get('code')}:没有评定项")
            children.append({"code": str(child["code"]), "name": child["name"], "items": items})
        if not children:
            raise StandardError(f"{where} 要素 {top.get('code')}:没有二级要素")
        elements.append({"code": str(top["code"]), "name": top["name"], "children": children})
    effective_on = data.get("effective_on")
    if effective_on is not None and not isinstance(effective_on, date):
        raise StandardError(f"{where}:effective_on 须为日期,如 2025-01-01")
    return {
        "code": str(data["code"]),
        "version": data["version"],
        "name": str(data["name"]),
        "issued_by": str(data.get("issued_by", "")),
        "effective_on": effective_on.isoformat() if effective_on else None,
        "description": str(data.get("description", "")).strip(),
        "elements": elements,
    }


def digest(parsed: dict) -> str:
    text = json.dumps(parsed, ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def _write_items(standard: Standard, parsed: dict) -> Decimal:
    total = Decimal("0")
    order = 0
    for top in parsed["elements"]:
        order += 1
        parent = StandardElement.objects.create(
            standard=standard, code=top["code"], name=top["name"], sort_order=order
        )
        for child in top["children"]:
            order += 1
            element = StandardElement.objects.create(
                standard=standard,
                parent=parent,
                code=child["code"],
                name=child["name"],
                sort_order=order,
            )
            rows = []
            for item in child["items"]:
                order += 1
                total += Decimal(item["points"])
                rows.append(
                    StandardItem(
                        standard=standard,
                        element=element,
                        sort_order=order,
                        **{**item, "points": Decimal(item["points"])},
                    )
                )
            StandardItem.objects.bulk_create(rows)
    return total


@transaction.atomic
def load_data(data: dict, source: str = "") -> LoadResult:
    parsed = parse(data, source)
    fingerprint = digest(parsed)
    header = {
        "name": parsed["name"],
        "issued_by": parsed["issued_by"],
        "effective_on": parsed["effective_on"],
        "description": parsed["description"],
    }
    standard = (
        Standard.objects.select_for_update()
        .filter(code=parsed["code"], version=parsed["version"])
        .first()
    )
    if standard is not None and standard.digest == fingerprint:
        return LoadResult(standard, "unchanged")
    if standard is not None:
        if standard.assessments.exists():
            raise StandardError(
                f"“{standard}”已被评定使用,不能修改;请把 version 改为 {parsed['version'] + 1}"
                "(或更高)作为新版本载入,新版本将取代旧版本用于新的评定"
            )
        standard.elements.all().delete()
        outcome = "updated"
    else:
        standard = Standard(code=parsed["code"], version=parsed["version"])
        outcome = "created"
    for key, value in header.items():
        setattr(standard, key, value)
    standard.digest = fingerprint
    standard.save()
    standard.total_points = _write_items(standard, parsed)
    standard.save(update_fields=["total_points"])
    return LoadResult(standard, outcome)


def load_standard(path: Path | str) -> LoadResult:
    path = Path(path)
    try:
        with path.open(encoding="utf-8") as fh:
            data = yaml.safe_load(fh) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise StandardError(f"无法读取标准文件 {path.name}:{exc}") from exc
    if not isinstance(data, dict):
        raise StandardError(f"{path.name}:不是有效的标准文件")
    return load_data(data, path.name)


def load_directory(directory: Path) -> list[LoadResult]:
    """Every standard under `directory` (files with `elements:`; grade rules are skipped)."""
    results = []
    for path in sorted(directory.glob("*.yaml")):
        with path.open(encoding="utf-8") as fh:
            data = yaml.safe_load(fh) or {}
        if isinstance(data, dict) and "elements" in data:
            results.append(load_data(data, path.name))
    return results


def current(code: str) -> Standard | None:
    """The newest version of standard `code`: the one new assessments use."""
    return Standard.objects.filter(code=code).order_by("-version").first()


def load_reference(directory: Path, summary) -> None:
    """Reference-data loader (registered by CasesConfig): the standards under
    reference_data/standards/; a changed standard in use is refused."""
    if not (directory / "standards").is_dir():
        return
    for result in load_directory(directory / "standards"):
        summary.count_outcome(result.outcome, "评定标准")
