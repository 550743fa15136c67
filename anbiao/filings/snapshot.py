"""What a filing freezes: every figure of the 进度报表 for one 镇街 and date, computed by the
campaign metrics (anbiao/campaigns/metrics.py) — the same functions as the dashboard — and the
enterprise ids behind the key numbers, so a later view can say which enterprises differ."""

from datetime import date

from anbiao.accounts.models import Region
from anbiao.campaigns import metrics
from anbiao.campaigns.models import Campaign
from anbiao.campaigns.reports import report_rows
from anbiao.campaigns.targets import evaluate_all
from anbiao.enterprises.models import Enterprise

# The drill-down lists (metrics.LISTS) whose enterprises a filing keeps: the numbers of the
# report that count enterprises.
KEY_LISTS = (
    "scope_total",
    "eligible_total",
    "started",
    "completed",
    "new_total",
    "new_started",
    "due_certificates",
    "renewed",
)
# The figures compared between a filing and today's view (and shown side by side).
KEY_METRICS = (
    "scope_total",
    "eligible_total",
    "started",
    "start_rate",
    "completed",
    "completion_rate",
    "coverage_rate",
    "new_total",
    "new_started",
    "due_certificates",
    "renewed",
    "renewal_rate",
    "benchmarks",
    "training_coverage_rate",
)


def scope_of(campaign: Campaign, region: Region, on: date) -> metrics.Scope:
    """The metric scope of a filing: the whole registry narrowed to the filing's 镇街 (the
    station sees exactly that subtree, so this is its own view, and anyone recomputing it
    later gets the same base)."""
    return metrics.Scope(campaign, Enterprise.objects.all(), on, region)


def figures(campaign: Campaign, region: Region, on: date, *, with_targets: bool = True) -> dict:
    """The content of a filing: {values, breakdowns, targets, enterprise_ids}."""
    scope = scope_of(campaign, region, on)
    if with_targets:
        values, targets = evaluate_all(scope)
    else:
        values, targets = metrics.compute(scope), []
    rows = report_rows(scope)
    return {
        "values": values,
        "breakdowns": {
            "rows": [
                {k: row.get(k) for k in ("kind", "name", *metrics.BREAKDOWN)}
                | {
                    "start_rate": row.get("start_rate"),
                    "completion_rate": row.get("completion_rate"),
                }
                for row in rows
            ],
            "new_by_reason": metrics.new_by_reason(scope),
        },
        "targets": [t.as_dict() for t in targets],
        "enterprise_ids": {
            key: sorted(metrics.enterprises_behind(scope, key).values_list("pk", flat=True))
            for key in KEY_LISTS
        },
    }


def comparable(content: dict) -> dict:
    """The part of a filing's content that must be reproduced exactly by a recomputation (the
    targets' forecasts depend on the day they are read, so they are left out)."""
    return {k: content[k] for k in ("values", "breakdowns", "enterprise_ids")}
