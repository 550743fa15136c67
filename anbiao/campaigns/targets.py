"""Target status and forecast (docs/campaigns.md, "Targets and forecast"): met, on_track,
at_risk or behind, from the metric's value on the date and its pace over the last 90 days."""

import hashlib
import math
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from anbiao.campaigns.choices import TargetStatus
from anbiao.campaigns.metrics import Scope, compute, compute_many, display
from anbiao.campaigns.models import Target

PACE_DAYS = 90
PACE = timedelta(days=PACE_DAYS)


@dataclass
class TargetResult:
    target: Target
    threshold: float  # after the cap ("不足2家的按实际家数")
    value: float | int | None
    status: str
    forecast_date: date | None
    days_left: int
    deadline_value: float | int | None = None  # the value on the deadline, once it has passed

    @property
    def status_label(self) -> str:
        return TargetStatus(self.status).label

    @property
    def past_deadline(self) -> bool:
        return self.days_left < 0

    @property
    def value_text(self) -> str:
        """The value judged, in words: once the deadline has passed, the value then and today's
        side by side ("期限时 14.6% · 当前 16.0%"), so a target met late never reads as
        "1 / 1 未达成"."""
        metric = self.target.metric
        now = display(self.value, metric)
        if self.past_deadline:
            return f"期限时 {display(self.deadline_value, metric)} · 当前 {now}"
        return now

    def as_dict(self) -> dict:
        return {
            "metric": self.target.metric,
            "label": self.target.label,
            "threshold": self.threshold,
            "deadline": self.target.deadline.isoformat(),
            "value": self.value,
            "status": self.status,
            "forecast_date": self.forecast_date.isoformat() if self.forecast_date else None,
            "value_at_deadline": self.deadline_value,
        }


def forecast(value, past_value, on: date, threshold: float) -> date | None:
    """The date the threshold is reached at the pace of the last PACE_DAYS days, if ever."""
    if value is None:
        return None
    if value >= threshold:
        return on
    if past_value is None:
        return None
    pace = (value - past_value) / PACE_DAYS
    if pace <= 0:
        return None
    return on + timedelta(days=math.ceil((threshold - value) / pace))


def forecast_line(
    start: date, value: float, reached_on: date, threshold: float, until: date
) -> tuple[list[tuple[date, float]], str]:
    """The burn-up chart's forecast: the straight line from today's value (`start`, `value`) to
    the threshold on `reached_on`, cut at `until` (the campaign's last deadline) so a forecast
    years away never stretches the chart's time axis; and its legend text, which names the
    month it would be reached when that lies beyond the chart ("按当前进度预计 2035-07 达成")."""
    month = reached_on.strftime("%Y-%m")
    if reached_on <= until or until <= start:
        return [(start, value), (reached_on, threshold)], f"按当前进度预计 {month} 达成"
    share = (until - start).days / (reached_on - start).days
    at_end = value + (threshold - value) * share
    return [(start, value), (until, at_end)], f"按当前进度预计 {month} 达成(超出图表)"


def dates_asked(scope: Scope, targets: list[Target]) -> dict[date, set[str] | None]:
    """The dates evaluating `targets` asks about and the metrics it needs on each: all of them
    on the scope's date (None), a target's metric on its deadline once passed, else 90 days
    back (its pace)."""
    days: dict[date, set[str] | None] = {scope.on: None}
    for target in targets:
        day = target.deadline if scope.on >= target.deadline else scope.on - PACE
        keys = days.setdefault(day, set())
        if keys is not None:
            keys.add(target.metric)
    return days


class MetricCache:
    """The metrics of every date the targets ask about, computed together: all metrics on the
    scope's date, and on the other dates (pace, deadlines) the targets' metrics — collected
    first, so the counts of all those dates come from one statement (`compute_many`).
    `store` (campaigns/cache.py) keeps them across requests."""

    def __init__(self, scope: Scope, targets: list[Target], store=None):
        self.scope = scope
        days = dates_asked(scope, targets)

        def run(at: Scope) -> dict[date, dict]:
            return compute_many(at, days)

        asked = ";".join(
            f"{day.isoformat()}:{'all' if keys is None else '+'.join(sorted(keys))}"
            for day, keys in sorted(days.items())
        )
        kind = "targets-" + hashlib.sha256(asked.encode()).hexdigest()[:16]
        self.values: dict[date, dict] = store.get(kind, scope, run) if store else run(scope)

    def on(self, day: date, keys: set[str] | None = None) -> dict:
        """The metrics on `day` (all of them on the scope's own date; else at least `keys`)."""
        found = self.values.get(day)
        if found is None or (keys and not keys <= found.keys()):
            found = self.values[day] = compute(self.scope.at(day), keys)
        return found


def evaluate(target: Target, cache: MetricCache) -> TargetResult:
    on = cache.scope.on
    threshold = float(
        target.threshold
        if isinstance(target.threshold, Decimal)
        else Decimal(str(target.threshold))
    )
    current = cache.on(on)
    if target.cap_metric:
        cap = current.get(target.cap_metric)
        if cap is not None:
            threshold = min(threshold, float(cap))
    value = current[target.metric]
    days_left = (target.deadline - on).days
    if on >= target.deadline:
        at_deadline = cache.on(target.deadline, {target.metric})[target.metric]
        # Not applicable (e.g. no certificate came due) leaves nothing undone.
        reached = at_deadline is None or at_deadline >= threshold
        status = TargetStatus.MET if reached else TargetStatus.BEHIND
        return TargetResult(target, threshold, value, status, None, days_left, at_deadline)
    if value is None:  # not applicable yet: nothing is behind
        return TargetResult(target, threshold, value, TargetStatus.ON_TRACK, None, days_left)
    past = cache.on(on - PACE, {target.metric})[target.metric]
    when = forecast(value, past, on, threshold)
    if value is not None and value >= threshold:
        status = TargetStatus.MET
    elif when is not None and when <= target.deadline:
        status = TargetStatus.ON_TRACK
    else:
        status = TargetStatus.AT_RISK
    return TargetResult(target, threshold, value, status, when, days_left)


def evaluate_all(scope: Scope, store=None) -> tuple[dict, list[TargetResult]]:
    """The metrics on the scope's date and every target of its campaign, evaluated."""
    targets = list(scope.campaign.targets.all())
    cache = MetricCache(scope, targets, store)
    results = [evaluate(t, cache) for t in targets]
    return cache.on(scope.on), results


def kpi_document(scope: Scope, store=None) -> dict:
    """Every metric and target of the scope's campaign on its date, as one JSON-ready dict:
    what `anbiao kpi --json` prints and what the API's campaign metrics endpoint returns."""
    metrics, targets = evaluate_all(scope, store)
    return {
        "campaign": scope.campaign.slug,
        "as_of": scope.on.isoformat(),
        "region": scope.area.code,
        "metrics": metrics,
        "targets": [t.as_dict() for t in targets],
    }
