"""Reminder rules as data: reference_data/reminders.yaml (or ANBIAO_REMINDER_RULES_FILE),
read and checked here. A rule is a query (queries.py), thresholds, recipients and a title."""

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from config.env import env_str

DEFAULT_RULES = Path(settings.BASE_DIR) / "reference_data" / "reminders.yaml"
RECIPIENT_KINDS = {
    "enterprise": "企业",
    "agency": "服务机构",
    "station": "街道安监站",
    "district": "区专班",
    "department": "责任部门",
    "issuer": "督办单位",
    "recipient": "督办对象",
    "superior": "督办对象的上级",
}
DISPATCH_KINDS = {"issuer", "recipient", "superior"}  # resolved by anbiao/dispatches/reminders.py
UNITS = {"days": "天", "working_days": "个工作日"}


@dataclass(frozen=True)
class Rule:
    """One reminder rule of the YAML file."""

    code: str
    name: str
    query: str
    thresholds: tuple[int, ...]
    recipients: tuple[str, ...]
    title: str
    unit: str = "days"
    escalate: bool = False
    params: dict = field(default_factory=dict, hash=False, compare=False)


def rules_path() -> Path:
    value = getattr(settings, "ANBIAO_REMINDER_RULES_FILE", None)
    return Path(value or env_str("ANBIAO_REMINDER_RULES_FILE", str(DEFAULT_RULES)))


def rules() -> tuple[Rule, ...]:
    """The deployment's reminder rules (re-read when the file changes)."""
    path = rules_path()
    return _read(str(path), path.stat().st_mtime if path.exists() else 0)


def rule_choices() -> list[tuple[str, str]]:
    return [(rule.code, rule.name) for rule in rules()]


def rule_names() -> dict[str, str]:
    return dict(rule_choices()) | {"dispatch": "督办", "digest": "每周摘要", "filing": "信息报送"}


@lru_cache(maxsize=4)
def _read(path: str, _mtime: float) -> tuple[Rule, ...]:
    from anbiao.notifications.queries import QUERIES

    try:
        with open(path, encoding="utf-8") as fh:
            data = yaml.safe_load(fh) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ImproperlyConfigured(f"提醒规则文件无法读取:{path}({exc})") from exc
    found, seen = [], set()
    for index, raw in enumerate(data.get("rules") or [], start=1):
        where = f"提醒规则文件 {path} 第{index}条规则"
        try:
            rule = Rule(
                code=str(raw["code"]),
                name=str(raw["name"]),
                query=str(raw["query"]),
                thresholds=tuple(sorted({int(t) for t in raw["thresholds"]}, reverse=True)),
                recipients=tuple(str(r) for r in raw["recipients"]),
                title=str(raw["title"]),
                unit=str(raw.get("unit", "days")),
                escalate=bool(raw.get("escalate", False)),
                params=dict(raw.get("params") or {}),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ImproperlyConfigured(f"{where}有误:缺少或错误的字段 {exc}") from exc
        if rule.query not in QUERIES:
            raise ImproperlyConfigured(f"{where}:未知查询“{rule.query}”")
        from anbiao.notifications.recipients import RESOLVERS

        unknown = set(rule.recipients) - (set(RECIPIENT_KINDS) - DISPATCH_KINDS | set(RESOLVERS))
        if unknown:
            raise ImproperlyConfigured(f"{where}:未知接收人 {sorted(unknown)}")
        if rule.unit not in UNITS:
            raise ImproperlyConfigured(f"{where}:unit 应为 days 或 working_days")
        if not rule.thresholds:
            raise ImproperlyConfigured(f"{where}:thresholds 不能为空")
        if rule.code in seen:
            raise ImproperlyConfigured(f"{where}:规则代码“{rule.code}”重复")
        seen.add(rule.code)
        found.append(rule)
    return tuple(found)
