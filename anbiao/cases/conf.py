"""Deployment configuration of the case lifecycle (docs/cases.md lists every variable).

Each value is read when needed, so tests can override it with the `settings` fixture: a Django
setting of the same name wins, else the environment variable, else the default.
"""

from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

import yaml
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from config.env import env_int, env_str

DEFAULT_GRADE_RULES = Path(settings.BASE_DIR) / "reference_data" / "standards" / "grade-rules.yaml"
KNOWN_CONDITIONS = {"no_veto_failed": "无否决项不符合"}


def _setting(name: str, reader, default):
    value = getattr(settings, name, None)
    return reader(name, default) if value is None else value


def certificate_validity_years() -> int:
    """证书有效期(年)."""
    return int(_setting("ANBIAO_CERTIFICATE_VALIDITY_YEARS", env_int, 3))


def renewal_window_months() -> int:
    """Months before expiry in which a certificate counts as 即将到期 and renewal is due."""
    return int(_setting("ANBIAO_RENEWAL_WINDOW_MONTHS", env_int, 3))


def annual_due() -> tuple[int, int]:
    """(month, day) by which each year's 年度自评 of a certified enterprise is due."""
    text = str(_setting("ANBIAO_ANNUAL_SELF_EVALUATION_DUE", env_str, "12-31"))
    try:
        month, day = (int(part) for part in text.split("-"))
        if not (1 <= month <= 12 and 1 <= day <= 31):
            raise ValueError
    except ValueError as exc:
        raise ImproperlyConfigured(
            f"ANBIAO_ANNUAL_SELF_EVALUATION_DUE 应为“月-日”,如 12-31,实为“{text}”"
        ) from exc
    return month, day


def rectification_days() -> int:
    """Days an enterprise has to close a rectification item (整改项) found by a review."""
    return int(_setting("ANBIAO_RECTIFICATION_DAYS", env_int, 30))


def review_days() -> int:
    """Days a review team has to submit its review after it was assigned (评审期限)."""
    return int(_setting("ANBIAO_REVIEW_DAYS", env_int, 30))


def default_standard_code() -> str:
    """The standard a new assessment uses (its newest version)."""
    return str(_setting("ANBIAO_DEFAULT_STANDARD", env_str, "gm-xiaowei"))


def grade_rules_path() -> Path:
    return Path(str(_setting("ANBIAO_GRADE_RULES_FILE", env_str, str(DEFAULT_GRADE_RULES))))


@dataclass(frozen=True)
class GradeRule:
    code: str
    name: str
    min_score: Decimal
    conditions: tuple[str, ...] = ("no_veto_failed",)
    extension_years: int = 0  # 延期: years added without a new review; 0 = not allowed


def grade_rules() -> tuple[GradeRule, ...]:
    """The deployment's grade rules, highest minimum score first."""
    path = grade_rules_path()
    return _read_grade_rules(str(path), path.stat().st_mtime if path.exists() else 0)


@lru_cache(maxsize=4)
def _read_grade_rules(path: str, _mtime: float) -> tuple[GradeRule, ...]:
    try:
        with open(path, encoding="utf-8") as fh:
            data = yaml.safe_load(fh) or {}
    except OSError as exc:
        raise ImproperlyConfigured(f"等级规则文件无法读取:{path}") from exc
    rules = []
    for index, raw in enumerate(data.get("grade_rules") or [], start=1):
        try:
            conditions = tuple(raw.get("conditions", ["no_veto_failed"]) or ())
            unknown = set(conditions) - set(KNOWN_CONDITIONS)
            if unknown:
                raise ValueError(f"未知条件 {sorted(unknown)}")
            rules.append(
                GradeRule(
                    code=str(raw["code"]),
                    name=str(raw["name"]),
                    min_score=Decimal(str(raw["min_score"])),
                    conditions=conditions,
                    extension_years=int(raw.get("extension_years") or 0),
                )
            )
        except (KeyError, TypeError, ValueError, ArithmeticError) as exc:
            raise ImproperlyConfigured(f"等级规则文件 {path} 第{index}条规则有误:{exc}") from exc
    if not rules:
        raise ImproperlyConfigured(f"等级规则文件 {path} 没有任何规则")
    return tuple(sorted(rules, key=lambda r: r.min_score, reverse=True))


def extension_years(code: str) -> int:
    """Years a certificate of grade `code` may be extended (延期) without re-review; 0 = never."""
    return next((r.extension_years for r in grade_rules() if r.code == code), 0)


def grade_name(code: str) -> str:
    """A grade's display name (the code itself when the rules no longer know it)."""
    for rule in grade_rules():
        if rule.code == code:
            return rule.name
    return code
