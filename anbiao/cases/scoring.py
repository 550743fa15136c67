"""Scoring (docs/cases.md, "Assessments and scoring"): percentage = earned ÷ (total − points
of 空项) × 100, one decimal, half up; an item never earns less than zero; a failed veto item
(否决项) fails the assessment whatever the score. The grade is the highest configured rule the
result satisfies. An item nobody has answered yet earns nothing and withholds the score: an
untouched form is not 100 points."""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from anbiao.cases import conf

ZERO = Decimal("0")
ONE_DECIMAL = Decimal("0.1")


@dataclass(frozen=True)
class Line:
    """One item as scored: its points, points deducted, 空项, (veto items) failed, and whether
    anyone answered it."""

    points: Decimal
    deducted: Decimal = ZERO
    not_applicable: bool = False
    veto_failed: bool = False
    answered: bool = True


@dataclass(frozen=True)
class Result:
    total: Decimal
    not_applicable: Decimal
    applicable: Decimal
    earned: Decimal
    score: Decimal | None  # None when every item is 空项, or while any item is unanswered
    veto_failed: bool
    unanswered: int = 0


def one_decimal(value: Decimal) -> Decimal:
    return value.quantize(ONE_DECIMAL, rounding=ROUND_HALF_UP)


def compute(lines: Iterable[Line]) -> Result:
    total = na = earned = ZERO
    veto_failed = False
    unanswered = 0
    for line in lines:
        points = Decimal(line.points)
        total += points
        if not line.answered:
            unanswered += 1
            continue
        if line.not_applicable:
            na += points
            continue
        earned += max(ZERO, points - max(ZERO, Decimal(line.deducted)))
        veto_failed = veto_failed or line.veto_failed
    applicable = total - na
    score = one_decimal(earned / applicable * 100) if applicable > 0 and not unanswered else None
    return Result(total, na, applicable, one_decimal(earned), score, veto_failed, unanswered)


def rules_of(standard) -> tuple:
    """The grade ladder an assessment against `standard` uses: the standard's own (a 小微
    standard may have a single grade, 达标), else the deployment's grade rules."""
    if not getattr(standard, "grades", None):
        return conf.grade_rules()
    return tuple(
        conf.GradeRule(code=g["code"], name=g["name"], min_score=Decimal(g["min_score"]))
        for g in standard.grades
    )


def grade_for(score: Decimal | None, veto_failed: bool, rules=None):
    """The highest grade rule met by a (one-decimal) score, or None (不达标)."""
    if score is None:
        return None
    for rule in conf.grade_rules() if rules is None else rules:
        if one_decimal(Decimal(score)) < rule.min_score:
            continue
        if "no_veto_failed" in rule.conditions and veto_failed:
            continue
        return rule
    return None
