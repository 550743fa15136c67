"""Supervision figures as pure functions of (scope, date): `enterprises` is the queryset of the
enterprises in scope, `on` the day the figures describe (never after today). The period is the
calendar year of `on`, up to and including `on`. A rate with a zero denominator is None ("not
applicable"), never 0% or 100%. Definitions: docs/supervision.md.

| key | definition |
|---|---|
| `inspections_planned` | planned inspections of the year with a month up to `on`'s month |
| `inspections_done` | inspections finished in the period |
| `plan_rate` | done ÷ planned |
| `hazards_found` | hazards found in the period |
| `hazards_closed` | of those, closed (销号) on or before `on` |
| `hazards_overdue` | hazards open on `on` (found by then, not closed by then) past their deadline |
| `rectification_rate` | closed ÷ found |
| `median_days_to_close` | median days from found to closed, of the closed ones |
| `major_open` | 重大隐患 open on `on` (挂牌督办) |
"""

from collections import Counter
from datetime import date
from statistics import median

from django.db.models import Q, QuerySet
from django.urls import reverse

from anbiao.supervision.choices import HazardLevel, InspectionStatus
from anbiao.supervision.models import Hazard, Inspection, PlanEntry

KEYS = (
    "inspections_planned",
    "inspections_done",
    "plan_rate",
    "hazards_found",
    "hazards_closed",
    "hazards_overdue",
    "rectification_rate",
    "median_days_to_close",
    "major_open",
)
LABELS = {
    "inspections_planned": "计划检查(截至当月)",
    "inspections_done": "已完成检查",
    "plan_rate": "计划完成率",
    "hazards_found": "发现隐患",
    "hazards_closed": "已销号隐患",
    "hazards_overdue": "逾期未整改",
    "rectification_rate": "整改率",
    "median_days_to_close": "整改用时中位数(天)",
    "major_open": "挂牌督办重大隐患",
}


def drilldown_url(key: str, on: date) -> str:
    """The list behind figure `key` as of `on`: the hazards or inspections it counts; the
    figures page for the ones that have no list of their own (the plan and the derived figures)."""
    hazards = reverse("supervision:hazards")
    lists = {
        "hazards_found": f"{hazards}?year={on.year}",
        "hazards_closed": f"{hazards}?year={on.year}&state=closed",
        "hazards_overdue": f"{hazards}?overdue=1",
        "major_open": f"{hazards}?listed=1",
        "inspections_done": reverse("supervision:inspections") + "?status=done",
        "inspections_planned": reverse("supervision:plans"),
    }
    return lists.get(key) or f"{reverse('supervision:home')}?on={on.isoformat()}"


def display(key: str, value) -> str:
    """A figure as a person reads it: rates in per cent, "不适用" with nothing to divide."""
    if value is None:
        return "不适用"
    if key.endswith("_rate"):
        return f"{value * 100:.1f}%"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _open_on(on: date) -> Q:
    return Q(found_on__lte=on) & (Q(closed_on__isnull=True) | Q(closed_on__gt=on))


def supervision_metrics(enterprises: QuerySet, on: date) -> dict:
    """Every figure of the module docstring for `enterprises` on `on` (four queries)."""
    start = date(on.year, 1, 1)
    ids = enterprises.values("pk")
    planned = PlanEntry.objects.filter(
        enterprise__in=ids, plan__year=on.year, month__lte=on.month
    ).count()
    done = Inspection.objects.filter(
        enterprise__in=ids,
        status=InspectionStatus.DONE,
        inspected_on__gte=start,
        inspected_on__lte=on,
    ).count()
    found = list(
        Hazard.objects.filter(
            enterprise__in=ids, found_on__gte=start, found_on__lte=on
        ).values_list("found_on", "closed_on")
    )
    closed_days = [(c - f).days for f, c in found if c is not None and c <= on]
    open_hazards = Hazard.objects.filter(_open_on(on), enterprise__in=ids)
    figures = open_hazards.values_list("level", "deadline")
    overdue = sum(1 for _, deadline in figures if deadline < on)
    major = sum(1 for level, _ in figures if level == HazardLevel.MAJOR)
    return {
        "inspections_planned": planned,
        "inspections_done": done,
        "plan_rate": _rate(done, planned),
        "hazards_found": len(found),
        "hazards_closed": len(closed_days),
        "hazards_overdue": overdue,
        "rectification_rate": _rate(len(closed_days), len(found)),
        "median_days_to_close": median(closed_days) if closed_days else None,
        "major_open": major,
    }


def inspections_by_class(enterprises: QuerySet, on: date) -> list[dict]:
    """Inspections done vs planned (up to `on`'s month) per class of the plan entries."""
    ids = enterprises.values("pk")
    planned = Counter(
        PlanEntry.objects.filter(
            enterprise__in=ids, plan__year=on.year, month__lte=on.month
        ).values_list("klass", flat=True)
    )
    classes = dict(
        PlanEntry.objects.filter(enterprise__in=ids, plan__year=on.year).values_list(
            "enterprise_id", "klass"
        )
    )
    done: Counter = Counter()
    for pk in Inspection.objects.filter(
        enterprise__in=ids,
        status=InspectionStatus.DONE,
        inspected_on__gte=date(on.year, 1, 1),
        inspected_on__lte=on,
    ).values_list("enterprise_id", flat=True):
        done[classes.get(pk, "—")] += 1
    return [
        {
            "klass": k,
            "planned": planned[k],
            "done": done[k],
            "rate": _rate(done[k], planned[k]),
        }
        for k in sorted(set(planned) | set(done))
    ]
