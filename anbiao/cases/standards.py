"""Grading standards as versioned YAML or an Excel sheet (docs/cases.md describes both).

`load_standard(path)` is idempotent: an unchanged file changes nothing; a changed file replaces
the version's items only while no assessment uses it — a standard in use is superseded by a
new `version`, never edited.
"""

import hashlib
import json
import unicodedata
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

import yaml
from django.db import transaction

from anbiao.cases.models import Standard, StandardElement, StandardItem
from anbiao.core.imports.reader import (
    Column,
    ImportFileError,
    parse_bool,
    parse_decimal,
    read_table,
)
from anbiao.enterprises.choices import Industry


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


def _text(value) -> str:
    """Texts are compared by fingerprint, so a sheet and a YAML file of the same standard must
    give the same characters: full-width punctuation is folded (NFKC) as the Excel reader does."""
    return unicodedata.normalize("NFKC", str(value or "")).replace("\u3000", " ").strip()


ITEM_KEYS = {"code", "text", "points", "method", "veto", "na_allowed", "veto_industries"}


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
                unknown = set(raw) - ITEM_KEYS
                if unknown:  # in YAML an unquoted ASCII comma silently splits a text
                    names = "、".join(sorted(map(str, unknown)))
                    raise StandardError(f"{place}:含未知字段 {names}(文字中的逗号请用全角“，”)")
                if not code or code in codes:
                    raise StandardError(f"{place}:编号为空或重复")
                if not str(raw.get("text", "")).strip():
                    raise StandardError(f"{place}:缺少评定内容 text")
                codes.add(code)
                items.append(
                    {
                        "code": code,
                        "text": _text(raw["text"]),
                        "points": str(_points(raw.get("points"), place)),
                        "method": _text(raw.get("method")),
                        "veto": bool(raw.get("veto", False)),
                        "na_allowed": bool(raw.get("na_allowed", False)),
                        "veto_industries": _industries(raw.get("veto_industries"), place),
                    }
                )
            if not items:
                raise StandardError(f"{where} 要素 {child.get('code')}:没有评定项")
            children.append(
                {"code": str(child["code"]), "name": _text(child["name"]), "items": items}
            )
        if not children:
            raise StandardError(f"{where} 要素 {top.get('code')}:没有二级要素")
        elements.append(
            {"code": str(top["code"]), "name": _text(top["name"]), "children": children}
        )
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
        "sample": bool(data.get("sample", False)),
        "grades": _grades(data.get("grades"), where),
        "elements": elements,
    }


def _industries(value, where: str) -> list[str]:
    """Industry codes or names (冶金, metallurgy); a veto for every industry when empty."""
    names = {label: code for code, label in Industry.choices}
    result = []
    for word in value or []:
        code = names.get(str(word).strip(), str(word).strip())
        if code not in Industry.values:
            raise StandardError(f"{where}:否决适用行业“{word}”无效(可选:{'、'.join(names)})")
        result.append(code)
    return sorted(set(result))


def _grades(value, where: str) -> list[dict]:
    """The standard's own grade ladder, highest first: [{code, name, min_score}]."""
    ladder = []
    for raw in value or []:
        try:
            name = str(raw["name"]).strip()
            ladder.append(
                {
                    "code": str(raw.get("code") or name),
                    "name": name,
                    "min_score": str(Decimal(str(raw["min_score"]))),
                }
            )
        except (KeyError, TypeError, InvalidOperation) as exc:
            raise StandardError(f"{where}:等级设置有误,每级须有名称和最低得分") from exc
    return sorted(ladder, key=lambda g: Decimal(g["min_score"]), reverse=True)


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
        "sample": parsed["sample"],
        "grades": parsed["grades"],
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


ITEM_COLUMNS = [
    Column("top", "一级要素", ("一级要素(编号 名称)", "一级"), required=True),
    Column("child", "二级要素", ("二级要素(编号 名称)", "二级"), required=True),
    Column("code", "编号", ("项目编号", "评定项编号", "序号"), required=True),
    Column("text", "评定内容", ("内容", "评定项目", "标准要求"), required=True),
    Column("points", "分值", ("标准分", "分数"), parse=parse_decimal, required=True),
    Column("veto", "否决项", ("是否否决项",), parse=parse_bool),
    Column("na_allowed", "可为空项", ("允许空项", "空项"), parse=parse_bool),
    Column("method", "扣分标准", ("评分方法", "评分方式", "扣分方法")),
    Column("veto_industries", "否决适用行业", ("否决行业",)),
]


def _element(text: str) -> tuple[str, str]:
    """ "1.1 目标" → ("1.1", "目标"); a name without a number keeps its text as both."""
    code, _, name = text.strip().partition(" ")
    return (code, name.strip()) if name.strip() else (text.strip(), text.strip())


def read_xlsx(source, *, filename: str = "", header: dict) -> dict:
    """A standard's data from an Excel sheet of items (one row per item, in order), with its
    header (code, version, name, issued_by, effective_on, sample, grades) given by the caller.
    Every problem is reported with its row number; nothing is loaded when there is one."""
    try:
        table = read_table(source, ITEM_COLUMNS, filename=filename or "标准.xlsx")
    except ImportFileError as exc:
        raise StandardError(f"无法读取标准表格:{exc}") from exc
    problems = [str(e) for e in table.errors]
    elements: dict[str, dict] = {}
    seen: dict[str, int] = {}
    for row in table.rows:
        if not row.valid:
            continue
        v = row.values
        where = f"第{row.number}行"
        if v["code"] in seen:
            problems.append(f"{where}「编号」:与第{seen[v['code']]}行重复")
            continue
        seen[v["code"]] = row.number
        points = v["points"]
        if points is None or points <= 0 or points != points.quantize(Decimal("0.1")):
            problems.append(f"{where}「分值」:须为正数,最多一位小数")
            continue
        top_code, top_name = _element(v["top"])
        child_code, child_name = _element(v["child"])
        top = elements.setdefault(top_code, {"code": top_code, "name": top_name, "children": {}})
        child = top["children"].setdefault(
            child_code, {"code": child_code, "name": child_name, "items": []}
        )
        words = [w for w in str(v.get("veto_industries") or "").replace(",", "、").split("、")]
        try:
            industries = _industries([w for w in words if w.strip()], where)
        except StandardError as exc:
            problems.append(str(exc).replace(where + ":", f"{where}「否决适用行业」:"))
            continue
        child["items"].append(
            {
                "code": v["code"],
                "text": v["text"],
                "points": points.quantize(Decimal(1)) if points == points.to_integral() else points,
                "method": v.get("method") or "",
                "veto": bool(v.get("veto")),
                "na_allowed": bool(v.get("na_allowed")),
                "veto_industries": industries,
            }
        )
    if not table.rows:
        problems.append("表格中没有评定项")
    if problems:
        raise StandardError(";".join(problems))
    data = dict(header)
    data["elements"] = [
        {**top, "children": list(top["children"].values())} for top in elements.values()
    ]
    return data


def load_xlsx(source, *, filename: str = "", header: dict) -> LoadResult:
    """Load a standard from an Excel sheet (see `read_xlsx`), exactly as from YAML."""
    return load_data(read_xlsx(source, filename=filename, header=header), filename)


def parse_grades(text: str) -> list[dict]:
    """ "一级:90,二级:80" or "达标:60" → a grade ladder; empty text → the deployment's rules."""
    ladder = []
    for part in (text or "").replace(",", ",").replace(";", ",").split(","):
        if not part.strip():
            continue
        name, _, score = part.replace(":", ":").partition(":")
        if not name.strip() or not score.strip():
            raise StandardError(f"等级设置“{part.strip()}”应写作“名称:最低得分”,如“达标:60”")
        ladder.append({"name": name.strip(), "min_score": score.strip()})
    return ladder


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
