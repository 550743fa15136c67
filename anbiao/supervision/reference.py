"""Supervision reference data as files: the class rules (reference_data/supervision/classes.yaml)
and the versioned checklists (reference_data/supervision/checklists/*.yaml). Formats:
docs/supervision.md.

`load_reference()` is idempotent: an unchanged checklist changes nothing; a changed
one replaces its items only while no inspection uses it — a checklist in use is superseded by a
new `version`, never edited. It is registered in apps.py, so it runs after every migrate and with
`anbiao load-reference`.
"""

import hashlib
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml
from django.conf import settings
from django.db import transaction

SUPERVISION_DIR = Path(settings.BASE_DIR) / "reference_data" / "supervision"
CLASSES_FILE = SUPERVISION_DIR / "classes.yaml"
CONDITIONS = {
    "open_major_hazards",
    "incident_within_days",
    "case_flagged",
    "case_states",
    "risk_tags_any",
    "certificate_grades",
}


class ChecklistError(ValueError):
    """A checklist that cannot be loaded; the message names the place (file or row)."""


@dataclass(frozen=True)
class ClassRule:
    code: str
    klass: str
    when: dict
    reason: str


@dataclass(frozen=True)
class ClassRules:
    classes: dict  # code → {name, inspections_per_year, description}
    rules: tuple[ClassRule, ...]
    default_class: str
    default_reason: str
    deadline_days: dict

    def frequency(self, klass: str) -> int:
        return int(self.classes[klass]["inspections_per_year"])


def parse_class_rules(data: dict, source: str = "classes.yaml") -> ClassRules:
    """Validate the class rules; ValueError naming the rule when something is wrong."""
    classes = {c["code"]: c for c in data.get("classes") or []}
    if not classes:
        raise ValueError(f"{source}:缺少 classes")
    rules = []
    for raw in data.get("rules") or []:
        code = raw.get("code") or "(无编号)"
        if raw.get("class") not in classes:
            raise ValueError(f"{source} 规则 {code}:类别“{raw.get('class')}”未定义")
        unknown = set(raw.get("when") or {}) - CONDITIONS
        if unknown or not raw.get("when"):
            raise ValueError(f"{source} 规则 {code}:条件无效 {sorted(unknown)}")
        rules.append(ClassRule(code, raw["class"], dict(raw["when"]), str(raw.get("reason", ""))))
    default = data.get("default") or {}
    if default.get("class") not in classes:
        raise ValueError(f"{source}:default.class 未定义")
    return ClassRules(
        classes=classes,
        rules=tuple(rules),
        default_class=default["class"],
        default_reason=str(default.get("reason", "")),
        deadline_days=dict(data.get("hazard_deadline_days") or {"general": 30, "major": 90}),
    )


@lru_cache(maxsize=1)
def class_rules() -> ClassRules:
    """The deployment's class rules (read once per process)."""
    with CLASSES_FILE.open(encoding="utf-8") as fh:
        return parse_class_rules(yaml.safe_load(fh) or {})


# --- checklists --------------------------------------------------------------------------------


def parse_checklist(data: dict, source: str = "") -> dict:
    """Validate a checklist's data; returns it normalized (raises ChecklistError)."""
    where = source or "检查表"
    for key in ("code", "version", "name", "sections"):
        if not data.get(key):
            raise ChecklistError(f"{where}:缺少“{key}”")
    if not isinstance(data["version"], int) or data["version"] < 1:
        raise ChecklistError(f"{where}:version 须为正整数")
    codes: set[str] = set()
    sections = []
    for section in data["sections"]:
        name = str(section.get("name") or "").strip()
        if not name:
            raise ChecklistError(f"{where}:检查类别缺少名称")
        items = []
        for raw in section.get("items") or []:
            code = str(raw.get("code") or "").strip()
            place = raw.get("_place") or f"{where} 检查项 {code or '(无编号)'}"
            if not code or code in codes:
                raise ChecklistError(f"{place}:编号为空或重复")
            text = str(raw.get("text") or "").strip()
            if not text:
                raise ChecklistError(f"{place}:缺少检查内容")
            codes.add(code)
            items.append(
                {
                    "code": code,
                    "text": text[:300],
                    "basis": str(raw.get("basis") or "").strip()[:300],
                    "major": bool(raw.get("major", False)),
                }
            )
        if not items:
            raise ChecklistError(f"{where} 检查类别“{name}”:没有检查项")
        sections.append({"name": name, "items": items})
    return {
        "code": str(data["code"]).strip(),
        "version": data["version"],
        "name": str(data["name"]).strip(),
        "industries": list(data.get("industries") or []),
        "risk_tags": list(data.get("risk_tags") or []),
        "sections": sections,
    }


@dataclass
class LoadResult:
    checklist: object
    outcome: str  # "created" | "updated" | "unchanged"


@transaction.atomic
def save_checklist(data: dict, source: str = "") -> LoadResult:
    """Create or update one checklist version from parsed data (idempotent by content)."""
    from anbiao.supervision.models import Checklist, ChecklistItem

    data = parse_checklist(data, source)
    digest = hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()
    checklist = Checklist.objects.filter(code=data["code"], version=data["version"]).first()
    if checklist is not None and checklist.digest == digest:
        return LoadResult(checklist, "unchanged")
    if checklist is not None and checklist.inspections.exists():
        raise ChecklistError(
            f"{source or data['code']}:检查表第{data['version']}版已被检查记录使用,"
            "修改内容请提高版本号"
        )
    outcome = "updated" if checklist else "created"
    if checklist is None:
        checklist = Checklist(code=data["code"], version=data["version"])
    checklist.name = data["name"]
    checklist.industries = data["industries"]
    checklist.risk_tags = data["risk_tags"]
    checklist.source = source[:200]
    checklist.digest = digest
    checklist.save()
    checklist.items.all().delete()
    order = 0
    rows = []
    for section in data["sections"]:
        for item in section["items"]:
            order += 1
            rows.append(
                ChecklistItem(checklist=checklist, section=section["name"], order=order, **item)
            )
    ChecklistItem.objects.bulk_create(rows)
    return LoadResult(checklist, outcome)


def load_checklists(directory: Path = SUPERVISION_DIR / "checklists") -> list[LoadResult]:
    results = []
    for path in sorted(directory.glob("*.yaml")):
        with path.open(encoding="utf-8") as fh:
            data = yaml.safe_load(fh) or {}
        results.append(save_checklist(data, source=f"reference_data/supervision/{path.name}"))
    return results


def load_reference(directory: Path, summary) -> None:
    """The registered loader (anbiao/core/reference_data.py): the class rules must parse, and
    every checklist under `directory`/supervision/checklists is loaded."""
    class_rules.cache_clear()
    class_rules()
    for result in load_checklists(directory / "supervision" / "checklists"):
        summary.count_outcome(result.outcome, "检查表")
